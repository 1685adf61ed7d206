import Foundation
import MelleaTracing

/// Reads a streamed chat completion: yields the first choice's text as it comes, assembles the
/// tool calls' deltas, and keeps the id, model, finish reasons and the usage of the last chunk.
struct ChatStreamReader: EventStreamReader {
    let continuation: AsyncThrowingStream<StreamChunk, any Error>.Continuation
    let decode: @Sendable (Data) throws -> WireChatChunk
    private var toolCalls = ToolCallAssembler()
    private var finishReasons: [Int: String] = [:]
    private var responseID: String?
    private var responseModel: String?
    private var usage = TokenUsage()

    init(continuation: AsyncThrowingStream<StreamChunk, any Error>.Continuation,
         decode: @escaping @Sendable (Data) throws -> WireChatChunk) {
        self.continuation = continuation
        self.decode = decode
    }

    mutating func read(_ data: String) throws -> Bool {
        if data == "[DONE]" { return false }
        let chunk = try decode(Data(data.utf8))
        if let error = chunk.error {
            // A failure reported inside the stream, after a 200.
            throw OpenAIError(.serverError, code: error.code?.text ?? error.type,
                              message: error.message ?? "the server reported an error in the stream")
        }
        responseID = responseID ?? chunk.id
        responseModel = responseModel ?? chunk.model
        if let wire = chunk.usage { usage = wire.tokenUsage }
        for choice in chunk.choices ?? [] {
            let index = choice.index ?? 0
            if let reason = choice.finishReason { finishReasons[index] = reason }
            // One text stream: the first choice's (`n` > 1 still reports every finish reason).
            guard index == 0 else { continue }
            if let text = choice.delta?.content, !text.isEmpty { continuation.yield(StreamChunk(text: text)) }
            for delta in choice.delta?.toolCalls ?? [] { toolCalls.add(delta) }
        }
        return true
    }

    /// A body that ends without `[DONE]` is accepted only when every event was whole and the
    /// model had said why it stopped: otherwise the answer was cut off.
    mutating func bodyEnded(cleanly: Bool) throws {
        guard cleanly, !finishReasons.isEmpty else {
            throw OpenAIError(.malformedResponse, message: "the event stream ended before the answer did (no [DONE])")
        }
    }

    /// The stream's last chunk: the whole tool calls and the metadata.
    func finalChunk() throws -> StreamChunk {
        StreamChunk(text: "", toolCalls: try toolCalls.calls(), metadata: GenerationMetadata(
            responseID: responseID, responseModel: responseModel,
            finishReasons: finishReasons.keys.sorted().map { finishReasons[$0]! }, usage: usage))
    }
}
