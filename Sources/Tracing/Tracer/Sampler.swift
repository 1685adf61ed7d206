import OTLPExport

/// Decides whether a new span is recorded and exported (`OTEL_TRACES_SAMPLER`).
public enum Sampler: Sendable, Equatable {
    case alwaysOn
    case alwaysOff
    /// Samples this fraction of traces, decided from the trace id (so all spans of a trace agree).
    case traceIDRatio(Double)
    /// Follows a sampled or unsampled parent; uses `root` for spans without a parent.
    indirect case parentBased(root: Sampler)

    /// Whether a span in `traceID` with `parent` is sampled.
    @inlinable
    public func shouldSample(traceID: TraceID, parent: SpanContext?) -> Bool {
        // The default sampler with a parent: decided inline, on every child span's path.
        if case .parentBased = self, let parent { return parent.isSampled }
        return decide(traceID: traceID)
    }

    /// The decision from the trace id alone: for a span without a parent, or by a sampler that
    /// does not look at the parent.
    @usableFromInline
    func decide(traceID: TraceID) -> Bool {
        switch self {
        case .alwaysOn: return true
        case .alwaysOff: return false
        case .traceIDRatio(let ratio):
            guard ratio < 1 else { return true }
            guard ratio > 0 else { return false }
            // The spec's rule: compare the trace id's low 8 bytes with ratio * 2^63.
            let bound = UInt64(ratio * Double(UInt64(1) << 63))
            return (traceID.low >> 1) < bound
        case .parentBased(let root):
            return root.decide(traceID: traceID)
        }
    }

    /// Reads `OTEL_TRACES_SAMPLER` and `OTEL_TRACES_SAMPLER_ARG` (default `parentbased_always_on`).
    public static func fromEnvironment(_ env: EnvironmentReader) -> Sampler {
        let ratio: () -> Double = {
            guard let text = env.string("OTEL_TRACES_SAMPLER_ARG") else { return 1 }
            guard let value = Double(text), (0...1).contains(value) else {
                env.invalid("OTEL_TRACES_SAMPLER_ARG", text, expected: "a number in [0, 1]", fallback: "1.0")
                return 1
            }
            return value
        }
        guard let name = env.string("OTEL_TRACES_SAMPLER") else { return .parentBased(root: .alwaysOn) }
        switch name.lowercased() {
        case "always_on": return .alwaysOn
        case "always_off": return .alwaysOff
        case "traceidratio": return .traceIDRatio(ratio())
        case "parentbased_always_on": return .parentBased(root: .alwaysOn)
        case "parentbased_always_off": return .parentBased(root: .alwaysOff)
        case "parentbased_traceidratio": return .parentBased(root: .traceIDRatio(ratio()))
        default:
            env.invalid("OTEL_TRACES_SAMPLER", name,
                        expected: "always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off or parentbased_traceidratio",
                        fallback: "parentbased_always_on")
            return .parentBased(root: .alwaysOn)
        }
    }
}
