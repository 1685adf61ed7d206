import Foundation
import Tracing

/// Fires the hooks around every back-end call, once, here: back ends never fire hooks.
///
/// When nobody listens to a hook, its instrumentation point costs one atomic load and nothing is
/// built. Every opening hook that fired is matched by exactly one closing hook, whatever happens:
/// success, error, cancellation, a refusal by a plugin, or an output the back end had already.
public struct GenerativeCore: Sendable {
    /// The hooks' registry.
    public let registry: HookRegistry

    /// Creates a core firing into `registry`.
    public init(registry: HookRegistry = .shared) { self.registry = registry }

    /// One chat generation with its hooks. When nobody listens, this is one atomic load and a
    /// direct call of the back end (inlined into the caller).
    @inlinable
    public func generate(_ backend: any Backend, _ request: GenerationRequest, sessionID: String? = nil,
                         actionID: String? = nil) async throws -> GenerationResult {
        guard registry.isListening(toAnyOf: HookType.generationHooks) else { return try await backend.generate(request) }
        return try await generateWithHooks(backend, request, sessionID: sessionID, actionID: actionID)
    }

    @usableFromInline
    func generateWithHooks(_ backend: any Backend, _ request: GenerationRequest, sessionID: String?,
                           actionID: String?) async throws -> GenerationResult {
        let generationID = UUID().uuidString
        var pre = GenerationPreCallPayload(
            sessionID: sessionID, generationID: generationID, actionID: actionID, model: backend.modelID,
            provider: backend.provider, isRemote: backend.isRemote, serverAddress: backend.serverAddress,
            serverPort: backend.serverPort, messages: request.messages, stream: false, modelOptions: request.options,
            format: request.format, tools: request.tools, context: InstrumentationContext.current ?? .topLevel)
        let start = ContinuousClock.now
        do {
            try registry.fire(&pre)
        } catch {
            fireError(error, pre: pre, start: start)
            throw error
        }
        var effective = request
        effective.options = pre.modelOptions
        effective.format = pre.format
        effective.tools = pre.tools
        do {
            let result = try await InstrumentationContext.$current.withValue(pre.context) {
                try await backend.generate(effective)
            }
            registry.fireClosing(GenerationPostCallPayload(
                sessionID: sessionID, generationID: generationID, model: backend.modelID, provider: backend.provider,
                result: result, latencyMilliseconds: milliseconds(since: start), timeToFirstChunk: nil))
            return result
        } catch {
            fireError(error, pre: pre, start: start)
            throw error
        }
    }

    private func fireError(_ error: any Error, pre: GenerationPreCallPayload, start: ContinuousClock.Instant) {
        registry.fireClosing(GenerationErrorPayload(
            sessionID: pre.sessionID, generationID: pre.generationID, model: pre.model, provider: pre.provider,
            errorType: errorType(error), errorDescription: String(describing: error),
            cancelled: isCancellation(error), latencyMilliseconds: milliseconds(since: start)))
    }

    /// A batch of raw completions with its hooks: one `generation_batch` pair for the whole batch.
    public func generateBatch(_ backend: any Backend, _ prompts: [String], options: ModelOptions = ModelOptions(),
                              sessionID: String? = nil) async throws -> [String] {
        guard registry.isListening(toAnyOf: HookType.batchHooks) else {
            return try await backend.generateBatch(prompts, options: options).outputs
        }
        let generationID = UUID().uuidString
        var pre = GenerationBatchPreCallPayload(
            sessionID: sessionID, generationID: generationID, model: backend.modelID, provider: backend.provider,
            isRemote: backend.isRemote, serverAddress: backend.serverAddress, serverPort: backend.serverPort,
            prompts: prompts, modelOptions: options, context: InstrumentationContext.current ?? .topLevel)
        let start = ContinuousClock.now
        func fail(_ error: any Error) {
            registry.fireClosing(GenerationBatchErrorPayload(
                sessionID: sessionID, generationID: generationID, model: backend.modelID, provider: backend.provider,
                errorType: errorType(error), errorDescription: String(describing: error), cancelled: isCancellation(error)))
        }
        do { try registry.fire(&pre) } catch { fail(error); throw error }
        do {
            let (outputs, usage) = try await InstrumentationContext.$current.withValue(pre.context) {
                try await backend.generateBatch(prompts, options: pre.modelOptions)
            }
            registry.fireClosing(GenerationBatchPostCallPayload(
                sessionID: sessionID, generationID: generationID, model: backend.modelID, provider: backend.provider,
                outputs: outputs, usage: usage, latencyMilliseconds: milliseconds(since: start)))
            return outputs
        } catch {
            fail(error)
            throw error
        }
    }

    /// Runs a tool the model asked for, with its hooks.
    public func invokeTool(_ call: ToolCall, description: String = "", sessionID: String? = nil,
                           _ tool: @Sendable (ToolCall) async throws -> String) async throws -> String {
        guard registry.isListening(toAnyOf: HookType.toolHooks) else { return try await tool(call) }
        let id = UUID().uuidString
        var pre = ToolPreInvokePayload(sessionID: sessionID, toolInvocationID: id, toolCall: call,
                                       toolDescription: description, context: InstrumentationContext.current ?? .topLevel)
        let start = ContinuousClock.now
        func post(output: String?, error: (any Error)?) {
            registry.fireClosing(ToolPostInvokePayload(
                sessionID: sessionID, toolInvocationID: id, toolCall: pre.toolCall, output: output, success: error == nil,
                errorType: error.map(errorType), executionMilliseconds: milliseconds(since: start)))
        }
        do { try registry.fire(&pre) } catch { post(output: nil, error: error); throw error }
        do {
            let output = try await InstrumentationContext.$current.withValue(pre.context) { try await tool(pre.toolCall) }
            post(output: output, error: nil)
            return output
        } catch {
            post(output: nil, error: error)
            throw error
        }
    }
}

func milliseconds(since start: ContinuousClock.Instant) -> Double {
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
}

/// A short, low-cardinality name for an error (its type), as `error.type` wants.
func errorType(_ error: any Error) -> String {
    if isCancellation(error) { return "cancelled" }
    if let named = error as? any ErrorTypeProviding { return named.errorType }
    return String(describing: type(of: error))
}

func isCancellation(_ error: any Error) -> Bool { error is CancellationError }
