import Tracing

/// Before a chat generation. Writable: `modelOptions`, `format`, `tools`, and `context` (the trace
/// context the back end runs in, so an HTTP client's spans nest under the generation span).
public struct GenerationPreCallPayload: HookPayload {
    public static let hook = HookType.generationPreCall
    public let sessionID: String?
    /// Correlates this hook with the matching post-call or error hook. Mellea's own id, not the
    /// provider's response id.
    public let generationID: String
    public let actionID: String?
    public let model: String
    public let provider: String
    public let isRemote: Bool
    public let serverAddress: String?
    public let serverPort: Int?
    public let messages: [ChatMessage]
    public let stream: Bool
    public var modelOptions: ModelOptions
    public var format: OutputFormat
    public var tools: [ToolDefinition]
    public var context: InstrumentationContext
    /// Creates the payload (to fire this hook from your own code).
    public init(sessionID: String?, generationID: String, actionID: String?, model: String, provider: String, isRemote: Bool, serverAddress: String?, serverPort: Int?, messages: [ChatMessage], stream: Bool, modelOptions: ModelOptions, format: OutputFormat, tools: [ToolDefinition], context: InstrumentationContext) {
        self.sessionID = sessionID
        self.generationID = generationID
        self.actionID = actionID
        self.model = model
        self.provider = provider
        self.isRemote = isRemote
        self.serverAddress = serverAddress
        self.serverPort = serverPort
        self.messages = messages
        self.stream = stream
        self.modelOptions = modelOptions
        self.format = format
        self.tools = tools
        self.context = context
    }

    public static func deliver(_ p: inout Self, to plugin: any Plugin) throws { try plugin.generationPreCall(&p) }
}

/// After a chat generation returned (also for outputs a back end had already computed).
public struct GenerationPostCallPayload: HookPayload {
    public static let hook = HookType.generationPostCall
    public let sessionID: String?
    public let generationID: String
    public let model: String
    public let provider: String
    public let result: GenerationResult
    public let latencyMilliseconds: Double
    /// Seconds to the first chunk, for streamed generations.
    public let timeToFirstChunk: Double?
    /// Creates the payload (to fire this hook from your own code).
    public init(sessionID: String?, generationID: String, model: String, provider: String, result: GenerationResult, latencyMilliseconds: Double, timeToFirstChunk: Double?) {
        self.sessionID = sessionID
        self.generationID = generationID
        self.model = model
        self.provider = provider
        self.result = result
        self.latencyMilliseconds = latencyMilliseconds
        self.timeToFirstChunk = timeToFirstChunk
    }

    public static func deliver(_ p: inout Self, to plugin: any Plugin) throws { try plugin.generationPostCall(&p) }
}

/// A chat generation failed, was cancelled, or was abandoned.
public struct GenerationErrorPayload: HookPayload {
    public static let hook = HookType.generationError
    public let sessionID: String?
    public let generationID: String
    public let model: String
    public let provider: String
    public let errorType: String
    /// The error's description. Plugins must not record it unless content capture is on.
    public let errorDescription: String
    public let cancelled: Bool
    public let latencyMilliseconds: Double
    /// Creates the payload (to fire this hook from your own code).
    public init(sessionID: String?, generationID: String, model: String, provider: String, errorType: String, errorDescription: String, cancelled: Bool, latencyMilliseconds: Double) {
        self.sessionID = sessionID
        self.generationID = generationID
        self.model = model
        self.provider = provider
        self.errorType = errorType
        self.errorDescription = errorDescription
        self.cancelled = cancelled
        self.latencyMilliseconds = latencyMilliseconds
    }

    public static func deliver(_ p: inout Self, to plugin: any Plugin) throws { try plugin.generationError(&p) }
}

/// A milestone inside a generation, e.g. `first_chunk` or `chunk_processed` while streaming.
public struct GenerationEventPayload: HookPayload {
    public static let hook = HookType.generationEvent
    public let sessionID: String?
    public let generationID: String
    public let eventName: String
    public let chunkIndex: Int
    public let chunkTextLength: Int
    public let secondsSinceStart: Double
    /// Creates the payload (to fire this hook from your own code).
    public init(sessionID: String?, generationID: String, eventName: String, chunkIndex: Int, chunkTextLength: Int, secondsSinceStart: Double) {
        self.sessionID = sessionID
        self.generationID = generationID
        self.eventName = eventName
        self.chunkIndex = chunkIndex
        self.chunkTextLength = chunkTextLength
        self.secondsSinceStart = secondsSinceStart
    }

    public static func deliver(_ p: inout Self, to plugin: any Plugin) throws { try plugin.generationEvent(&p) }
}

/// Before a batch of raw completions. Writable: `modelOptions`, `context`.
public struct GenerationBatchPreCallPayload: HookPayload {
    public static let hook = HookType.generationBatchPreCall
    public let sessionID: String?
    public let generationID: String
    public let model: String
    public let provider: String
    public let isRemote: Bool
    public let serverAddress: String?
    public let serverPort: Int?
    public let prompts: [String]
    public var modelOptions: ModelOptions
    public var context: InstrumentationContext
    /// Creates the payload (to fire this hook from your own code).
    public init(sessionID: String?, generationID: String, model: String, provider: String, isRemote: Bool, serverAddress: String?, serverPort: Int?, prompts: [String], modelOptions: ModelOptions, context: InstrumentationContext) {
        self.sessionID = sessionID
        self.generationID = generationID
        self.model = model
        self.provider = provider
        self.isRemote = isRemote
        self.serverAddress = serverAddress
        self.serverPort = serverPort
        self.prompts = prompts
        self.modelOptions = modelOptions
        self.context = context
    }

    public static func deliver(_ p: inout Self, to plugin: any Plugin) throws { try plugin.generationBatchPreCall(&p) }
}

/// After a batch of raw completions.
public struct GenerationBatchPostCallPayload: HookPayload {
    public static let hook = HookType.generationBatchPostCall
    public let sessionID: String?
    public let generationID: String
    public let model: String
    public let provider: String
    public let outputs: [String]
    public let usage: TokenUsage
    public let latencyMilliseconds: Double
    /// Creates the payload (to fire this hook from your own code).
    public init(sessionID: String?, generationID: String, model: String, provider: String, outputs: [String], usage: TokenUsage, latencyMilliseconds: Double) {
        self.sessionID = sessionID
        self.generationID = generationID
        self.model = model
        self.provider = provider
        self.outputs = outputs
        self.usage = usage
        self.latencyMilliseconds = latencyMilliseconds
    }

    public static func deliver(_ p: inout Self, to plugin: any Plugin) throws { try plugin.generationBatchPostCall(&p) }
}

/// A batch of raw completions failed or was cancelled.
public struct GenerationBatchErrorPayload: HookPayload {
    public static let hook = HookType.generationBatchError
    public let sessionID: String?
    public let generationID: String
    public let model: String
    public let provider: String
    public let errorType: String
    public let errorDescription: String
    public let cancelled: Bool
    /// Creates the payload (to fire this hook from your own code).
    public init(sessionID: String?, generationID: String, model: String, provider: String, errorType: String, errorDescription: String, cancelled: Bool) {
        self.sessionID = sessionID
        self.generationID = generationID
        self.model = model
        self.provider = provider
        self.errorType = errorType
        self.errorDescription = errorDescription
        self.cancelled = cancelled
    }

    public static func deliver(_ p: inout Self, to plugin: any Plugin) throws { try plugin.generationBatchError(&p) }
}
