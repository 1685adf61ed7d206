import OTLPExport
import Tracing

private typealias N = SemanticNames

/// Emits the `stream` span around a streamed generation (the streaming `chat` span nests under
/// it), with `mellea.stream.first_chunk` and `mellea.stream.completed` events, and the end recorded
/// however the stream ends: completed, failed (ERROR), stopped by a failed requirement (ERROR), or
/// stopped by its consumer (not an error: `mellea.end_reason` says so).
public final class StreamingTracingPlugin: Plugin {
    public let name = "streaming_tracing"
    public let priority = 1042
    public let closesSpans = true
    public let hooks: Set<HookType> = [.streamingStart, .streamingEvent, .streamingEnd]
    private let core: TracerCore
    private let spans: InFlightSpans
    private let content: ContentCapture
    private let openInference: Bool

    /// Creates the plugin over a tracer core and the shared in-flight map.
    public init(core: TracerCore, spans: InFlightSpans, content: ContentCapture = ContentCapture(enabled: false),
                openInference: Bool = false) {
        self.core = core
        self.spans = spans
        self.content = content
        self.openInference = openInference
    }

    public func streamingStart(_ p: inout StreamingStartPayload) throws {
        let span = core.startSpan("stream", parent: p.context.spanContext)
        span.appendAttribute(N.Mellea.streamingRequirementCount, .int(Int64(p.requirementCount)))
        span.appendAttribute(N.Mellea.streamingChunkingStrategy, .string(p.chunkingStrategy))
        if let session = p.sessionID { span.appendAttribute(N.GenAI.conversationID, .string(session)) }
        if openInference {
            span.appendAttribute(N.OpenInference.spanKind, "CHAIN")
            if let text = content.text(p.inputText) { span.appendAttribute(N.OpenInference.inputValue, .string(text)) }
        }
        spans.insert(span, for: "stream:\(p.streamingID)")
        p.context.spanContext = span.context
    }

    public func streamingEvent(_ p: inout StreamingEventPayload) throws {
        let name: String
        switch p.event {
        case "first_chunk": name = N.Event.firstChunk
        case "completed": name = N.Event.streamCompleted
        default: return
        }
        spans.withSpan("stream:\(p.streamingID)") { span in
            span.addEvent(name, attributes: [Attribute(N.Mellea.chunkIndex, .int(Int64(p.chunkIndex))),
                                             Attribute(N.Mellea.streamingFullTextLength, .int(Int64(p.textLength)))])
        }
    }

    public func streamingEnd(_ p: inout StreamingEndPayload) throws {
        guard let span = spans.remove("stream:\(p.streamingID)") else { return }
        span.setAttribute(N.Mellea.streamingFullTextLength, .int(Int64(p.fullTextLength)))
        span.setAttribute(N.Mellea.streamingSuccess, .bool(p.success))
        if p.end != .completed { span.setAttribute(N.Mellea.endReason, .string(p.end.rawValue)) }
        if openInference, let text = content.text(p.fullText) { span.setAttribute(N.OpenInference.outputValue, .string(text)) }
        switch p.end {
        case .completed, .consumerStopped:
            break
        case .requirementFailed, .failed:
            let type = p.errorType ?? (p.end == .requirementFailed ? "requirement_failed" : "stream_failed")
            span.recordError(type: type, description: p.failureReason.flatMap(content.text) ?? "\(type) (details not recorded)")
        }
        span.end()
    }
}
