import OTLPExport
import Tracing

/// The W3C identity of a span as it travels in an `InstrumentationContext`.
public struct SpanContext: Sendable, Hashable {
    /// The trace.
    public let traceID: TraceID
    /// The span.
    public let spanID: SpanID
    /// W3C trace flags; bit 0 means sampled.
    public let traceFlags: UInt8
    /// W3C `tracestate`.
    public let traceState: String
    /// Whether this context came from another process (extracted from headers).
    public let isRemote: Bool

    /// Creates a span context.
    public init(traceID: TraceID, spanID: SpanID, traceFlags: UInt8, traceState: String = "", isRemote: Bool = false) {
        self.traceID = traceID
        self.spanID = spanID
        self.traceFlags = traceFlags
        self.traceState = traceState
        self.isRemote = isRemote
    }

    /// Whether the sampled flag is set.
    public var isSampled: Bool { traceFlags & 1 == 1 }
}

/// The key under which the current span's ``SpanContext`` lives in an `InstrumentationContext`.
public enum SpanContextKey: InstrumentationContextKey {
    public typealias Value = SpanContext
    public static var nameOverride: String? { "mellea-span-context" }
}

extension InstrumentationContext {
    /// The span context this context carries, if any.
    public var spanContext: SpanContext? {
        get { self[SpanContextKey.self] }
        set { self[SpanContextKey.self] = newValue }
    }
}
