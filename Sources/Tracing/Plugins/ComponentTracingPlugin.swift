import OTLPExport
import Tracing

private typealias N = SemanticNames

/// Emits the application spans, as the GenAI agent conventions shape them:
/// - `invoke_agent {name}` for a session (operation `invoke_agent`, the session as agent and
///   conversation), the root of the session's trace;
/// - `start_session`, its first child, around start-up;
/// - `invoke_workflow {component type}` for every component run (an `action`), under the session
///   or the caller's span.
public final class ComponentTracingPlugin: Plugin {
    public let name = "component_tracing"
    public let priority = 1041
    public let closesSpans = true
    public let hooks: Set<HookType> = [.sessionPreInit, .sessionPostInit, .sessionCleanup,
                                       .componentPreExecute, .componentPostSuccess, .componentPostError]
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

    public func sessionPreInit(_ p: inout SessionPreInitPayload) throws {
        guard let session = p.sessionID else { return }
        // One session, one trace: the session span starts first, start-up runs inside it.
        let span = core.startSpan("\(N.Operation.invokeAgent) \(p.name)", parent: p.context.spanContext)
        span.appendAttribute(N.GenAI.operationName, .string(N.Operation.invokeAgent))
        if !p.provider.isEmpty { span.appendAttribute(N.GenAI.providerName, .string(p.provider)) }
        span.appendAttribute(N.GenAI.agentName, .string(p.name))
        span.appendAttribute(N.GenAI.agentID, .string(session))
        span.appendAttribute(N.GenAI.conversationID, .string(session))
        span.appendAttribute(N.Mellea.sessionID, .string(session))
        if openInference {
            span.appendAttribute(N.OpenInference.spanKind, "AGENT")
            span.appendAttribute(N.OpenInference.sessionID, .string(session))
        }
        spans.insert(span, for: "session:\(session)")
        let startup = core.startSpan("start_session", parent: span.context)
        startup.appendAttribute(N.GenAI.conversationID, .string(session))
        startup.appendAttribute(N.Mellea.sessionID, .string(session))
        startup.appendAttribute(N.Mellea.sessionBackendName, .string(p.backendName))
        spans.insert(startup, for: "startup:\(session)")
        p.context.spanContext = startup.context
    }

    public func sessionPostInit(_ p: inout SessionPostInitPayload) throws {
        guard let session = p.sessionID else { return }
        spans.remove("startup:\(session)")?.end()
        spans.withSpan("session:\(session)") { span in p.context.spanContext = span.context }
    }

    public func sessionCleanup(_ p: inout SessionCleanupPayload) throws {
        guard let session = p.sessionID else { return }
        // A start-up that never finished (a plugin refused it) ends here too.
        if let startup = spans.remove("startup:\(session)") {
            startup.recordError(type: p.errorType ?? "start_failed", description: "session start-up did not complete")
            startup.end()
        }
        guard let span = spans.remove("session:\(session)") else { return }
        span.setAttribute(N.Mellea.sessionInteractionCount, .int(Int64(p.interactionCount)))
        // The agent's totals, as the conventions recommend on invoke_agent (cache counts are left
        // out: summed across calls they mislead).
        if let tokens = p.usage.inputTokens { span.setAttribute(N.GenAI.usageInputTokens, .int(Int64(tokens))) }
        if let tokens = p.usage.outputTokens { span.setAttribute(N.GenAI.usageOutputTokens, .int(Int64(tokens))) }
        if !p.finishReasons.isEmpty { span.setAttribute(N.GenAI.responseFinishReasons, .stringArray(p.finishReasons)) }
        // The session's input and output, as trace lists show them: the first request, the last answer.
        if let first = p.history.first(where: { $0.role == "user" }) {
            if content.onSpans { span.setAttribute(N.GenAI.inputMessages, .string(content.inputMessages([first]))) }
            if openInference, let text = content.text(first.content) { span.setAttribute(N.OpenInference.inputValue, .string(text)) }
        }
        if let last = p.history.last(where: { $0.role == "assistant" && $0.toolCalls.isEmpty }) {
            if content.onSpans {
                span.setAttribute(N.GenAI.outputMessages, .string(content.outputMessages(GenerationResult(text: last.content))))
            }
            if openInference, let text = content.text(last.content) { span.setAttribute(N.OpenInference.outputValue, .string(text)) }
        }
        if let error = p.errorType { span.recordError(type: error, description: "\(error) ended the session") }
        span.end()
    }

    public func componentPreExecute(_ p: inout ComponentPreExecutePayload) throws {
        let span = core.startSpan("\(N.Operation.invokeWorkflow) \(p.componentType)", parent: p.context.spanContext)
        span.appendAttribute(N.GenAI.operationName, .string(N.Operation.invokeWorkflow))
        span.appendAttribute(N.GenAI.workflowName, .string(p.componentType))
        span.appendAttribute(N.Mellea.componentType, .string(p.componentType))
        span.appendAttribute(N.Mellea.actionHasRequirements, .bool(!p.requirements.isEmpty))
        span.appendAttribute(N.Mellea.actionHasFormat, .bool(p.format != .text))
        span.appendAttribute(N.Mellea.actionToolCalls, .bool(p.toolCallsEnabled))
        if let session = p.sessionID { span.appendAttribute(N.GenAI.conversationID, .string(session)) }
        if openInference {
            span.appendAttribute(N.OpenInference.spanKind, "CHAIN")
            if let text = content.text(p.text) { span.appendAttribute(N.OpenInference.inputValue, .string(text)) }
        }
        spans.insert(span, for: "action:\(p.actionID)")
        p.context.spanContext = span.context
    }

    public func componentPostSuccess(_ p: inout ComponentPostSuccessPayload) throws {
        guard let span = spans.remove("action:\(p.actionID)") else { return }
        span.setAttribute(N.Mellea.actionGenerationCount, .int(Int64(p.generationCount)))
        span.setAttribute(N.Mellea.actionResponseLength, .int(Int64(p.result.text.count)))
        if let met = p.requirementsMet { span.setAttribute(N.Mellea.actionRequirementsMet, .bool(met)) }
        if content.onSpans { span.setAttribute(N.GenAI.outputMessages, .string(content.outputMessages(p.result))) }
        if openInference, let text = content.text(p.result.text) { span.setAttribute(N.OpenInference.outputValue, .string(text)) }
        span.end()
    }

    public func componentPostError(_ p: inout ComponentPostErrorPayload) throws {
        guard let span = spans.remove("action:\(p.actionID)") else { return }
        if p.cancelled {
            span.setAttribute(N.Mellea.endReason, "cancelled")
        } else {
            span.recordError(type: p.errorType, description: content.text(p.errorDescription) ?? "\(p.errorType) (details not recorded)")
        }
        span.end()
    }
}
