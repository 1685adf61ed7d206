/// A model client. Implement this for the LLM client you already use; the generative core fires
/// every hook around these calls, so a back end never deals with tracing.
public protocol Backend: Sendable {
    /// The model, e.g. `granite-3.3-8b`.
    var modelID: String { get }
    /// The provider as the GenAI conventions name it (`openai`, `ollama`, `ibm.watsonx.ai`, ...).
    var provider: String { get }
    /// Whether calls leave the process (spans are CLIENT then, INTERNAL otherwise).
    var isRemote: Bool { get }
    /// The server's host, for `server.address`.
    var serverAddress: String? { get }
    /// The server's port, for `server.port`.
    var serverPort: Int? { get }

    /// One chat generation from the conversation so far.
    func generate(_ request: GenerationRequest) async throws -> GenerationResult
    /// One completion per raw prompt, with the usage of the whole batch.
    func generateBatch(_ prompts: [String], options: ModelOptions) async throws -> (outputs: [String], usage: TokenUsage)
    /// A streamed chat generation.
    func stream(_ request: GenerationRequest) -> AsyncThrowingStream<StreamChunk, any Error>
}

extension Backend {
    public var isRemote: Bool { true }
    public var serverAddress: String? { nil }
    public var serverPort: Int? { nil }
}

/// Everything a back end needs for one chat generation.
public struct GenerationRequest: Sendable, Equatable {
    public var messages: [ChatMessage]
    public var options: ModelOptions
    public var format: OutputFormat
    public var tools: [ToolDefinition]
    /// How the model may use `tools`; `nil` leaves it to the server's default.
    public var toolChoice: ToolChoice?

    public init(messages: [ChatMessage], options: ModelOptions = ModelOptions(), format: OutputFormat = .text,
                tools: [ToolDefinition] = [], toolChoice: ToolChoice? = nil) {
        self.messages = messages
        self.options = options
        self.format = format
        self.tools = tools
        self.toolChoice = toolChoice
    }
}
