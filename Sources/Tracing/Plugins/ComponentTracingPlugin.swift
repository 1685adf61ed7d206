import OTLPExport
import Tracing

/// Emits the application spans: `start_session` (start-up), `session` (linked to it), and
/// `action` for every component run in between.
public final class ComponentTracingPlugin: Plugin {
    public let name = "component_tracing"
    public let priority = 1041
    public let closesSpans = true
    public let hooks: Set<HookType> = [.sessionPreInit, .sessionPostInit, .sessionCleanup,
                                       .componentPreExecute, .componentPostSuccess, .componentPostError]
    private let core: TracerCore
    private let spans: InFlightSpans
    private let content: ContentCapture

    /// Creates the plugin over a tracer core and the shared in-flight map.
    public init(core: TracerCore, spans: InFlightSpans, content: ContentCapture) {
        self.core = core
        self.spans = spans
        self.content = content
    }

    public func sessionPreInit(_ p: inout SessionPreInitPayload) throws {
        guard let session = p.sessionID else { return }
        let span = core.startSpan("start_session", parent: p.context.spanContext)
        span.appendAttribute("mellea.session.id", .string(session))
        span.appendAttribute("mellea.session.backend_name", .string(p.backendName))
        span.appendAttribute("gen_ai.request.model", .string(p.modelID))
        spans.insert(span, for: "startup:\(session)")
        p.context.spanContext = span.context
    }

    public func sessionPostInit(_ p: inout SessionPostInitPayload) throws {
        guard let session = p.sessionID else { return }
        let startup = spans.remove("startup:\(session)")
        startup?.end()
        let span = core.startSpan("session", parent: p.context.spanContext)
        span.appendAttribute("mellea.session.id", .string(session))
        span.appendAttribute("gen_ai.conversation.id", .string(session))
        span.appendAttribute("gen_ai.provider.name", .string(p.provider))
        if let startup { span.addLink(startup.context, attributes: [Attribute("mellea.link.type", "start_session")]) }
        spans.insert(span, for: "session:\(session)")
        p.context.spanContext = span.context
    }

    public func sessionCleanup(_ p: inout SessionCleanupPayload) throws {
        guard let session = p.sessionID else { return }
        // A start-up that never finished (a plugin refused it) ends here too.
        if let startup = spans.remove("startup:\(session)") {
            startup.recordError(type: p.errorType ?? "start_failed", description: "session start-up did not complete")
            startup.end()
        }
        guard let span = spans.remove("session:\(session)") else { return }
        span.setAttribute("mellea.session.interaction_count", .int(Int64(p.interactionCount)))
        if let error = p.errorType { span.recordError(type: error, description: "\(error) ended the session") }
        span.end()
    }

    public func componentPreExecute(_ p: inout ComponentPreExecutePayload) throws {
        let span = core.startSpan("action", parent: p.context.spanContext)
        span.appendAttribute("mellea.component.type", .string(p.componentType))
        span.appendAttribute("mellea.action.has_requirements", .bool(!p.requirements.isEmpty))
        span.appendAttribute("mellea.action.has_format", .bool(p.format != .text))
        span.appendAttribute("mellea.action.tool_calls", .bool(p.toolCallsEnabled))
        if let session = p.sessionID { span.appendAttribute("gen_ai.conversation.id", .string(session)) }
        spans.insert(span, for: "action:\(p.actionID)")
        p.context.spanContext = span.context
    }

    public func componentPostSuccess(_ p: inout ComponentPostSuccessPayload) throws {
        guard let span = spans.remove("action:\(p.actionID)") else { return }
        span.setAttribute("mellea.action.num_generate_logs", .int(Int64(p.generationCount)))
        span.setAttribute("mellea.action.response_length", .int(Int64(p.result.text.count)))
        if let response = content.text(p.result.text) { span.setAttribute("mellea.action.response", .string(response)) }
        span.end()
    }

    public func componentPostError(_ p: inout ComponentPostErrorPayload) throws {
        guard let span = spans.remove("action:\(p.actionID)") else { return }
        span.recordError(type: p.errorType, description: content.text(p.errorDescription) ?? "\(p.errorType) (details not recorded)")
        span.end()
    }
}
