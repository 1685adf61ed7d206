import Synchronization

/// Gathers received spans by trace and gives a trace back once it has been quiet (no new span)
/// for a while: the receiver cannot know when a trace is complete, only that its spans stopped.
package final class TraceAssembler: Sendable {
    private struct Pending {
        var spans: [ReceivedSpan]
        var lastArrival: ContinuousClock.Instant
        var order: Int
    }
    private struct State {
        var pending: [String: Pending] = [:]
        var seen: Set<String> = []
        var arrivals = 0
    }
    private let state = Mutex(State())
    /// How long a trace must be quiet to count as complete.
    package let quietTime: Duration

    /// An assembler that holds a trace until it has been quiet for `quietTime`.
    package init(quietTime: Duration) { self.quietTime = quietTime }

    /// Adds spans that arrived `now`.
    package func add(_ spans: [ReceivedSpan], now: ContinuousClock.Instant = .now) {
        guard !spans.isEmpty else { return }
        state.withLock { state in
            for span in spans {
                let id = span.traceIDHex
                state.seen.insert(id)
                if state.pending[id] == nil {
                    state.pending[id] = Pending(spans: [], lastArrival: now, order: state.arrivals)
                    state.arrivals += 1
                }
                state.pending[id]!.spans.append(span)
                state.pending[id]!.lastArrival = now
            }
        }
    }

    /// Removes and returns the traces quiet since `quietTime` before `now`, in arrival order.
    package func takeQuiet(now: ContinuousClock.Instant = .now) -> [[ReceivedSpan]] {
        take { now - $0.lastArrival >= quietTime }
    }

    /// Removes and returns every trace held, in arrival order.
    package func takeAll() -> [[ReceivedSpan]] { take { _ in true } }

    /// Distinct trace ids received so far.
    package var traceCount: Int { state.withLock { $0.seen.count } }

    private func take(_ isDone: (Pending) -> Bool) -> [[ReceivedSpan]] {
        state.withLock { state in
            let done = state.pending.filter { isDone($0.value) }
            for id in done.keys { state.pending[id] = nil }
            return done.values.sorted { $0.order < $1.order }.map(\.spans)
        }
    }
}
