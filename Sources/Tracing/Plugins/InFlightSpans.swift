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
    private let state = Mutex(State())
    /// The most spans held at once.
    public let capacity: Int

    /// Creates an empty map holding at most `capacity` spans.
    public init(capacity: Int) { self.capacity = max(1, capacity) }

    /// Spans open right now.
    public var count: Int { state.withLock { $0.entries.count } }

    /// Spans ended as abandoned because the map was full.
    public var abandonedCount: Int { state.withLock { $0.abandoned } }

    /// Keeps `span` under `key`.
    func insert(_ span: SpanBuilder, for key: String) {
        let evicted = state.withLock { state -> SpanBuilder? in
            state.next += 1
            state.entries[key] = Entry(span: span, order: state.next)
            guard state.entries.count > capacity,
                  let oldest = state.entries.min(by: { $0.value.order < $1.value.order }) else { return nil }
            state.entries[oldest.key] = nil
            state.abandoned += 1
            return oldest.value.span
        }
        if let evicted {
            evicted.recordError(type: "abandoned", description: "no closing hook arrived before the in-flight span limit was reached")
            evicted.end()
        }
    }

    /// Removes and returns the span under `key`.
    func remove(_ key: String) -> SpanBuilder? { state.withLock { $0.entries.removeValue(forKey: key)?.span } }

    /// The span under `key`, left in place.
    func peek(_ key: String) -> SpanBuilder? { state.withLock { $0.entries[key]?.span } }
}
