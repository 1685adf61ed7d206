import Atomics
import Foundation
import Tracing

/// A streamed reply stopped early because the text so far failed a requirement.
public struct StreamRequirementFailedError: Error, Sendable, CustomStringConvertible {
    /// The verdicts that failed.
    public let failures: [RequirementResult]
    public var description: String {
        "the streamed text failed \(failures.count) requirement(s): " + failures.map(\.requirement).joined(separator: "; ")
    }
}

extension GenerativeCore {
    /// A streamed generation with its hooks: `streaming_start`, `generation_pre_call` (the request
    /// is sent as the plugins left it), `streaming_event` at the first chunk and at completion
    /// (`generation_event` for every chunk), then exactly one closing pair however the stream ends.
    ///
    /// With `requirements`, the text so far is checked at every sentence end (a `quick_check`
    /// event); a failed check stops the stream with ``StreamRequirementFailedError``. The complete
    /// text is validated once more at the end (a `validation` span). A consumer that stops reading
    /// ends the spans without an error. `onComplete` receives a completed stream's whole result.
    public func stream(_ backend: any Backend, _ request: GenerationRequest, sessionID: String? = nil,
                       requirements: [Requirement] = [],
                       onComplete: @escaping @Sendable (GenerationResult) -> Void = { _ in }) -> AsyncThrowingStream<String, any Error> {
        let registry = self.registry
        let watched = HookType.streamingHooks | HookType.generationHooks | HookType.validationHooks
        guard registry.isListening(toAnyOf: watched) || !requirements.isEmpty else {
            return AsyncThrowingStream { continuation in
                let task = Task {
                    do {
                        var result = GenerationResult(text: "")
                        for try await chunk in backend.stream(request) {
                            if let metadata = chunk.metadata { result.metadata = metadata }
                            result.toolCalls += chunk.toolCalls
                            guard !chunk.text.isEmpty else { continue }
                            result.text += chunk.text
                            continuation.yield(chunk.text)
                        }
                        try Task.checkCancellation()
                        onComplete(result)
                        continuation.finish()
                    } catch { continuation.finish(throwing: error) }
                }
                continuation.onTermination = { _ in task.cancel() }
            }
        }
        let callerContext = InstrumentationContext.current ?? .topLevel
        let consumerStopped = ManagedAtomic(false)
        return AsyncThrowingStream { continuation in
            let task = Task {
                await self.runStream(backend, request, sessionID: sessionID, requirements: requirements,
                                     callerContext: callerContext, consumerStopped: consumerStopped,
                                     continuation: continuation, onComplete: onComplete)
            }
            continuation.onTermination = { termination in
                if case .cancelled = termination { consumerStopped.store(true, ordering: .relaxed) }
                task.cancel()
            }
        }
    }

    private func runStream(_ backend: any Backend, _ request: GenerationRequest, sessionID: String?,
                           requirements: [Requirement], callerContext: InstrumentationContext,
                           consumerStopped: ManagedAtomic<Bool>,
                           continuation: AsyncThrowingStream<String, any Error>.Continuation,
                           onComplete: @Sendable (GenerationResult) -> Void) async {
        let streamingID = UUID().uuidString
        let generationID = UUID().uuidString
        var start = StreamingStartPayload(sessionID: sessionID, streamingID: streamingID, requirementCount: requirements.count,
                                          chunkingStrategy: requirements.isEmpty ? "none" : "sentence", context: callerContext,
                                          inputText: request.messages.last { $0.role == "user" }?.content ?? "")
        var pre = GenerationPreCallPayload(
            sessionID: sessionID, generationID: generationID, actionID: nil, model: backend.modelID,
            provider: backend.provider, isRemote: backend.isRemote, serverAddress: backend.serverAddress,
            serverPort: backend.serverPort, messages: request.messages, stream: true, modelOptions: request.options,
            format: request.format, tools: request.tools, context: callerContext)
        let clock = ContinuousClock.now
        var text = ""
        var toolCalls: [ToolCall] = []
        var metadata = GenerationMetadata()
        var firstChunk: Double?
        var generationClosed = false

        func closeGeneration(_ error: (any Error)?) {
            guard !generationClosed else { return }
            generationClosed = true
            if let error {
                // Stopped on purpose (by the consumer, or on a failed requirement): not the model's error.
                let stopped = isCancellation(error) || consumerStopped.load(ordering: .relaxed)
                    || error is StreamRequirementFailedError
                registry.fireClosing(GenerationErrorPayload(
                    sessionID: sessionID, generationID: generationID, model: backend.modelID, provider: backend.provider,
                    errorType: stopped ? "cancelled" : errorType(error), errorDescription: String(describing: error),
                    cancelled: stopped, latencyMilliseconds: milliseconds(since: clock)))
            } else {
                registry.fireClosing(GenerationPostCallPayload(
                    sessionID: sessionID, generationID: generationID, model: backend.modelID, provider: backend.provider,
                    result: GenerationResult(text: text, toolCalls: toolCalls, metadata: metadata),
                    latencyMilliseconds: milliseconds(since: clock), timeToFirstChunk: firstChunk))
            }
        }
        func end(_ outcome: StreamEnd, _ error: (any Error)?) {
            registry.fireClosing(StreamingEndPayload(
                sessionID: sessionID, streamingID: streamingID, success: outcome == .completed,
                failureReason: error.map { String(describing: $0) }, errorType: error.map(errorType),
                fullTextLength: text.count, model: backend.modelID, provider: backend.provider, end: outcome, fullText: text))
        }
        func event(_ name: String, chunk: Int) {
            registry.fireClosing(StreamingEventPayload(sessionID: sessionID, streamingID: streamingID, event: name,
                                                       chunkIndex: chunk, textLength: text.count))
        }

        do {
            try registry.fire(&start)
            pre.context = start.context
            try registry.fire(&pre)
        } catch {
            closeGeneration(error)
            end(.failed, error)
            continuation.finish(throwing: error)
            return
        }
        var effective = request
        effective.options = pre.modelOptions
        effective.format = pre.format
        effective.tools = pre.tools
        do {
            try await InstrumentationContext.$current.withValue(pre.context) {
                var index = 0
                for try await chunk in backend.stream(effective) {
                    try Task.checkCancellation()
                    if let m = chunk.metadata { metadata = m }
                    toolCalls += chunk.toolCalls
                    guard !chunk.text.isEmpty else { continue }
                    text += chunk.text
                    if firstChunk == nil {
                        firstChunk = milliseconds(since: clock) / 1000
                        registry.fireClosing(GenerationEventPayload(
                            sessionID: sessionID, generationID: generationID, eventName: "first_chunk",
                            chunkIndex: 0, chunkTextLength: chunk.text.count, secondsSinceStart: firstChunk!))
                        event("first_chunk", chunk: 0)
                    }
                    if registry.isListening(.generationEvent) {
                        registry.fireClosing(GenerationEventPayload(
                            sessionID: sessionID, generationID: generationID, eventName: "chunk", chunkIndex: index,
                            chunkTextLength: chunk.text.count, secondsSinceStart: milliseconds(since: clock) / 1000))
                    }
                    continuation.yield(chunk.text)
                    if !requirements.isEmpty, chunk.text.contains(where: { ".!?\n".contains($0) }) {
                        let failures = try await quickCheck(text, requirements, backend: backend, sessionID: sessionID)
                        event("quick_check", chunk: index)
                        if !failures.isEmpty { throw StreamRequirementFailedError(failures: failures) }
                    }
                    index += 1
                }
                // A cancelled iteration ends quietly; it is still not a completed stream.
                try Task.checkCancellation()
                closeGeneration(nil)
                event("completed", chunk: index)
            }
            if !requirements.isEmpty {
                // The whole text, checked once more under the stream span (not the ended chat span).
                let results = try await InstrumentationContext.$current.withValue(start.context) {
                    try await validate(text, against: requirements, backend: backend, sessionID: sessionID)
                }
                let failures = results.filter { !$0.verdict.passed }
                if !failures.isEmpty { throw StreamRequirementFailedError(failures: failures) }
            }
            end(.completed, nil)
            onComplete(GenerationResult(text: text, toolCalls: toolCalls, metadata: metadata))
            continuation.finish()
        } catch {
            closeGeneration(error)
            if error is StreamRequirementFailedError {
                end(.requirementFailed, error)
            } else if isCancellation(error) || consumerStopped.load(ordering: .relaxed) {
                end(.consumerStopped, nil)
            } else {
                end(.failed, error)
            }
            continuation.finish(throwing: error)
        }
    }

    /// The requirements the text so far fails (checked directly: quick checks make no spans).
    private func quickCheck(_ text: String, _ requirements: [Requirement], backend: any Backend,
                            sessionID: String?) async throws -> [RequirementResult] {
        var failures: [RequirementResult] = []
        for requirement in requirements {
            guard case .function(let check) = requirement.check else { continue }  // judged ones only at the end
            let verdict: RequirementVerdict
            do { verdict = try await check(text) } catch where !(error is CancellationError) {
                verdict = .fail("the check failed with \(errorType(error))")
            }
            if !verdict.passed { failures.append(RequirementResult(requirement: requirement.description, verdict: verdict)) }
        }
        return failures
    }
}

extension Session {
    /// A streamed reply to `text`, traced as a `stream` span around a streaming `chat` span. When
    /// the stream completes, the exchange joins the history and counts as an interaction.
    ///
    /// With `requirements`, code-checked ones are checked on the text as it grows (the stream stops
    /// at the first failure, throwing ``StreamRequirementFailedError``) and all are checked at the end.
    public func stream(_ text: String, requirements: [Requirement] = [],
                       options: ModelOptions = ModelOptions()) -> AsyncThrowingStream<String, any Error> {
        // No tools: a streamed reply is text (the tool loop runs in `act`).
        let request = GenerationRequest(messages: history + [.user(text)], options: options)
        return InstrumentationContext.$current.withValue(callerContext()) {
            GenerativeCore(registry: registry).stream(backend, request, sessionID: id, requirements: requirements) { [weak self] reply in
                self?.record(user: text, reply: reply)
            }
        }
    }
}
