import OTLPExport
import Tracing

private typealias N = SemanticNames

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
    private let openInference: Bool
    private let chunkEvents: ChunkEvents
    /// Content kept from pre-call to the end for the details event (only when content goes in events).
    private let pendingEvents = Locked<[String: (messages: String, tools: String?)]>([:])

    /// Per-chunk span events of streamed generations: off unless `MELLEA_GENERATION_CHUNK_EVENTS=true`.
    public struct ChunkEvents: Sendable {
        /// Whether each chunk becomes a `mellea.stream.chunk` event.
        public var enabled: Bool
        /// Chunk events per span at most; the rest are counted in `mellea.stream.dropped_chunk_events`.
        public var maxPerSpan: Int
        /// Creates the switch.
        public init(enabled: Bool = false, maxPerSpan: Int = 128) {
            self.enabled = enabled
            self.maxPerSpan = max(0, maxPerSpan)
        }
    }

    /// Creates the plugin over a tracer core and the shared in-flight map.
    public init(core: TracerCore, spans: InFlightSpans, content: ContentCapture, openInference: Bool = false,
                chunkEvents: ChunkEvents = ChunkEvents()) {
        self.core = core
        self.spans = spans
        self.content = content
        self.openInference = openInference
        self.chunkEvents = chunkEvents
    }

    public func generationPreCall(_ p: inout GenerationPreCallPayload) throws {
        let span = startSpan(operation: N.Operation.chat, model: p.model, provider: p.provider, isRemote: p.isRemote,
                             address: p.serverAddress, port: p.serverPort, parent: p.context.spanContext)
        setRequestOptions(span, p.modelOptions)
        if p.stream { span.appendAttribute(N.GenAI.requestStream, .bool(true)) }
        if p.format != .text { span.appendAttribute(N.GenAI.outputType, "json") }
        if let session = p.sessionID { span.appendAttribute(N.GenAI.conversationID, .string(session)) }
        if openInference { span.appendAttribute(N.OpenInference.spanKind, "LLM") }
        if content.enabled {
            let input = content.inputMessages(p.messages)
            let tools = p.tools.isEmpty ? nil : content.toolDefinitions(p.tools)
            if content.onSpans {
                span.appendAttribute(N.GenAI.inputMessages, .string(input))
                if let tools { span.appendAttribute(N.GenAI.toolDefinitions, .string(tools)) }
            }
            if content.inEvents { pendingEvents.withLock { $0[p.generationID] = (input, tools) } }
        }
        spans.insert(span, for: p.generationID)
        p.context.spanContext = span.context
    }

    public func generationEvent(_ p: inout GenerationEventPayload) throws {
        switch p.eventName {
        case "first_chunk":
            spans.withSpan(p.generationID) { span in
                span.addEvent(N.Event.firstChunk, attributes: [
                    Attribute(N.GenAI.responseTimeToFirstChunk, .double(p.secondsSinceStart))])
            }
        case "chunk" where chunkEvents.enabled:
            spans.withSpan(p.generationID) { span in
                // Capped per span: a long stream must not turn into an unbounded event list.
                if p.chunkIndex < chunkEvents.maxPerSpan {
                    span.addEvent(N.Event.chunk, attributes: [
                        Attribute(N.Mellea.chunkIndex, .int(Int64(p.chunkIndex))),
                        Attribute(N.Mellea.chunkTextLength, .int(Int64(p.chunkTextLength))),
                    ])
                } else {
                    span.setAttribute(N.Mellea.droppedChunkEvents, .int(Int64(p.chunkIndex + 1 - chunkEvents.maxPerSpan)))
                }
            }
        default:
            return
        }
    }

    public func generationPostCall(_ p: inout GenerationPostCallPayload) throws {
        // Only with content in events: otherwise no lock is taken at the end of every call.
        let eventContent = content.inEvents ? pendingEvents.withLock { $0.removeValue(forKey: p.generationID) } : nil
        guard let span = spans.remove(p.generationID) else { return }
        let metadata = p.result.metadata
        if let id = metadata.responseID { span.setAttribute(N.GenAI.responseID, .string(id)) }
        if let model = metadata.responseModel { span.setAttribute(N.GenAI.responseModel, .string(model)) }
        let reasons = metadata.finishReasons.isEmpty
            ? [ContentCapture.finishReason(nil, hasToolCalls: !p.result.toolCalls.isEmpty)] : metadata.finishReasons
        span.setAttribute(N.GenAI.responseFinishReasons, .stringArray(reasons))
        if let ttfc = p.timeToFirstChunk { span.setAttribute(N.GenAI.responseTimeToFirstChunk, .double(ttfc)) }
        setUsage(span, metadata.usage)
        if content.enabled {
            let output = content.outputMessages(p.result)
            if content.onSpans { span.setAttribute(N.GenAI.outputMessages, .string(output)) }
            if content.inEvents { addDetailsEvent(span, input: eventContent, output: output) }
        }
        span.end()
    }

    public func generationError(_ p: inout GenerationErrorPayload) throws {
        // Only with content in events: otherwise no lock is taken at the end of every call.
        let eventContent = content.inEvents ? pendingEvents.withLock { $0.removeValue(forKey: p.generationID) } : nil
        guard let span = spans.remove(p.generationID) else { return }
        span.setAttribute(N.GenAI.responseFinishReasons, .stringArray(["error"]))
        if p.cancelled {
            // Stopped on purpose (a consumer that stops reading, a losing sampling attempt): not an error.
            span.setAttribute(N.Mellea.endReason, "cancelled")
        } else {
            span.recordError(type: p.errorType, description: content.text(p.errorDescription) ?? "\(p.errorType) (details not recorded)")
        }
        if content.inEvents { addDetailsEvent(span, input: eventContent, output: nil) }
        span.end()
    }

    /// The conventions' `gen_ai.client.inference.operation.details` event: the call's identity and
    /// outcome with its content, for back ends that read content from events.
    private func addDetailsEvent(_ span: SpanBuilder, input: (messages: String, tools: String?)?, output: String?) {
        var attributes: [Attribute] = []
        for key in [N.GenAI.operationName, N.GenAI.providerName, N.GenAI.requestModel, N.GenAI.responseID,
                    N.GenAI.responseModel, N.GenAI.responseFinishReasons, N.GenAI.usageInputTokens,
                    N.GenAI.usageOutputTokens, "error.type"] {
            if let value = span.attribute(key) { attributes.append(Attribute(key, value)) }
        }
        if let input {
            attributes.append(Attribute(N.GenAI.inputMessages, .string(input.messages)))
            if let tools = input.tools { attributes.append(Attribute(N.GenAI.toolDefinitions, .string(tools))) }
        }
        if let output { attributes.append(Attribute(N.GenAI.outputMessages, .string(output))) }
        span.addEvent(N.Event.inferenceDetails, attributes: attributes)
    }

    public func generationBatchPreCall(_ p: inout GenerationBatchPreCallPayload) throws {
        let span = startSpan(operation: N.Operation.textCompletion, model: p.model, provider: p.provider, isRemote: p.isRemote,
                             address: p.serverAddress, port: p.serverPort, parent: p.context.spanContext)
        setRequestOptions(span, p.modelOptions)
        span.appendAttribute(N.Mellea.requestNumActions, .int(Int64(p.prompts.count)))
        if let session = p.sessionID { span.appendAttribute(N.GenAI.conversationID, .string(session)) }
        if openInference { span.appendAttribute(N.OpenInference.spanKind, "LLM") }
        if content.onSpans {
            span.appendAttribute(N.GenAI.inputMessages, .string(content.inputMessages(p.prompts.map { .user($0) })))
        }
        spans.insert(span, for: p.generationID)
        p.context.spanContext = span.context
    }

    public func generationBatchPostCall(_ p: inout GenerationBatchPostCallPayload) throws {
        guard let span = spans.remove(p.generationID) else { return }
        setUsage(span, p.usage)
        if content.onSpans {
            let outputs = p.outputs.map { content.outputMessages(GenerationResult(text: $0)).dropFirst().dropLast() }
            span.setAttribute(N.GenAI.outputMessages, .string("[" + outputs.joined(separator: ",") + "]"))
        }
        span.end()
    }

    public func generationBatchError(_ p: inout GenerationBatchErrorPayload) throws {
        guard let span = spans.remove(p.generationID) else { return }
        span.setAttribute(N.GenAI.responseFinishReasons, .stringArray(["error"]))
        if p.cancelled {
            span.setAttribute(N.Mellea.endReason, "cancelled")
        } else {
            span.recordError(type: p.errorType, description: content.text(p.errorDescription) ?? "\(p.errorType) (details not recorded)")
        }
        span.end()
    }

    /// Starts the span with the attributes that sampling may use, all set at creation.
    private func startSpan(operation: String, model: String, provider: String, isRemote: Bool,
                           address: String?, port: Int?, parent: SpanContext?) -> SpanBuilder {
        // The conventions' name is "{operation} {model}", the operation alone when the model is unknown.
        let span = core.startSpan(model.isEmpty ? operation : "\(operation) \(model)", kind: isRemote ? .client : .internal,
                                  parent: parent)
        span.appendAttribute(N.GenAI.operationName, .string(operation))
        span.appendAttribute(N.GenAI.providerName, .string(provider))
        if !model.isEmpty { span.appendAttribute(N.GenAI.requestModel, .string(model)) }
        if let address {
            span.appendAttribute(N.Server.address, .string(address))
            if let port { span.appendAttribute(N.Server.port, .int(Int64(port))) }
        }
        return span
    }

    private func setRequestOptions(_ span: SpanBuilder, _ o: ModelOptions) {
        if let v = o.temperature { span.appendAttribute(N.GenAI.requestTemperature, .double(v)) }
        if let v = o.topP { span.appendAttribute(N.GenAI.requestTopP, .double(v)) }
        if let v = o.topK { span.appendAttribute(N.GenAI.requestTopK, .int(Int64(v))) }
        if let v = o.maxTokens { span.appendAttribute(N.GenAI.requestMaxTokens, .int(Int64(v))) }
        if let v = o.frequencyPenalty { span.appendAttribute(N.GenAI.requestFrequencyPenalty, .double(v)) }
        if let v = o.presencePenalty { span.appendAttribute(N.GenAI.requestPresencePenalty, .double(v)) }
        if let v = o.stopSequences { span.appendAttribute(N.GenAI.requestStopSequences, .stringArray(v)) }
        if let v = o.seed { span.appendAttribute(N.GenAI.requestSeed, .int(Int64(v))) }
        if let v = o.choiceCount, v != 1 { span.appendAttribute(N.GenAI.requestChoiceCount, .int(Int64(v))) }
    }

    private func setUsage(_ span: SpanBuilder, _ usage: TokenUsage) {
        if let v = usage.inputTokens { span.setAttribute(N.GenAI.usageInputTokens, .int(Int64(v))) }
        if let v = usage.outputTokens { span.setAttribute(N.GenAI.usageOutputTokens, .int(Int64(v))) }
        if let v = usage.cacheReadInputTokens { span.setAttribute(N.GenAI.usageCacheReadInputTokens, .int(Int64(v))) }
        if let v = usage.cacheWriteInputTokens { span.setAttribute(N.GenAI.usageCacheWriteInputTokens, .int(Int64(v))) }
        if let v = usage.reasoningOutputTokens { span.setAttribute(N.GenAI.usageReasoningOutputTokens, .int(Int64(v))) }
    }
}
