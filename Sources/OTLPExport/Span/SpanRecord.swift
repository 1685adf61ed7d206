/// The role of a span in a trace (OTLP `SpanKind`).
public enum SpanKind: Int32, Sendable {
    case unspecified = 0, `internal` = 1, server = 2, client = 3, producer = 4, consumer = 5
}

/// The final status of a span (OTLP `Status`).
public enum SpanStatus: Sendable, Equatable {
    case unset
    case ok
    /// An error, with a description for humans.
    case error(description: String)
}

/// A timestamped event inside a span.
public struct SpanEvent: Sendable, Equatable {
    /// Event name, e.g. `gen_ai.content.first_token`.
    public let name: String
    /// Nanoseconds since the Unix epoch.
    public let timeUnixNano: UInt64
    /// Event attributes.
    public let attributes: [Attribute]
    /// Attributes removed by the span limits.
    public let droppedAttributesCount: UInt32

    /// Creates an event.
    public init(name: String, timeUnixNano: UInt64, attributes: [Attribute] = [],
                droppedAttributesCount: UInt32 = 0) {
        self.name = name
        self.timeUnixNano = timeUnixNano
        self.attributes = attributes
        self.droppedAttributesCount = droppedAttributesCount
    }
}

/// A link from a span to another span, possibly in another trace.
public struct SpanLink: Sendable, Equatable {
    /// The linked span's trace.
    public let traceID: TraceID
    /// The linked span.
    public let spanID: SpanID
    /// The linked span's W3C trace flags.
    public let traceFlags: UInt8
    /// The linked span's W3C `tracestate` header value.
    public let traceState: String
    /// Link attributes.
    public let attributes: [Attribute]
    /// Attributes removed by the span limits.
    public let droppedAttributesCount: UInt32

    /// Creates a link.
    public init(traceID: TraceID, spanID: SpanID, traceFlags: UInt8 = 1, traceState: String = "",
                attributes: [Attribute] = [], droppedAttributesCount: UInt32 = 0) {
        self.traceID = traceID
        self.spanID = spanID
        self.traceFlags = traceFlags
        self.traceState = traceState
        self.attributes = attributes
        self.droppedAttributesCount = droppedAttributesCount
    }
}

/// The library or module that produced a span (OTLP `InstrumentationScope`).
public struct InstrumentationScope: Sendable, Hashable {
    /// Scope name, e.g. `mellea.backend`.
    public let name: String
    /// Scope version.
    public let version: String

    /// Creates a scope.
    public init(name: String, version: String = "") {
        self.name = name
        self.version = version
    }
}

/// A finished span: immutable, and everything an exporter needs.
///
/// A reference type so that the batch processor's queue moves one pointer per span.
public final class SpanRecord: Sendable {
    /// The trace the span belongs to.
    public let traceID: TraceID
    /// The span's own id.
    public let spanID: SpanID
    /// The parent span, or ``SpanID/invalid`` for a root span.
    public let parentSpanID: SpanID
    /// W3C trace flags (bit 0: sampled).
    public let traceFlags: UInt8
    /// W3C `tracestate` header value.
    public let traceState: String
    /// Whether the parent span lives in another process (sets the OTLP span flags bits).
    public let parentIsRemote: Bool?
    /// Span name.
    public let name: String
    /// Span kind.
    public let kind: SpanKind
    /// Start, in nanoseconds since the Unix epoch.
    public let startTimeUnixNano: UInt64
    /// End, in nanoseconds since the Unix epoch.
    public let endTimeUnixNano: UInt64
    /// Span attributes.
    public let attributes: [Attribute]
    /// Span events.
    public let events: [SpanEvent]
    /// Span links.
    public let links: [SpanLink]
    /// Final status.
    public let status: SpanStatus
    /// The library that produced the span.
    public let scope: InstrumentationScope
    /// Attributes removed by the span limits.
    public let droppedAttributesCount: UInt32
    /// Events removed by the span limits.
    public let droppedEventsCount: UInt32
    /// Links removed by the span limits.
    public let droppedLinksCount: UInt32

    /// Creates a finished span record.
    public init(traceID: TraceID, spanID: SpanID, parentSpanID: SpanID = .invalid,
                traceFlags: UInt8 = 1, traceState: String = "", parentIsRemote: Bool? = nil,
                name: String, kind: SpanKind = .internal,
                startTimeUnixNano: UInt64, endTimeUnixNano: UInt64,
                attributes: [Attribute] = [], events: [SpanEvent] = [], links: [SpanLink] = [],
                status: SpanStatus = .unset, scope: InstrumentationScope,
                droppedAttributesCount: UInt32 = 0, droppedEventsCount: UInt32 = 0,
                droppedLinksCount: UInt32 = 0) {
        self.traceID = traceID
        self.spanID = spanID
        self.parentSpanID = parentSpanID
        self.traceFlags = traceFlags
        self.traceState = traceState
        self.parentIsRemote = parentIsRemote
        self.name = name
        self.kind = kind
        self.startTimeUnixNano = startTimeUnixNano
        self.endTimeUnixNano = endTimeUnixNano
        self.attributes = attributes
        self.events = events
        self.links = links
        self.status = status
        self.scope = scope
        self.droppedAttributesCount = droppedAttributesCount
        self.droppedEventsCount = droppedEventsCount
        self.droppedLinksCount = droppedLinksCount
    }
}
