/// The value of a span, event, link, resource or scope attribute, as OTLP can carry it.
public enum AttributeValue: Sendable, Equatable {
    case string(String)
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case stringArray([String])
    case boolArray([Bool])
    case intArray([Int64])
    case doubleArray([Double])
    case bytes([UInt8])
}

/// One key and its value.
public struct Attribute: Sendable, Equatable {
    /// The attribute key, e.g. `gen_ai.request.model`.
    public let key: String
    /// The attribute value.
    public let value: AttributeValue

    /// Creates an attribute.
    public init(_ key: String, _ value: AttributeValue) {
        self.key = key
        self.value = value
    }
}

extension AttributeValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByBooleanLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

extension AttributeValue: CustomStringConvertible {
    /// A compact, readable rendering used by the console exporter.
    public var description: String {
        switch self {
        case .string(let s): return "\"\(s)\""
        case .bool(let b): return String(b)
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .stringArray(let a): return "[" + a.map { "\"\($0)\"" }.joined(separator: ",") + "]"
        case .boolArray(let a): return "[" + a.map(String.init).joined(separator: ",") + "]"
        case .intArray(let a): return "[" + a.map(String.init).joined(separator: ",") + "]"
        case .doubleArray(let a): return "[" + a.map { String($0) }.joined(separator: ",") + "]"
        case .bytes(let b): return "0x" + hexString(b)
        }
    }
}
