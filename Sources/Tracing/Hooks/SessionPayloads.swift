import Tracing

/// Before a session's back end is set up. Writable: `modelID`, `modelOptions`.
public struct SessionPreInitPayload: HookPayload {
    public static let hook = HookType.sessionPreInit
    public let sessionID: String?
    public let backendName: String
    /// The session's name (`gen_ai.agent.name`).
    public let name: String
    /// The back end's provider (`gen_ai.provider.name`).
    public let provider: String
    public var modelID: String
    public var modelOptions: ModelOptions
    /// The context session start-up runs in.
    public var context: InstrumentationContext
    /// Creates the payload (to fire this hook from your own code).
    public init(sessionID: String?, backendName: String, modelID: String, modelOptions: ModelOptions, context: InstrumentationContext,
                name: String = "session", provider: String = "") {
        self.sessionID = sessionID
        self.name = name
        self.provider = provider
        self.backendName = backendName
        self.modelID = modelID
        self.modelOptions = modelOptions
        self.context = context
    }

    public static func deliver(_ p: inout Self, to plugin: any Plugin) throws { try plugin.sessionPreInit(&p) }
}

/// After a session is ready. Writable: `context`, the context the session's work runs in.
public struct SessionPostInitPayload: HookPayload {
    public static let hook = HookType.sessionPostInit
    public let sessionID: String?
    public let modelID: String
    public let provider: String
    public var context: InstrumentationContext
    /// Creates the payload (to fire this hook from your own code).
    public init(sessionID: String?, modelID: String, provider: String, context: InstrumentationContext) {
        self.sessionID = sessionID
        self.modelID = modelID
        self.provider = provider
        self.context = context
    }

    public static func deliver(_ p: inout Self, to plugin: any Plugin) throws { try plugin.sessionPostInit(&p) }
}

/// When a session's history is cleared.
public struct SessionResetPayload: HookPayload {
    public static let hook = HookType.sessionReset
    public let sessionID: String?
    public let previousMessageCount: Int
    /// Creates the payload (to fire this hook from your own code).
    public init(sessionID: String?, previousMessageCount: Int) {
        self.sessionID = sessionID
        self.previousMessageCount = previousMessageCount
    }

    public static func deliver(_ p: inout Self, to plugin: any Plugin) throws { try plugin.sessionReset(&p) }
}

/// When a session ends, normally or with an error.
public struct SessionCleanupPayload: HookPayload {
    public static let hook = HookType.sessionCleanup
    public let sessionID: String?
    public let interactionCount: Int
    /// The error type that ended the session, if any.
    public let errorType: String?
    /// The conversation as it ended (content: record it only with content capture on).
    public let history: [ChatMessage]
    /// The token usage of every model call the session made, summed.
    public let usage: TokenUsage
    /// The last answer's finish reasons.
    public let finishReasons: [String]
    /// Creates the payload (to fire this hook from your own code).
    public init(sessionID: String?, interactionCount: Int, errorType: String?, history: [ChatMessage] = [],
                usage: TokenUsage = TokenUsage(), finishReasons: [String] = []) {
        self.sessionID = sessionID
        self.history = history
        self.usage = usage
        self.finishReasons = finishReasons
        self.interactionCount = interactionCount
        self.errorType = errorType
    }

    public static func deliver(_ p: inout Self, to plugin: any Plugin) throws { try plugin.sessionCleanup(&p) }
}
