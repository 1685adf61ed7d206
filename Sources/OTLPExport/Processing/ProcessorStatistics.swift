import Atomics

/// What became of every span the processor was given; each span is counted exactly once.
///
/// `produced == exported + rejected + droppedQueueFull + droppedExportFailed + droppedAtShutdown + queued + inFlight`.
public struct ProcessorStatistics: Sendable, Equatable, CustomStringConvertible {
    /// Spans offered to the processor.
    public var produced: Int
    /// Spans the collector accepted.
    public var exported: Int
    /// Spans the collector rejected in a partial success.
    public var rejected: Int
    /// Spans dropped because the queue was full.
    public var droppedQueueFull: Int
    /// Spans dropped because their export failed (final error, retries or time exhausted).
    public var droppedExportFailed: Int
    /// Spans dropped because they arrived after shutdown or were still queued when it ran out of time.
    public var droppedAtShutdown: Int
    /// Export retries performed by the exporter.
    public var retries: Int
    /// Spans waiting in the queue.
    public var queued: Int
    /// Spans in exports that have not returned yet.
    public var inFlight: Int
    /// The last export that failed: why (for a gRPC status, its code and the server's message)
    /// and after how many attempts. `nil` while none has failed.
    public var lastFailure: (failure: ExportFailure, attempts: Int)?

    /// Equal counts and the same last failure (with the same attempt count).
    public static func == (lhs: ProcessorStatistics, rhs: ProcessorStatistics) -> Bool {
        lhs.counts == rhs.counts && lhs.lastFailure?.failure == rhs.lastFailure?.failure
            && lhs.lastFailure?.attempts == rhs.lastFailure?.attempts
    }

    private var counts: [Int] {
        [produced, exported, rejected, droppedQueueFull, droppedExportFailed, droppedAtShutdown, retries, queued, inFlight]
    }

    /// All spans that will never reach the collector.
    public var dropped: Int { rejected + droppedQueueFull + droppedExportFailed + droppedAtShutdown }

    public var description: String {
        "produced=\(produced) exported=\(exported) rejected=\(rejected) dropped_queue_full=\(droppedQueueFull) "
            + "dropped_export_failed=\(droppedExportFailed) dropped_at_shutdown=\(droppedAtShutdown) "
            + "retries=\(retries) queued=\(queued) in_flight=\(inFlight)"
            + (lastFailure.map { " last_failure=\"\($0.failure)\" (\(Self.attempts($0.attempts)))" } ?? "")
    }

    /// "1 attempt", "6 attempts".
    static func attempts(_ count: Int) -> String { count == 1 ? "1 attempt" : "\(count) attempts" }
}

/// The processor's counters; only `droppedQueueFull` is touched by application threads.
final class ProcessorCounters: Sendable {
    let exported = ManagedAtomic<Int>(0)
    let rejected = ManagedAtomic<Int>(0)
    let droppedQueueFull = ManagedAtomic<Int>(0)
    let droppedExportFailed = ManagedAtomic<Int>(0)
    let droppedAtShutdown = ManagedAtomic<Int>(0)
    let retries = ManagedAtomic<Int>(0)
    let inFlight = ManagedAtomic<Int>(0)
    /// Written only when an export fails: off the span path.
    let lastFailure = Locked<(failure: ExportFailure, attempts: Int)?>(nil)

    /// Spans handed to an exporter that did not get through: rejected, failed, or dropped at
    /// shutdown. A flush or a shutdown succeeded only if this did not grow meanwhile.
    var undelivered: Int {
        rejected.load(ordering: .relaxed) + droppedExportFailed.load(ordering: .relaxed)
            + droppedAtShutdown.load(ordering: .relaxed)
    }

    func record(_ result: ExportResult) {
        exported.wrappingIncrement(by: result.exported, ordering: .relaxed)
        rejected.wrappingIncrement(by: result.rejected, ordering: .relaxed)
        droppedExportFailed.wrappingIncrement(by: result.failed, ordering: .relaxed)
        retries.wrappingIncrement(by: result.retries, ordering: .relaxed)
        if let failure = result.failure, result.failed > 0 || result.rejected > 0 {
            lastFailure.withLock { $0 = (failure, result.retries + 1) }
        }
    }
}
