import OTLPExport
import Foundation
import Synchronization

/// A back end that answers from a script: for tests and examples, no model needed.
public final class ScriptedBackend: Backend {
    /// One scripted answer.
    public enum Reply: Sendable {
        /// Answer with this text and metadata.
        case text(String, GenerationMetadata = GenerationMetadata())
        /// Answer with this whole result (for example one that asks for tool calls).
        case result(GenerationResult)
        /// Fail with this error.
        case failure(any Error)
        /// Answer after running `work` (e.g. an instrumented HTTP call) in the back end's context.
        case work(@Sendable () async throws -> String)
        /// Wait this long (honouring cancellation), then answer.
        case delayed(Duration, String)
    }

    public let modelID: String
    public let provider: String
    public let isRemote: Bool
    public let serverAddress: String?
    public let serverPort: Int?
    private let replies: Locked<[Reply]>
    private let fallback: String

    /// Creates a back end that gives `replies` in order, then `fallback` forever.
    public init(model: String = "scripted-model", provider: String = "openai", isRemote: Bool = true,
                serverAddress: String? = "127.0.0.1", serverPort: Int? = 8000,
                replies: [Reply] = [], fallback: String = "ok") {
        modelID = model
        self.provider = provider
        self.isRemote = isRemote
        self.serverAddress = serverAddress
        self.serverPort = serverPort
        self.replies = Locked(replies)
        self.fallback = fallback
    }

    private func nextReply() -> Reply {
        replies.withLock { $0.isEmpty ? .text(fallback) : $0.removeFirst() }
    }

    public func generate(_ request: GenerationRequest) async throws -> GenerationResult {
        switch nextReply() {
        case .text(let text, let metadata):
            return GenerationResult(text: text, metadata: metadata)
        case .result(let result):
            return result
        case .failure(let error):
            throw error
        case .work(let work):
            return GenerationResult(text: try await work())
        case .delayed(let delay, let text):
            try await Task.sleep(for: delay)
            return GenerationResult(text: text)
        }
    }

    public func generateBatch(_ prompts: [String], options: ModelOptions) async throws -> (outputs: [String], usage: TokenUsage) {
        var outputs: [String] = []
        var usage = TokenUsage()
        for prompt in prompts {
            let result = try await generate(GenerationRequest(messages: [.user(prompt)], options: options))
            outputs.append(result.text)
            usage = usage + result.metadata.usage
        }
        return (outputs, usage)
    }

    public func stream(_ request: GenerationRequest) -> AsyncThrowingStream<StreamChunk, any Error> {
        let reply = nextReply()
        return AsyncThrowingStream { continuation in
            let task = Task {
                switch reply {
                case .failure(let error):
                    continuation.finish(throwing: error)
                case .text(let text, let metadata):
                    for word in text.split(separator: " ", omittingEmptySubsequences: false) {
                        continuation.yield(StreamChunk(text: String(word) + " "))
                    }
                    continuation.yield(StreamChunk(text: "", metadata: metadata))
                    continuation.finish()
                case .result(let result):
                    if !result.text.isEmpty { continuation.yield(StreamChunk(text: result.text)) }
                    continuation.yield(StreamChunk(text: "", toolCalls: result.toolCalls, metadata: result.metadata))
                    continuation.finish()
                case .delayed(let delay, let text):
                    continuation.yield(StreamChunk(text: "…"))
                    do { try await Task.sleep(for: delay) } catch { continuation.finish(throwing: error); return }
                    continuation.yield(StreamChunk(text: text, metadata: GenerationMetadata(finishReasons: ["stop"])))
                    continuation.finish()
                case .work(let work):
                    do { continuation.yield(StreamChunk(text: try await work())); continuation.finish() } catch {
                        continuation.finish(throwing: error)
                    }
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
