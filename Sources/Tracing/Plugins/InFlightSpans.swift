import OTLPExport
import Synchronization

/// The spans tracing plugins keep open between an opening and a closing hook, keyed by the
/// payload's correlation id.
///
/// Bounded: when full, the oldest span is ended as abandoned (status ERROR, `error.type`
/// `abandoned`) and counted, so a missing closing hook can never make the map grow without bound.
public final class InFlightSpans: Sendable {
    private struct Entry {
        let span: SpanBuilder
        let order: UInt64
    }
    private struct State {
        var entries: [String: Entry] = [:]
        var next: UInt64 = 0
        var abandoned = 0
    }
    private let state = Locked(State())
    /// The most spans held at once.
    public let capacity: Int

    /// Creates an empty map holding at most `capacity` spans.
    public init(capacity: Int) { self.capacity = max(1, capacity) }

    /// Spans open right now.
    public var count: Int { state.withLock { $0.entries.count } }

    /// Spans ended as abandoned because the map was full.
    public var abandonedCount: Int { state.withLock { $0.abandoned } }

    /// Keeps `span` under `key`. A span already under that key (a reused correlation id) and, when
    /// the map is full, the oldest span are ended as abandoned.
    func insert(_ span: SpanBuilder, for key: String) {
        let evicted = state.withLock { state -> [SpanBuilder] in
            state.next += 1
            var evicted: [SpanBuilder] = []
            if let displaced = state.entries.updateValue(Entry(span: span, order: state.next), forKey: key) {
                evicted.append(displaced.span)
            }
            if state.entries.count > capacity,
               let oldest = state.entries.min(by: { $0.value.order < $1.value.order }) {
                state.entries[oldest.key] = nil
                evicted.append(oldest.value.span)
            }
            state.abandoned += evicted.count
            return evicted
        }
        // Out of the map, nobody else can reach these spans: ending them here is race-free.
        for span in evicted {
            span.recordError(type: "abandoned", description: "the span was never closed by its closing hook")
            span.end()
        }
    }

    /// Removes and returns the span under `key`; the caller then owns it.
    func remove(_ key: String) -> SpanBuilder? { state.withLock { $0.entries.removeValue(forKey: key)?.span } }

    /// Runs `body` on the span under `key` while it stays in the map, under the map's lock, so
    /// no other thread can end or evict it meanwhile.
    func withSpan(_ key: String, _ body: (SpanBuilder) -> Void) {
        state.withLock { state in
            if let span = state.entries[key]?.span { body(span) }
        }
    }
}
