import Dispatch
import Foundation

/// The thread every export task runs on, so that exports never wait for the cooperative thread
/// pool: an application whose threads keep that pool busy would otherwise starve the exporter,
/// and with it `forceFlush` and `shutdown`.
///
/// Two threads for the whole process, started on first use, so that one batch can be encoded while
/// another completes. Exporters must not block them: their waits are asynchronous (network
/// completions resume the task here).
final class ExportExecutor: TaskExecutor, @unchecked Sendable {
    /// The process-wide export threads.
    static let shared = ExportExecutor(threads: 2)

    private let jobs = Locked<[UnownedJob]>([])
    private let available = DispatchSemaphore(value: 0)

    private init(threads: Int) {
        for index in 0..<threads {
            let thread = Thread { [self] in run() }
            thread.name = "mellea-tracing.export-tasks-\(index)"
            thread.start()
        }
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
            // One job per signal: each waiting thread takes its own.
            guard let job = jobs.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) else { continue }
            job.runSynchronously(on: executor)
        }
    }

    /// Starts `work` as a detached task on the export thread.
    @discardableResult
    static func detached(_ work: sending @escaping @isolated(any) () async -> Void) -> Task<Void, Never> {
        Task.detached(executorPreference: shared, operation: work)
    }
}
