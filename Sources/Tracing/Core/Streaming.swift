import Foundation
import Tracing

extension GenerativeCore {
    /// A streamed generation with its hooks: `streaming_start`, `generation_pre_call`, a
    /// `first_chunk` event, then exactly one closing pair however the stream ends — completed,
    /// failed, cancelled, or abandoned by its consumer.
    public func stream(_ backend: any Backend, _ request: GenerationRequest,
                       sessionID: String? = nil) -> AsyncThrowingStream<String, any Error> {
        let registry = self.registry
        guard registry.isListening(toAnyOf: HookType.streamingHooks | HookType.generationHooks) else {
            return AsyncThrowingStream { continuation in
                let task = Task {
                    do {
                        for try await chunk in backend.stream(request) where !chunk.text.isEmpty { continuation.yield(chunk.text) }
                        continuation.finish()
                    } catch { continuation.finish(throwing: error) }
                }
                continuation.onTermination = { _ in task.cancel() }
            }
        }
        let streamingID = UUID().uuidString
        let generationID = UUID().uuidString
        let callerContext = InstrumentationContext.current ?? .topLevel
        return AsyncThrowingStream { continuation in
            let task = Task {
                var start = StreamingStartPayload(sessionID: sessionID, streamingID: streamingID, requirementCount: 0,
                                                  chunkingStrategy: "none", context: callerContext)
                var pre = GenerationPreCallPayload(
                    sessionID: sessionID, generationID: generationID, actionID: nil, model: backend.modelID,
                    provider: backend.provider, isRemote: backend.isRemote, serverAddress: backend.serverAddress,
                    serverPort: backend.serverPort, messages: request.messages, stream: true, modelOptions: request.options,
                    format: request.format, tools: request.tools, context: callerContext)
                let clock = ContinuousClock.now
                var text = ""
                var metadata = GenerationMetadata()
                var firstChunk: Double?
                func end(_ error: (any Error)?) {
                    if let error {
                        registry.fireClosing(GenerationErrorPayload(
                            sessionID: sessionID, generationID: generationID, model: backend.modelID, provider: backend.provider,
                            errorType: errorType(error), errorDescription: String(describing: error),
                            cancelled: isCancellation(error), latencyMilliseconds: milliseconds(since: clock)))
                    } else {
                        registry.fireClosing(GenerationPostCallPayload(
                            sessionID: sessionID, generationID: generationID, model: backend.modelID, provider: backend.provider,
                            result: GenerationResult(text: text, metadata: metadata),
                            latencyMilliseconds: milliseconds(since: clock), timeToFirstChunk: firstChunk))
                    }
                    registry.fireClosing(StreamingEndPayload(
                        sessionID: sessionID, streamingID: streamingID, success: error == nil,
                        failureReason: error.map { isCancellation($0) ? "cancelled or abandoned by the consumer" : "the back end failed" },
                        errorType: error.map(errorType), fullTextLength: text.count, model: backend.modelID,
                        provider: backend.provider))
                }
                do {
                    try registry.fire(&start)
                    pre.context = start.context
                    try registry.fire(&pre)
                } catch {
                    end(error)
                    continuation.finish(throwing: error)
                    return
                }
                do {
                    try await InstrumentationContext.$current.withValue(pre.context) {
                        var index = 0
                        for try await chunk in backend.stream(request) {
                            try Task.checkCancellation()
                            if let m = chunk.metadata { metadata = m }
                            guard !chunk.text.isEmpty else { continue }
                            if firstChunk == nil {
                                firstChunk = milliseconds(since: clock) / 1000
                                registry.fireClosing(GenerationEventPayload(
                                    sessionID: sessionID, generationID: generationID, eventName: "first_chunk",
                                    chunkIndex: 0, chunkTextLength: chunk.text.count, secondsSinceStart: firstChunk!))
                            }
                            text += chunk.text
                            index += 1
                            continuation.yield(chunk.text)
                        }
                        // A cancelled iteration ends quietly; it is still not a completed stream.
                        try Task.checkCancellation()
                    }
                    end(nil)
                    continuation.finish()
                } catch {
                    end(error)
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}

extension Session {
    /// A streamed reply to `text`, traced as a `stream` span around a streaming `chat` span.
    public func stream(_ text: String, options: ModelOptions = ModelOptions()) -> AsyncThrowingStream<String, any Error> {
        let request = GenerationRequest(messages: history + [.user(text)], options: options)
        return InstrumentationContext.$current.withValue(callerContext()) {
            GenerativeCore(registry: registry).stream(backend, request, sessionID: id)
        }
    }
}
