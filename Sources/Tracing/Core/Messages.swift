/// One message of a conversation.
public struct ChatMessage: Sendable, Equatable {
    /// `system`, `user`, `assistant` or `tool`.
    public var role: String
    /// The text (for a `tool` message, the tool's result).
    public var content: String
    /// The tools an `assistant` message asked for.
    public var toolCalls: [ToolCall]
    /// The call a `tool` message answers.
    public var toolCallID: String?

    /// Creates a message.
    public init(role: String, content: String, toolCalls: [ToolCall] = [], toolCallID: String? = nil) {
        self.role = role
        self.content = content
        self.toolCalls = toolCalls
        self.toolCallID = toolCallID
    }

    /// A system message.
    public static func system(_ text: String) -> ChatMessage { ChatMessage(role: "system", content: text) }
    /// A user message.
    public static func user(_ text: String) -> ChatMessage { ChatMessage(role: "user", content: text) }
    /// An assistant message, with the tool calls it requested.
    public static func assistant(_ text: String, toolCalls: [ToolCall] = []) -> ChatMessage {
        ChatMessage(role: "assistant", content: text, toolCalls: toolCalls)
    }
    /// A tool's result, answering the call `callID`.
    public static func tool(callID: String, _ result: String) -> ChatMessage {
        ChatMessage(role: "tool", content: result, toolCallID: callID)
    }
}

/// Request parameters for a model call; `nil` means "not sent".
public struct ModelOptions: Sendable, Equatable {
    public var temperature: Double?
    public var topP: Double?
    public var topK: Int?
    public var maxTokens: Int?
    public var frequencyPenalty: Double?
    public var presencePenalty: Double?
    public var stopSequences: [String]?
    public var seed: Int?
    /// Number of choices requested (`n`).
    public var choiceCount: Int?

    /// No options.
    public init(temperature: Double? = nil, topP: Double? = nil, topK: Int? = nil, maxTokens: Int? = nil,
                frequencyPenalty: Double? = nil, presencePenalty: Double? = nil, stopSequences: [String]? = nil,
                seed: Int? = nil, choiceCount: Int? = nil) {
        self.temperature = temperature
        self.topP = topP
        self.topK = topK
        self.maxTokens = maxTokens
        self.frequencyPenalty = frequencyPenalty
        self.presencePenalty = presencePenalty
        self.stopSequences = stopSequences
        self.seed = seed
        self.choiceCount = choiceCount
    }
}

/// A tool the model may call.
public struct ToolDefinition: Sendable, Equatable {
    public var name: String
    public var description: String
    /// JSON schema of the arguments.
    public var parametersJSON: String

    public init(name: String, description: String = "", parametersJSON: String = "{}") {
        self.name = name
        self.description = description
        self.parametersJSON = parametersJSON
    }
}

/// A tool call requested by the model.
public struct ToolCall: Sendable, Equatable {
    public var id: String
    public var name: String
    /// The arguments, as JSON.
    public var argumentsJSON: String

    public init(id: String, name: String, argumentsJSON: String = "{}") {
        self.id = id
        self.name = name
        self.argumentsJSON = argumentsJSON
    }
}

/// Token counts reported by the provider.
public struct TokenUsage: Sendable, Equatable {
    /// Input tokens, cached ones included.
    public var inputTokens: Int?
    public var outputTokens: Int?
    public var cacheReadInputTokens: Int?
    public var cacheWriteInputTokens: Int?
    public var reasoningOutputTokens: Int?

    public init(inputTokens: Int? = nil, outputTokens: Int? = nil, cacheReadInputTokens: Int? = nil,
                cacheWriteInputTokens: Int? = nil, reasoningOutputTokens: Int? = nil) {
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.cacheReadInputTokens = cacheReadInputTokens
        self.cacheWriteInputTokens = cacheWriteInputTokens
        self.reasoningOutputTokens = reasoningOutputTokens
    }

    /// The sum of two usages (for batches).
    public static func + (a: TokenUsage, b: TokenUsage) -> TokenUsage {
        func add(_ x: Int?, _ y: Int?) -> Int? { x == nil && y == nil ? nil : (x ?? 0) + (y ?? 0) }
        return TokenUsage(inputTokens: add(a.inputTokens, b.inputTokens), outputTokens: add(a.outputTokens, b.outputTokens),
                          cacheReadInputTokens: add(a.cacheReadInputTokens, b.cacheReadInputTokens),
                          cacheWriteInputTokens: add(a.cacheWriteInputTokens, b.cacheWriteInputTokens),
                          reasoningOutputTokens: add(a.reasoningOutputTokens, b.reasoningOutputTokens))
    }
}

/// Normalized facts about one generation, whatever the provider.
public struct GenerationMetadata: Sendable, Equatable {
    public var responseID: String?
    public var responseModel: String?
    public var finishReasons: [String]
    public var usage: TokenUsage

    public init(responseID: String? = nil, responseModel: String? = nil, finishReasons: [String] = [],
                usage: TokenUsage = TokenUsage()) {
        self.responseID = responseID
        self.responseModel = responseModel
        self.finishReasons = finishReasons
        self.usage = usage
    }
}

/// What a back end returns for one generation.
public struct GenerationResult: Sendable, Equatable {
    public var text: String
    public var toolCalls: [ToolCall]
    public var metadata: GenerationMetadata

    public init(text: String, toolCalls: [ToolCall] = [], metadata: GenerationMetadata = GenerationMetadata()) {
        self.text = text
        self.toolCalls = toolCalls
        self.metadata = metadata
    }
}

/// One piece of a streamed generation. The last chunk carries the metadata and the tool calls
/// the model asked for, each whole (a back end assembles streamed deltas before yielding them).
public struct StreamChunk: Sendable, Equatable {
    public var text: String
    public var toolCalls: [ToolCall]
    public var metadata: GenerationMetadata?

    public init(text: String, toolCalls: [ToolCall] = [], metadata: GenerationMetadata? = nil) {
        self.text = text
        self.toolCalls = toolCalls
        self.metadata = metadata
    }
}

/// The output format requested from the model.
public enum OutputFormat: Sendable, Equatable {
    /// Free text.
    case text
    /// Any JSON object (OpenAI's `json_object` response format).
    case jsonObject
    /// JSON following the named schema (`schemaJSON`, a JSON Schema document).
    case json(schemaName: String, schemaJSON: String = "{}")
}

/// Whether and which tool the model must call.
public enum ToolChoice: Sendable, Equatable {
    /// The model decides.
    case auto
    /// The model must not call a tool.
    case none
    /// The model must call some tool.
    case required
    /// The model must call this tool.
    case function(String)
}
