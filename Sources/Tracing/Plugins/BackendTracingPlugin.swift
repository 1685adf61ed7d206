import OTLPExport
import Tracing

/// Emits `chat {model}` spans for generations and `text_completion {model}` spans for batches,
/// with the GenAI semantic-convention attributes. The span is the current context while the back
/// end runs, so an HTTP client's spans nest under it.
public final class BackendTracingPlugin: Plugin {
    public let name = "backend_tracing"
    public let priority = 1040
    public let closesSpans = true
    public let hooks: Set<HookType> = [.generationPreCall, .generationPostCall, .generationError, .generationEvent,
                                       .generationBatchPreCall, .generationBatchPostCall, .generationBatchError]
    private let core: TracerCore
    private let spans: InFlightSpans
    private let content: ContentCapture

    /// Creates the plugin over a tracer core and the shared in-flight map.
    public init(core: TracerCore, spans: InFlightSpans, content: ContentCapture) {
        self.core = core
        self.spans = spans
        self.content = content
    }

    public func generationPreCall(_ p: inout GenerationPreCallPayload) throws {
        let span = startSpan(operation: "chat", model: p.model, provider: p.provider, isRemote: p.isRemote,
                             address: p.serverAddress, port: p.serverPort, parent: p.context.spanContext)
        setRequestOptions(span, p.modelOptions)
        if p.stream { span.appendAttribute("gen_ai.request.stream", .bool(true)) }
        if case .json = p.format { span.appendAttribute("gen_ai.output.type", "json") }
        if let session = p.sessionID { span.appendAttribute("gen_ai.conversation.id", .string(session)) }
        if let input = content.inputMessages(p.messages) { span.appendAttribute("gen_ai.input.messages", .string(input)) }
        if let system = content.systemInstructions(p.messages) { span.appendAttribute("gen_ai.system_instructions", .string(system)) }
        spans.insert(span, for: p.generationID)
        p.context.spanContext = span.context
    }

    public func generationEvent(_ p: inout GenerationEventPayload) throws {
        guard p.eventName == "first_chunk" else { return }
        spans.withSpan(p.generationID) { span in
            span.addEvent("gen_ai.content.first_token",
                          attributes: [Attribute("gen_ai.server.time_to_first_token", .double(p.secondsSinceStart))])
        }
    }

    public func generationPostCall(_ p: inout GenerationPostCallPayload) throws {
        guard let span = spans.remove(p.generationID) else { return }
        let metadata = p.result.metadata
        if let id = metadata.responseID { span.setAttribute("gen_ai.response.id", .string(id)) }
        if let model = metadata.responseModel { span.setAttribute("gen_ai.response.model", .string(model)) }
        if !metadata.finishReasons.isEmpty {
            span.setAttribute("gen_ai.response.finish_reasons", .stringArray(metadata.finishReasons))
        }
        if let ttfc = p.timeToFirstChunk { span.setAttribute("gen_ai.response.time_to_first_chunk", .double(ttfc)) }
        setUsage(span, metadata.usage)
        if let output = content.outputMessages(p.result.text, finishReason: metadata.finishReasons.first) {
            span.setAttribute("gen_ai.output.messages", .string(output))
        }
        span.end()
    }

    public func generationError(_ p: inout GenerationErrorPayload) throws {
        guard let span = spans.remove(p.generationID) else { return }
        if p.cancelled { span.setAttribute("gen_ai.response.finish_reasons", .stringArray(["error"])) }
        span.recordError(type: p.errorType, description: content.text(p.errorDescription) ?? "\(p.errorType) (details not recorded)")
        span.end()
    }

    public func generationBatchPreCall(_ p: inout GenerationBatchPreCallPayload) throws {
        let span = startSpan(operation: "text_completion", model: p.model, provider: p.provider, isRemote: p.isRemote,
                             address: p.serverAddress, port: p.serverPort, parent: p.context.spanContext)
        setRequestOptions(span, p.modelOptions)
        span.appendAttribute("mellea.request.num_actions", .int(Int64(p.prompts.count)))
        if let session = p.sessionID { span.appendAttribute("gen_ai.conversation.id", .string(session)) }
        spans.insert(span, for: p.generationID)
        p.context.spanContext = span.context
    }

    public func generationBatchPostCall(_ p: inout GenerationBatchPostCallPayload) throws {
        guard let span = spans.remove(p.generationID) else { return }
        setUsage(span, p.usage)
        span.end()
    }

    public func generationBatchError(_ p: inout GenerationBatchErrorPayload) throws {
        guard let span = spans.remove(p.generationID) else { return }
        span.recordError(type: p.errorType, description: content.text(p.errorDescription) ?? "\(p.errorType) (details not recorded)")
        span.end()
    }

    /// Starts the span with the attributes that sampling may use, all set at creation.
    private func startSpan(operation: String, model: String, provider: String, isRemote: Bool,
                           address: String?, port: Int?, parent: SpanContext?) -> SpanBuilder {
        let span = core.startSpan("\(operation) \(model)", kind: isRemote ? .client : .internal, parent: parent)
        span.appendAttribute("gen_ai.operation.name", .string(operation))
        span.appendAttribute("gen_ai.provider.name", .string(provider))
        span.appendAttribute("gen_ai.request.model", .string(model))
        if let address {
            span.appendAttribute("server.address", .string(address))
            if let port { span.appendAttribute("server.port", .int(Int64(port))) }
        }
        return span
    }

    private func setRequestOptions(_ span: SpanBuilder, _ o: ModelOptions) {
        if let v = o.temperature { span.appendAttribute("gen_ai.request.temperature", .double(v)) }
        if let v = o.topP { span.appendAttribute("gen_ai.request.top_p", .double(v)) }
        if let v = o.topK { span.appendAttribute("gen_ai.request.top_k", .int(Int64(v))) }
        if let v = o.maxTokens { span.appendAttribute("gen_ai.request.max_tokens", .int(Int64(v))) }
        if let v = o.frequencyPenalty { span.appendAttribute("gen_ai.request.frequency_penalty", .double(v)) }
        if let v = o.presencePenalty { span.appendAttribute("gen_ai.request.presence_penalty", .double(v)) }
        if let v = o.stopSequences { span.appendAttribute("gen_ai.request.stop_sequences", .stringArray(v)) }
        if let v = o.seed { span.appendAttribute("gen_ai.request.seed", .int(Int64(v))) }
        if let v = o.choiceCount, v != 1 { span.appendAttribute("gen_ai.request.choice.count", .int(Int64(v))) }
    }

    private func setUsage(_ span: SpanBuilder, _ usage: TokenUsage) {
        if let v = usage.inputTokens { span.setAttribute("gen_ai.usage.input_tokens", .int(Int64(v))) }
        if let v = usage.outputTokens { span.setAttribute("gen_ai.usage.output_tokens", .int(Int64(v))) }
        if let v = usage.cacheReadInputTokens { span.setAttribute("gen_ai.usage.cache_read.input_tokens", .int(Int64(v))) }
        if let v = usage.cacheWriteInputTokens { span.setAttribute("gen_ai.usage.cache_write.input_tokens", .int(Int64(v))) }
        if let v = usage.reasoningOutputTokens { span.setAttribute("gen_ai.usage.reasoning.output_tokens", .int(Int64(v))) }
    }
}
