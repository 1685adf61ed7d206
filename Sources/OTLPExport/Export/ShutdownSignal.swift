import Dispatch
import Synchronization

/// A one-way switch that ends every pending backoff wait the moment an exporter shuts down.
final class ShutdownSignal: Sendable {
    private struct State {
        var triggered = false
        var nextID: UInt64 = 0
        var sleepers: [UInt64: CheckedContinuation<Bool, Never>] = [:]
    }
    private let state = Locked(State())

    /// Whether shutdown has begun.
    var isTriggered: Bool { state.withLock { $0.triggered } }

    /// Waits at least `duration`; returns `false` at once (or as soon as it happens) on shutdown
    /// or when the task is cancelled.
    func sleep(for duration: Duration) async -> Bool {
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let registered = state.withLock { state -> Bool in
                    guard !state.triggered, !Task.isCancelled else { return false }
                    state.sleepers[id] = continuation
                    return true
                }
                guard registered else { return continuation.resume(returning: false) }
                let (seconds, attoseconds) = duration.components
                // Round up to whole nanoseconds: never wait less than asked (RetryInfo is a minimum).
                let nanos = min(seconds, 3_153_600_000) * 1_000_000_000 + (attoseconds + 999_999_999) / 1_000_000_000
                DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(nanos))) { [self] in
                    state.withLock { $0.sleepers.removeValue(forKey: id) }?.resume(returning: true)
                }
            }
        } onCancel: {
            state.withLock { $0.sleepers.removeValue(forKey: id) }?.resume(returning: false)
        }
    }

    /// Begins shutdown: ends every current and future wait.
    func trigger() {
        let sleepers = state.withLock { state -> [CheckedContinuation<Bool, Never>] in
            state.triggered = true
            defer { state.sleepers = [:] }
            return Array(state.sleepers.values)
        }
        for sleeper in sleepers { sleeper.resume(returning: false) }
    }
}
