/// Which exporters `OTEL_TRACES_EXPORTER` asks for, and whether `OTEL_SDK_DISABLED` turns tracing off.
public struct TracesExporterSelection: Sendable, Equatable {
    /// One exporter kind.
    public enum Kind: String, Sendable, CaseIterable { case otlp, console }

    /// The exporters to build, without duplicates, in the order given. Empty means none.
    public var kinds: [Kind]
    /// `OTEL_SDK_DISABLED=true`: build nothing at all.
    public var sdkDisabled: Bool

    /// Creates a selection.
    public init(kinds: [Kind] = [.otlp], sdkDisabled: Bool = false) {
        self.kinds = kinds
        self.sdkDisabled = sdkDisabled
    }

    /// The exporters that will actually run (none when the SDK is disabled).
    public var effectiveKinds: [Kind] { sdkDisabled ? [] : kinds }

    /// Reads `OTEL_TRACES_EXPORTER` (default `otlp`; `none`; comma lists such as `otlp,console`;
    /// the deprecated `logging` means `console`) and `OTEL_SDK_DISABLED`.
    public static func fromEnvironment(_ env: EnvironmentReader = EnvironmentReader()) -> TracesExporterSelection {
        var selection = TracesExporterSelection(sdkDisabled: env.bool("OTEL_SDK_DISABLED"))
        guard let value = env.string("OTEL_TRACES_EXPORTER") else { return selection }
        var kinds: [Kind] = []
        var sawNone = false
        var unsupported: [String] = []
        for entry in value.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) {
            switch entry {
            case "none": sawNone = true
            case "logging":
                env.diagnostics.report(.warning, "OTEL_TRACES_EXPORTER='logging' is deprecated: use 'console'")
                if !kinds.contains(.console) { kinds.append(.console) }
            case "": continue
            default:
                if let kind = Kind(rawValue: entry) {
                    if !kinds.contains(kind) { kinds.append(kind) }
                } else {
                    unsupported.append(entry)
                }
            }
        }
        let expected = "a comma list of otlp, console or none"
        if kinds.isEmpty && !sawNone && unsupported.isEmpty {
            // Only separators and blanks: no choice was made, so the default stands.
            env.invalid("OTEL_TRACES_EXPORTER", value, expected: expected, fallback: "otlp")
            return selection
        }
        if !unsupported.isEmpty {
            let remaining = kinds.isEmpty ? "no exporter: spans are not exported" : kinds.map(\.rawValue).joined(separator: ",")
            env.invalid("OTEL_TRACES_EXPORTER", value,
                        expected: "\(expected) (\(unsupported.map { "'\($0)'" }.joined(separator: ", ")) not supported)",
                        fallback: remaining)
        }
        if sawNone && !kinds.isEmpty {
            env.diagnostics.report(.warning, "OTEL_TRACES_EXPORTER='\(value)' mixes 'none' with exporters: 'none' is ignored")
        }
        selection.kinds = kinds
        return selection
    }
}
