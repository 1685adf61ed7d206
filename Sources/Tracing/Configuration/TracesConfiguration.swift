import OTLPExport

/// The design's own switches (`MELLEA_TRACES_*`) on top of the standard `OTEL_*` variables.
public struct TracesConfiguration: Sendable, Equatable {
    /// `MELLEA_TRACES_ENABLED`: the umbrella switch; nothing is traced without it.
    public var enabled = false
    /// `MELLEA_TRACES_OTLP`: export over OTLP/gRPC.
    public var otlp = false
    /// `MELLEA_TRACES_CONSOLE`: print spans.
    public var console = false
    /// `MELLEA_TRACES_CONTENT`, or `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT` set to
    /// `true`, `SPAN_ONLY` or `SPAN_AND_EVENT`: record prompts and responses on spans. Off by default.
    public var captureContent = false
    /// `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT` set to `EVENT_ONLY` or `SPAN_AND_EVENT`:
    /// record each model call's content in a `gen_ai.client.inference.operation.details` event.
    public var contentEvents = false
    /// `MELLEA_TRACES_OPENINFERENCE`: also write the OpenInference attributes Arize-style viewers
    /// read (`openinference.span.kind`; `input.value`/`output.value` with content capture on).
    public var openInference = false
    /// `MELLEA_GENERATION_CHUNK_EVENTS`: a span event per streamed chunk (capped per span).
    public var chunkEvents = false
    /// `MELLEA_GENERATION_MAX_CHUNK_EVENTS`: chunk events per span at most (default 128).
    public var maxChunkEventsPerSpan = 128
    /// `MELLEA_TRACES_CONTENT_MAX_LENGTH`: longest captured text, in characters (default 8192).
    public var contentMaxLength = 8192
    /// `MELLEA_TRACES_MAX_IN_FLIGHT_SPANS`: spans open across hooks at most (default 10000);
    /// beyond it the oldest is ended as abandoned, so a leak can never grow without bound.
    public var maxInFlightSpans = 10_000

    /// Everything off.
    public init() {}

    /// The old singular names, accepted for one release with a deprecation warning.
    static let deprecatedNames = [
        ("MELLEA_TRACE_ENABLED", "MELLEA_TRACES_ENABLED"), ("MELLEA_TRACE_OTLP", "MELLEA_TRACES_OTLP"),
        ("MELLEA_TRACE_CONSOLE", "MELLEA_TRACES_CONSOLE"), ("MELLEA_TRACE_CONTENT", "MELLEA_TRACES_CONTENT"),
        ("MELLEA_TRACE_APPLICATION", "MELLEA_TRACES_ENABLED"), ("MELLEA_TRACE_BACKEND", "MELLEA_TRACES_ENABLED"),
    ]

    /// Reads the switches; a deprecated name works (if the new one is unset) and warns, naming the new one.
    public static func fromEnvironment(_ env: EnvironmentReader) -> TracesConfiguration {
        func flag(_ name: String) -> Bool {
            if env.string(name) != nil { return env.bool(name) }
            for (old, new) in deprecatedNames where new == name && env.string(old) != nil {
                env.diagnostics.report(.warning, "\(old) is deprecated and will be removed in the next release: use \(new)")
                return env.bool(old)
            }
            return false
        }
        var config = TracesConfiguration()
        config.enabled = flag("MELLEA_TRACES_ENABLED")
        config.otlp = flag("MELLEA_TRACES_OTLP")
        config.console = flag("MELLEA_TRACES_CONSOLE")
        let mode = contentMode(env)
        config.captureContent = flag("MELLEA_TRACES_CONTENT") || mode.spans
        config.contentEvents = mode.events
        config.openInference = flag("MELLEA_TRACES_OPENINFERENCE")
        config.chunkEvents = flag("MELLEA_GENERATION_CHUNK_EVENTS")
        config.maxChunkEventsPerSpan = env.integer("MELLEA_GENERATION_MAX_CHUNK_EVENTS", default: 128, range: 0...100_000)
        config.contentMaxLength = env.integer("MELLEA_TRACES_CONTENT_MAX_LENGTH", default: 8192, range: 16...Int(Int32.max))
        config.maxInFlightSpans = env.integer("MELLEA_TRACES_MAX_IN_FLIGHT_SPANS", default: 10_000, range: 1...Int(Int32.max))
        return config
    }

    /// `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`: where content goes. `true` and
    /// `SPAN_ONLY` put it on spans, `EVENT_ONLY` in events, `SPAN_AND_EVENT` in both; `false` and
    /// `NO_CONTENT` nowhere.
    private static func contentMode(_ env: EnvironmentReader) -> (spans: Bool, events: Bool) {
        let name = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
        guard let value = env.string(name) else { return (false, false) }
        switch value.uppercased() {
        case "TRUE", "SPAN_ONLY": return (true, false)
        case "SPAN_AND_EVENT": return (true, true)
        case "EVENT_ONLY": return (false, true)
        case "FALSE", "NO_CONTENT": return (false, false)
        default:
            env.invalid(name, value, expected: "true, false, NO_CONTENT, SPAN_ONLY, EVENT_ONLY or SPAN_AND_EVENT",
                        fallback: "no content")
            return (false, false)
        }
    }
}
