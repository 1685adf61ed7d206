/// One span as a receiver got it: every field of OTLP's `Span`, with the resource and the
/// instrumentation scope it was sent under.
package struct ReceivedSpan: Sendable, Equatable {
    /// The resource of the `ResourceSpans` the span came in.
    package var resource: ReceivedResource
    /// The instrumentation scope of the `ScopeSpans` the span came in.
    package var scope: ReceivedScope
    /// 16 bytes.
    package var traceID: [UInt8]
    /// 8 bytes.
    package var spanID: [UInt8]
    /// Empty for a root span.
    package var parentSpanID: [UInt8]
    /// The W3C `tracestate`, if any.
    package var traceState: String
    /// W3C trace flags and OTLP's parent-is-remote bits.
    package var flags: UInt32
    /// The span's name.
    package var name: String
    /// OTLP's `SpanKind` number (0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer).
    package var kind: Int32
    /// Nanoseconds since the Unix epoch.
    package var startTimeUnixNano: UInt64
    /// Nanoseconds since the Unix epoch.
    package var endTimeUnixNano: UInt64
    /// The span's attributes, in the order sent.
    package var attributes: [KeyValue]
    /// Attributes the sender dropped.
    package var droppedAttributesCount: UInt32
    /// The span's events, in the order sent.
    package var events: [Event]
    /// Events the sender dropped.
    package var droppedEventsCount: UInt32
    /// The span's links.
    package var links: [Link]
    /// Links the sender dropped.
    package var droppedLinksCount: UInt32
    /// The span's status.
    package var status: Status

    /// An event on a span.
    package struct Event: Sendable, Equatable {
        /// Nanoseconds since the Unix epoch.
        package var timeUnixNano: UInt64
        /// The event's name.
        package var name: String
        /// Its attributes.
        package var attributes: [KeyValue]
        /// Attributes the sender dropped.
        package var droppedAttributesCount: UInt32
    }

    /// A link to another span.
    package struct Link: Sendable, Equatable {
        /// 16 bytes.
        package var traceID: [UInt8]
        /// 8 bytes.
        package var spanID: [UInt8]
        /// The linked span's `tracestate`.
        package var traceState: String
        /// Its attributes.
        package var attributes: [KeyValue]
        /// Attributes the sender dropped.
        package var droppedAttributesCount: UInt32
        /// Trace flags.
        package var flags: UInt32
    }

    /// A span's status: OTLP's code (0 unset, 1 ok, 2 error) and message.
    package struct Status: Sendable, Equatable {
        /// 0 unset, 1 ok, 2 error.
        package var code: Int32
        /// Set with an error.
        package var message: String
    }

    /// The trace id in lowercase hex.
    package var traceIDHex: String { hex(traceID) }
    /// The span id in lowercase hex.
    package var spanIDHex: String { hex(spanID) }
    /// The parent span id in lowercase hex (empty for a root).
    package var parentSpanIDHex: String { hex(parentSpanID) }

    /// The first attribute named `key`.
    package subscript(key: String) -> AnyValue? { attributes.first { $0.key == key }?.value }
}

/// The resource spans were sent under.
package struct ReceivedResource: Sendable, Equatable {
    /// Its attributes (`service.name`, ...).
    package var attributes: [KeyValue]
    /// Attributes the sender dropped.
    package var droppedAttributesCount: UInt32
    /// The `schema_url` of the `ResourceSpans`.
    package var schemaURL: String
}

/// The instrumentation scope spans were sent under.
package struct ReceivedScope: Sendable, Equatable {
    /// The scope's name.
    package var name: String
    /// The scope's version.
    package var version: String
    /// Its attributes.
    package var attributes: [KeyValue]
    /// Attributes the sender dropped.
    package var droppedAttributesCount: UInt32
    /// The `schema_url` of the `ScopeSpans`.
    package var schemaURL: String
}

/// OTLP's `KeyValue`.
package struct KeyValue: Sendable, Equatable {
    /// The attribute's name.
    package var key: String
    /// Its value.
    package var value: AnyValue

    /// A key and its value.
    package init(_ key: String, _ value: AnyValue) {
        self.key = key
        self.value = value
    }
}

/// OTLP's `AnyValue`.
package indirect enum AnyValue: Sendable, Equatable {
    /// No value set.
    case empty
    /// `string_value`.
    case string(String)
    /// `bool_value`.
    case bool(Bool)
    /// `int_value`.
    case int(Int64)
    /// `double_value`.
    case double(Double)
    /// `array_value`.
    case array([AnyValue])
    /// `kvlist_value`.
    case keyValues([KeyValue])
    /// `bytes_value`.
    case bytes([UInt8])

    /// The value as a person reads it: strings bare, arrays as `[a, b]`.
    package var text: String {
        switch self {
        case .empty: return ""
        case .string(let value): return value
        case .bool(let value): return String(value)
        case .int(let value): return String(value)
        case .double(let value): return String(value)
        case .array(let values): return "[" + values.map(\.text).joined(separator: ", ") + "]"
        case .keyValues(let values): return "{" + values.map { "\($0.key): \($0.value.text)" }.joined(separator: ", ") + "}"
        case .bytes(let value): return hex(value)
        }
    }
}

/// Lowercase hex of `bytes`.
package func hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var text = [UInt8]()
    text.reserveCapacity(bytes.count * 2)
    for byte in bytes {
        text.append(digits[Int(byte >> 4)])
        text.append(digits[Int(byte & 0x0f)])
    }
    return String(decoding: text, as: UTF8.self)
}
