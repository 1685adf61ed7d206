import MelleaTracing

// The response shapes of the chat-completions and completions endpoints, decoded leniently (with
// `.convertFromSnakeCase`): every field an OpenAI-compatible server may leave out is optional.

/// `usage`, with the details OpenAI (and some compatible servers) report.
struct WireUsage: Decodable {
    struct PromptDetails: Decodable { var cachedTokens: Int? }
    struct CompletionDetails: Decodable { var reasoningTokens: Int? }
    var promptTokens: Int?
    var completionTokens: Int?
    var promptTokensDetails: PromptDetails?
    var completionTokensDetails: CompletionDetails?

    var tokenUsage: TokenUsage {
        TokenUsage(inputTokens: promptTokens, outputTokens: completionTokens,
                   cacheReadInputTokens: promptTokensDetails?.cachedTokens,
                   reasoningOutputTokens: completionTokensDetails?.reasoningTokens)
    }
}

/// A tool call of a whole message.
struct WireToolCall: Decodable {
    struct Function: Decodable { var name: String?; var arguments: String? }
    var id: String?
    var function: Function?
}

/// A `chat.completion` object.
struct WireChatCompletion: Decodable {
    struct Message: Decodable { var content: String?; var toolCalls: [WireToolCall]? }
    struct Choice: Decodable { var index: Int?; var message: Message?; var finishReason: String? }
    var id: String?
    var model: String?
    var choices: [Choice]
    var usage: WireUsage?
}

/// A `chat.completion.chunk` object, one server-sent event of a stream.
struct WireChatChunk: Decodable {
    struct ToolCallDelta: Decodable {
        struct Function: Decodable { var name: String?; var arguments: String? }
        var index: Int?
        var id: String?
        var function: Function?
    }
    struct Delta: Decodable { var content: String?; var toolCalls: [ToolCallDelta]? }
    struct Choice: Decodable { var index: Int?; var delta: Delta?; var finishReason: String? }
    var id: String?
    var model: String?
    var choices: [Choice]?
    var usage: WireUsage?
    /// Some servers report a failure inside the stream rather than as an HTTP status.
    var error: WireErrorBody.Detail?
}

/// A `text_completion` object of the legacy completions endpoint.
struct WireCompletion: Decodable {
    struct Choice: Decodable { var index: Int?; var text: String?; var finishReason: String? }
    var id: String?
    var model: String?
    var choices: [Choice]
    var usage: WireUsage?
}

/// `{"error": {"message": ..., "type": ..., "code": ...}}`.
struct WireErrorBody: Decodable {
    struct Detail: Decodable {
        var message: String?
        var type: String?
        var code: Code?
    }
    /// `code` is a string at OpenAI, a number at some compatible servers.
    struct Code: Decodable {
        var text: String
        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let number = try? container.decode(Int.self) { text = String(number) } else { text = try container.decode(String.self) }
        }
    }
    var error: Detail
}
