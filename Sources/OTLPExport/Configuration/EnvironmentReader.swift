import Foundation

/// Reads configuration variables by the OpenTelemetry specification's parsing rules.
///
/// An empty value is the same as an unset one. Booleans are true only for `true` in any case.
/// Integers and durations are decimal, durations in milliseconds. An invalid value produces one
/// warning that names the variable, the value and what was expected; the default is then used.
public struct EnvironmentReader: Sendable {
    /// The variables being read.
    public let variables: [String: String]
    /// Where warnings go.
    public let diagnostics: Diagnostics

    /// Creates a reader over `variables` (the process environment by default).
    public init(_ variables: [String: String] = ProcessInfo.processInfo.environment,
                diagnostics: Diagnostics = .standardError) {
        self.variables = variables
        self.diagnostics = diagnostics
    }

    /// The value of `name`, or `nil` when unset or empty.
    public func string(_ name: String) -> String? {
        guard let value = variables[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else {
            return nil
        }
        return value
    }

    /// The first of `names` that is set, with its name (the signal-specific variable comes first).
    public func firstString(_ names: [String]) -> (name: String, value: String)? {
        for name in names { if let value = string(name) { return (name, value) } }
        return nil
    }

    /// A boolean: `true` in any case is true, `false` in any case or unset is the default's opposite.
    public func bool(_ name: String, default defaultValue: Bool = false) -> Bool {
        guard let value = string(name) else { return defaultValue }
        switch value.lowercased() {
        case "true": return true
        case "false": return false
        default:
            invalid(name, value, expected: "true or false", fallback: "false")
            return false
        }
    }

    /// A non-negative integer within `range`.
    public func integer(_ name: String, default defaultValue: Int,
                        range: ClosedRange<Int> = 0...Int(Int32.max)) -> Int {
        integer(name, range: range) ?? defaultValue
    }

    /// An integer within `range`, or `nil` when unset or invalid (with a warning).
    public func integer(_ name: String, range: ClosedRange<Int>) -> Int? {
        guard let value = string(name) else { return nil }
        guard value.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "-") }), let parsed = Int(value), range.contains(parsed) else {
            invalid(name, value, expected: "an integer in \(range.lowerBound)...\(range.upperBound)")
            return nil
        }
        return parsed
    }

    /// An integer from the first of `names` that is set.
    public func integer(_ names: [String], default defaultValue: Int,
                        range: ClosedRange<Int> = 0...Int(Int32.max)) -> Int {
        guard let (name, _) = firstString(names) else { return defaultValue }
        return integer(name, default: defaultValue, range: range)
    }

    /// A duration in milliseconds. With `zeroMeansInfinite`, `0` gives `.infinite`.
    public func milliseconds(_ name: String, default defaultValue: Duration,
                             minimum: Int = 0, zeroMeansInfinite: Bool = false) -> Duration {
        guard let value = string(name) else { return defaultValue }
        guard let parsed = Int(value), parsed >= minimum else {
            invalid(name, value, expected: "a whole number of milliseconds, at least \(minimum)")
            return defaultValue
        }
        if parsed == 0 && zeroMeansInfinite { return .infinite }
        return .milliseconds(parsed)
    }

    /// Reports an invalid value of `name`.
    public func invalid(_ name: String, _ value: String, expected: String, fallback: String = "the default") {
        diagnostics.report(.warning, "\(name)='\(value)' is invalid: expected \(expected); using \(fallback)")
    }
}

extension Duration {
    /// Stands for "no limit" (the specification allows a huge value in place of infinity).
    public static let infinite = Duration.seconds(365 * 24 * 3600)

    /// Whole milliseconds, rounded toward zero (saturating).
    var wholeMilliseconds: Int64 { whole(perSecond: 1000) }

    /// Whole nanoseconds, rounded toward zero (saturating).
    package var wholeNanoseconds: Int64 { whole(perSecond: 1_000_000_000) }

    private func whole(perSecond units: Int64) -> Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: units)
        let (total, carry) = scaled.addingReportingOverflow(attoseconds / (1_000_000_000_000_000_000 / units))
        if overflow || carry { return seconds < 0 ? .min : .max }
        return total
    }
}
