import Dispatch

/// The exports a processor has started and not yet accounted for, and the slots that bound how
/// many run at once.
///
/// Each export is accounted exactly once, by whoever removes its registration: the export's own
/// task when it finishes (``finish(_:with:)``), or the export thread when it gives up on it
/// (``abandon(_:)``). Removal and accounting happen under one lock, so once a registration is gone
/// its spans are in the counters.
final class ExportsInFlight: Sendable {
    private struct Export {
        var task: Task<Void, Never>?
        let count: Int
        /// When the export is abandoned if it has not finished.
        let giveUpAt: ContinuousClock.Instant
        /// Whether `giveUpAt` is the shutdown deadline rather than the export timeout.
        let giveUpAtShutdown: Bool
        let attempts: ExportAttempts
    }

    /// An export given up on: what the report of it needs.
    struct Abandoned {
        /// Its spans, now counted as failed.
        let count: Int
        /// Attempts the exporter made.
        let attempts: Int
        /// How the last attempt failed, if one did.
        let lastFailure: ExportFailure?
        /// Whether the shutdown deadline (not the export timeout) ended it.
        let byShutdown: Bool
    }

    private struct Registry {
        var next = 0
        var exports: [Int: Export] = [:]
    }

    /// One permit per export allowed to run; taken before spans leave the queue.
    let slots: DispatchSemaphore
    private let registry = Locked(Registry())
    private let counters: ProcessorCounters

    init(slots: Int, counters: ProcessorCounters) {
        self.slots = DispatchSemaphore(value: slots)
        self.counters = counters
    }

    /// Registers an export of `count` spans (holding a slot) before its task exists; the export
    /// records its attempts into the `ExportAttempts` returned.
    func register(count: Int, giveUpAt: ContinuousClock.Instant,
                  giveUpAtShutdown: Bool) -> (id: Int, attempts: ExportAttempts) {
        counters.inFlight.wrappingIncrement(by: count, ordering: .relaxed)
        let attempts = ExportAttempts()
        let id = registry.withLock { state in
            state.next += 1
            state.exports[state.next] = Export(task: nil, count: count, giveUpAt: giveUpAt,
                                               giveUpAtShutdown: giveUpAtShutdown, attempts: attempts)
            return state.next
        }
        return (id, attempts)
    }

    /// Remembers the export's task, so that abandoning it cancels it.
    func attach(_ task: Task<Void, Never>, to id: Int) { registry.withLock { $0.exports[id]?.task = task } }

    /// Accounts for a finished export and frees its slot, unless it was abandoned meanwhile.
    func finish(_ id: Int, with result: ExportResult) {
        if settle(id, { _ in result }) != nil { slots.signal() }
    }

    /// Gives up on an export at `now`: counts its spans as failed with the attempts it made and
    /// its last failure (the export timeout when none failed), cancels it and frees its slot.
    /// `nil` if it had already finished.
    func abandon(_ id: Int, at now: ContinuousClock.Instant, shutdownPassed: Bool) -> Abandoned? {
        var abandoned: Abandoned?
        let settled = settle(id) { export in
            let attempts = export.attempts.attempts
            let lastFailure = export.attempts.lastFailure
            abandoned = Abandoned(count: export.count, attempts: attempts, lastFailure: lastFailure,
                                  byShutdown: export.giveUpAtShutdown || (shutdownPassed && now < export.giveUpAt))
            return ExportResult(failed: export.count, retries: max(0, attempts - 1), failure: lastFailure ?? .timedOut)
        }
        guard let export = settled else { return nil }
        export.task?.cancel()
        slots.signal()
        return abandoned
    }

    /// Removes export `id` (if it is still here) and records its `result`; the export, or `nil`
    /// if it was already settled. The caller frees the slot.
    private func settle(_ id: Int, _ result: (Export) -> ExportResult) -> Export? {
        registry.withLock { state -> Export? in
            guard let export = state.exports.removeValue(forKey: id) else { return nil }
            counters.record(result(export))
            counters.inFlight.wrappingDecrement(by: export.count, ordering: .relaxed)
            return export
        }
    }

    /// The exports past their budget at `now`, or all of them when `all`.
    func overdue(at now: ContinuousClock.Instant, all: Bool) -> [Int] {
        registry.withLock { state in state.exports.filter { all || now >= $0.value.giveUpAt }.map(\.key) }
    }

    var isEmpty: Bool { registry.withLock { $0.exports.isEmpty } }
}
