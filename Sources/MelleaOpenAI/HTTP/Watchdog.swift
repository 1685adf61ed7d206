import Synchronization

/// A deadline that work can push back (a stream, on each event) and that cancels the work when
/// it passes: the work runs in a child task beside a timer, and the first to finish wins.
final class Watchdog: Sendable {
    private let deadline: Mutex<ContinuousClock.Instant>
    private let timeout: Duration

    private init(timeout: Duration) {
        self.timeout = timeout
        deadline = Mutex(.now + timeout)
    }

    /// Gives the work another `timeout` from now.
    func extend() { deadline.withLock { $0 = .now + timeout } }

    /// The watchdog's own signal that the deadline passed, told apart from the work's errors.
    struct Expired: Error {}

    /// Runs `work`; throws ``Expired`` (after cancelling `work` and waiting for it to end) when
    /// `timeout` passes without an ``extend()``. Task-locals, such as the current span, reach `work`.
    static func run<T: Sendable>(timeout: Duration, _ work: @escaping @Sendable (Watchdog) async throws -> T) async throws -> T {
        let watchdog = Watchdog(timeout: timeout)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await work(watchdog) }
            group.addTask {
                while true {
                    let deadline = watchdog.deadline.withLock { $0 }
                    if ContinuousClock.now >= deadline { throw Expired() }
                    try await Task.sleep(until: deadline, clock: .continuous)
                }
            }
            defer { group.cancelAll() }
            do {
                // Only the work returns a value; the timer only ever throws.
                guard case let result?? = try await group.next() else { throw Expired() }
                return result
            } catch is CancellationError where !Task.isCancelled {
                // The work ended by the timer's cancellation rather than the caller's.
                throw Expired()
            }
        }
    }
}
