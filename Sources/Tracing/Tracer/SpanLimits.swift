import OTLPExport

/// Span limits (`OTEL_SPAN_*` over `OTEL_ATTRIBUTE_*`), applied while a span is recorded.
public struct SpanLimits: Sendable, Equatable {
    /// Attributes per span.
    public var attributeCount = 128
    /// Longest string attribute value, in characters (`nil`: no limit).
    public var attributeValueLength: Int?
    /// Events per span.
    public var eventCount = 128
    /// Links per span.
    public var linkCount = 128

    /// The specification's defaults.
    public init() {}

    /// Reads `OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT`, `OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT` (each over its
    /// `OTEL_ATTRIBUTE_*` form), `OTEL_SPAN_EVENT_COUNT_LIMIT` and `OTEL_SPAN_LINK_COUNT_LIMIT`.
    public static func fromEnvironment(_ env: EnvironmentReader) -> SpanLimits {
        var limits = SpanLimits()
        limits.attributeCount = env.integer(["OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "OTEL_ATTRIBUTE_COUNT_LIMIT"], default: 128)
        if env.firstString(["OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT"]) != nil {
            limits.attributeValueLength = env.integer(["OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT"],
                                                      default: Int(Int32.max))
        }
        limits.eventCount = env.integer("OTEL_SPAN_EVENT_COUNT_LIMIT", default: 128)
        limits.linkCount = env.integer("OTEL_SPAN_LINK_COUNT_LIMIT", default: 128)
        return limits
    }

    /// `value` with its strings cut to `limit` characters.
    public static func truncate(_ value: AttributeValue, to limit: Int) -> AttributeValue {
        switch value {
        case .string(let s) where s.count > limit: return .string(String(s.prefix(limit)))
        case .stringArray(let a) where a.contains(where: { $0.count > limit }):
            return .stringArray(a.map { $0.count > limit ? String($0.prefix(limit)) : $0 })
        default: return value
        }
    }
}
