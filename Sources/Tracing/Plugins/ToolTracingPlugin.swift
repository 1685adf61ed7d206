import OTLPExport
import Tracing

/// Emits `execute_tool {name}` spans (kind INTERNAL) under the span that asked for the tool.
public final class ToolTracingPlugin: Plugin {
    public let name = "tool_tracing"
    public let priority = 1043
    public let closesSpans = true
    public let hooks: Set<HookType> = [.toolPreInvoke, .toolPostInvoke]
    private let core: TracerCore
    private let spans: InFlightSpans
    private let content: ContentCapture

    /// Creates the plugin over a tracer core and the shared in-flight map.
    public init(core: TracerCore, spans: InFlightSpans, content: ContentCapture) {
        self.core = core
        self.spans = spans
        self.content = content
    }

    public func toolPreInvoke(_ p: inout ToolPreInvokePayload) throws {
        let span = core.startSpan("execute_tool \(p.toolCall.name)", parent: p.context.spanContext)
        span.appendAttribute("gen_ai.operation.name", "execute_tool")
        span.appendAttribute("gen_ai.tool.name", .string(p.toolCall.name))
        span.appendAttribute("gen_ai.tool.call.id", .string(p.toolCall.id))
        span.appendAttribute("gen_ai.tool.type", "function")
        if !p.toolDescription.isEmpty { span.appendAttribute("gen_ai.tool.description", .string(p.toolDescription)) }
        if let arguments = content.text(p.toolCall.argumentsJSON) { span.appendAttribute("gen_ai.tool.call.arguments", .string(arguments)) }
        if let session = p.sessionID { span.appendAttribute("gen_ai.conversation.id", .string(session)) }
        spans.insert(span, for: "tool:\(p.toolInvocationID)")
        p.context.spanContext = span.context
    }

    public func toolPostInvoke(_ p: inout ToolPostInvokePayload) throws {
        guard let span = spans.remove("tool:\(p.toolInvocationID)") else { return }
        span.setAttribute("mellea.tool.execution_time_ms", .double(p.executionMilliseconds))
        if p.success {
            if let output = p.output, let result = content.text(output) { span.setAttribute("gen_ai.tool.call.result", .string(result)) }
        } else {
            let type = p.errorType ?? "tool_error"
            span.recordError(type: type, description: "\(type) (details not recorded)")
        }
        span.end()
    }
}

/// Emits the `stream` span around a streamed generation, with `chunk` events counted and the
/// end recorded however the stream ends (completed, failed, cancelled or abandoned).
public final class StreamingTracingPlugin: Plugin {
    public let name = "streaming_tracing"
    public let priority = 1042
    public let closesSpans = true
    public let hooks: Set<HookType> = [.streamingStart, .streamingEnd]
    private let core: TracerCore
    private let spans: InFlightSpans

    /// Creates the plugin over a tracer core and the shared in-flight map.
    public init(core: TracerCore, spans: InFlightSpans) {
        self.core = core
        self.spans = spans
    }

    public func streamingStart(_ p: inout StreamingStartPayload) throws {
        let span = core.startSpan("stream", parent: p.context.spanContext)
        span.appendAttribute("mellea.streaming.requirement_count", .int(Int64(p.requirementCount)))
        span.appendAttribute("mellea.streaming.chunking_strategy", .string(p.chunkingStrategy))
        spans.insert(span, for: "stream:\(p.streamingID)")
        p.context.spanContext = span.context
    }

    public func streamingEnd(_ p: inout StreamingEndPayload) throws {
        guard let span = spans.remove("stream:\(p.streamingID)") else { return }
        span.setAttribute("mellea.streaming.full_text_length", .int(Int64(p.fullTextLength)))
        span.setAttribute("mellea.streaming.success", .bool(p.success))
        span.setAttribute("gen_ai.request.model", .string(p.model))
        span.setAttribute("gen_ai.provider.name", .string(p.provider))
        if !p.success {
            let type = p.errorType ?? "stream_failed"
            span.recordError(type: type, description: p.failureReason ?? type)
        }
        span.end()
    }
}
