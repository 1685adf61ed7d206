/// A 16-byte W3C trace id, stored as two big-endian halves.
public struct TraceID: Hashable, Sendable, CustomStringConvertible {
    /// The first (most significant) eight bytes.
    public let high: UInt64
    /// The last eight bytes.
    public let low: UInt64

    /// Creates a trace id from its two halves.
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// The all-zero id, which W3C trace context treats as invalid.
    public static let invalid = TraceID(high: 0, low: 0)

    /// A random, valid trace id.
    public static func random() -> TraceID {
        var generator = SystemRandomNumberGenerator()
        return random(using: &generator)
    }

    /// A random, valid trace id drawn from `generator`.
    public static func random<G: RandomNumberGenerator>(using generator: inout G) -> TraceID {
        var id = TraceID(high: generator.next(), low: generator.next())
        while !id.isValid { id = TraceID(high: generator.next(), low: generator.next()) }
        return id
    }

    /// Whether any byte is non-zero.
    @inlinable public var isValid: Bool { high != 0 || low != 0 }

    /// 32 lowercase hex digits.
    public var description: String { hex16(high) + hex16(low) }

    /// Parses 32 hex digits; `nil` for anything else.
    public init?(hex: some StringProtocol) {
        guard hex.utf8.count == 32, hex.utf8.allSatisfy(isHexDigit),
              let high = UInt64(hex.prefix(16), radix: 16),
              let low = UInt64(hex.suffix(16), radix: 16)
        else { return nil }
        self.init(high: high, low: low)
    }
}

/// An 8-byte W3C span id.
public struct SpanID: Hashable, Sendable, CustomStringConvertible {
    /// The id as a big-endian integer.
    public let value: UInt64

    /// Creates a span id from its integer value.
    public init(_ value: UInt64) { self.value = value }

    /// The all-zero id, which W3C trace context treats as invalid.
    public static let invalid = SpanID(0)

    /// A random, valid span id.
    public static func random() -> SpanID {
        var generator = SystemRandomNumberGenerator()
        return random(using: &generator)
    }

    /// A random, valid span id drawn from `generator`.
    public static func random<G: RandomNumberGenerator>(using generator: inout G) -> SpanID {
        var value: UInt64 = generator.next()
        while value == 0 { value = generator.next() }
        return SpanID(value)
    }

    /// Whether the id is non-zero.
    @inlinable public var isValid: Bool { value != 0 }

    /// 16 lowercase hex digits.
    public var description: String { hex16(value) }

    /// Parses 16 hex digits; `nil` for anything else.
    public init?(hex: some StringProtocol) {
        guard hex.utf8.count == 16, hex.utf8.allSatisfy(isHexDigit), let value = UInt64(hex, radix: 16) else { return nil }
        self.init(value)
    }
}

func isHexDigit(_ byte: UInt8) -> Bool {
    (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
        || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte)
}

/// Lowercase hex digits of `bytes`, two per byte.
package func hexString(_ bytes: [UInt8]) -> String {
    bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
}

func hex16(_ value: UInt64) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: 16 - digits.utf8.count) + digits
}
