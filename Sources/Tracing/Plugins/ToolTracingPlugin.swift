import OTLPExport
import Tracing

private typealias N = SemanticNames

/// Emits `execute_tool {name}` spans (kind INTERNAL) under the span that asked for the tool.
public final class ToolTracingPlugin: Plugin {
    public let name = "tool_tracing"
    public let priority = 1043
    public let closesSpans = true
    public let hooks: Set<HookType> = [.toolPreInvoke, .toolPostInvoke]
    private let core: TracerCore
    private let spans: InFlightSpans
    private let content: ContentCapture
    private let openInference: Bool

    /// Creates the plugin over a tracer core and the shared in-flight map.
    public init(core: TracerCore, spans: InFlightSpans, content: ContentCapture, openInference: Bool = false) {
        self.core = core
        self.spans = spans
        self.content = content
        self.openInference = openInference
    }

    public func toolPreInvoke(_ p: inout ToolPreInvokePayload) throws {
        let span = core.startSpan("\(N.Operation.executeTool) \(p.toolCall.name)", parent: p.context.spanContext)
        span.appendAttribute(N.GenAI.operationName, .string(N.Operation.executeTool))
        span.appendAttribute(N.GenAI.toolName, .string(p.toolCall.name))
        span.appendAttribute(N.GenAI.toolCallID, .string(p.toolCall.id))
        span.appendAttribute(N.GenAI.toolType, "function")
        if !p.toolDescription.isEmpty { span.appendAttribute(N.GenAI.toolDescription, .string(p.toolDescription)) }
        if let arguments = content.text(p.toolCall.argumentsJSON) { span.appendAttribute(N.GenAI.toolCallArguments, .string(arguments)) }
        if let session = p.sessionID { span.appendAttribute(N.GenAI.conversationID, .string(session)) }
        if openInference { span.appendAttribute(N.OpenInference.spanKind, "TOOL") }
        spans.insert(span, for: "tool:\(p.toolInvocationID)")
        p.context.spanContext = span.context
    }

    public func toolPostInvoke(_ p: inout ToolPostInvokePayload) throws {
        guard let span = spans.remove("tool:\(p.toolInvocationID)") else { return }
        span.setAttribute(N.Mellea.toolExecutionTime, .double(p.executionMilliseconds))
        if p.success {
            if let output = p.output, let result = content.text(output) { span.setAttribute(N.GenAI.toolCallResult, .string(result)) }
        } else if p.errorType == "cancelled" {
            span.setAttribute(N.Mellea.endReason, "cancelled")
        } else {
            let type = p.errorType ?? "tool_error"
            span.recordError(type: type, description: "\(type) (details not recorded)")
        }
        span.end()
    }
}

