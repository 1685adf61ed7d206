import Dispatch
import Foundation

/// The thread every export task runs on, so that exports never wait for the cooperative thread
/// pool: an application whose threads keep that pool busy would otherwise starve the exporter,
/// and with it `forceFlush` and `shutdown`.
///
/// One thread for the whole process, started on first use. Exporters must not block it: their
/// waits are asynchronous (network completions resume the task here).
final class ExportExecutor: TaskExecutor, @unchecked Sendable {
    /// The process-wide export thread.
    static let shared = ExportExecutor()

    private let jobs = Locked<[UnownedJob]>([])
    private let available = DispatchSemaphore(value: 0)

    private init() {
        let thread = Thread { [self] in run() }
        thread.name = "mellea-tracing.export-tasks"
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        jobs.withLock { $0.append(job) }
        available.signal()
    }

    private func run() {
        let executor = asUnownedTaskExecutor()
        while true {
            available.wait()
            let ready = jobs.withLock { jobs -> [UnownedJob] in
                defer { jobs.removeAll(keepingCapacity: true) }
                return jobs
            }
            for job in ready { job.runSynchronously(on: executor) }
        }
    }

    /// Starts `work` as a detached task on the export thread.
    @discardableResult
    static func detached(_ work: sending @escaping @isolated(any) () async -> Void) -> Task<Void, Never> {
        Task.detached(executorPreference: shared, operation: work)
    }
}
