import Dispatch
import Synchronization

/// A one-way switch that ends every pending backoff wait the moment an exporter shuts down.
final class ShutdownSignal: Sendable {
    private struct State {
        var triggered = false
        var nextID: UInt64 = 0
        var sleepers: [UInt64: CheckedContinuation<Bool, Never>] = [:]
    }
    private let state = Mutex(State())

    /// Whether shutdown has begun.
    var isTriggered: Bool { state.withLock { $0.triggered } }

    /// Waits `duration`; returns `false` at once (or as soon as it happens) on shutdown.
    func sleep(for duration: Duration) async -> Bool {
        await withCheckedContinuation { continuation in
            let id = state.withLock { state -> UInt64? in
                guard !state.triggered else { return nil }
                state.nextID += 1
                state.sleepers[state.nextID] = continuation
                return state.nextID
            }
            guard let id else { return continuation.resume(returning: false) }
            let nanos = Int(clamping: duration.wholeMilliseconds) &* 1_000_000
            DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(nanos)) { [self] in
                state.withLock { $0.sleepers.removeValue(forKey: id) }?.resume(returning: true)
            }
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
