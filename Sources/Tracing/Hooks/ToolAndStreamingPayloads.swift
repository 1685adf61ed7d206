import Tracing

/// Before a tool runs. Writable: `toolCall` (e.g. to sanitize arguments), `context`.
public struct ToolPreInvokePayload: HookPayload {
    public static let hook = HookType.toolPreInvoke
    public let sessionID: String?
    public let toolInvocationID: String
    public var toolCall: ToolCall
    public let toolDescription: String
    public var context: InstrumentationContext
    /// Creates the payload (to fire this hook from your own code).
    public init(sessionID: String?, toolInvocationID: String, toolCall: ToolCall, toolDescription: String, context: InstrumentationContext) {
        self.sessionID = sessionID
        self.toolInvocationID = toolInvocationID
        self.toolCall = toolCall
        self.toolDescription = toolDescription
        self.context = context
    }

    public static func deliver(_ p: inout Self, to plugin: any Plugin) throws { try plugin.toolPreInvoke(&p) }
}

/// After a tool ran (or failed).
public struct ToolPostInvokePayload: HookPayload {
    public static let hook = HookType.toolPostInvoke
    public let sessionID: String?
    public let toolInvocationID: String
    public let toolCall: ToolCall
    public let output: String?
    public let success: Bool
    public let errorType: String?
    public let executionMilliseconds: Double
    /// Creates the payload (to fire this hook from your own code).
    public init(sessionID: String?, toolInvocationID: String, toolCall: ToolCall, output: String?, success: Bool, errorType: String?, executionMilliseconds: Double) {
        self.sessionID = sessionID
        self.toolInvocationID = toolInvocationID
        self.toolCall = toolCall
        self.output = output
        self.success = success
        self.errorType = errorType
        self.executionMilliseconds = executionMilliseconds
    }

    public static func deliver(_ p: inout Self, to plugin: any Plugin) throws { try plugin.toolPostInvoke(&p) }
}

/// A streamed generation starts. Writable: `context`.
public struct StreamingStartPayload: HookPayload {
    public static let hook = HookType.streamingStart
    public let sessionID: String?
    public let streamingID: String
    public let requirementCount: Int
    public let chunkingStrategy: String
    public var context: InstrumentationContext
    /// What was asked (content: record it only with content capture on).
    public let inputText: String
    /// Creates the payload (to fire this hook from your own code).
    public init(sessionID: String?, streamingID: String, requirementCount: Int, chunkingStrategy: String, context: InstrumentationContext,
                inputText: String = "") {
        self.sessionID = sessionID
        self.inputText = inputText
        self.streamingID = streamingID
        self.requirementCount = requirementCount
        self.chunkingStrategy = chunkingStrategy
        self.context = context
    }

    public static func deliver(_ p: inout Self, to plugin: any Plugin) throws { try plugin.streamingStart(&p) }
}

/// Something happened in a stream: `first_chunk`, `chunk` (each one, only when chunk events are
/// on), `quick_check` (requirements checked on the text so far), `completed`.
public struct StreamingEventPayload: HookPayload {
    public static let hook = HookType.streamingEvent
    public let sessionID: String?
    public let streamingID: String
    public let event: String
    public let chunkIndex: Int
    public let textLength: Int
    /// Creates the payload (to fire this hook from your own code).
    public init(sessionID: String?, streamingID: String, event: String, chunkIndex: Int, textLength: Int) {
        self.sessionID = sessionID
        self.streamingID = streamingID
        self.event = event
        self.chunkIndex = chunkIndex
        self.textLength = textLength
    }

    public static func deliver(_ p: inout Self, to plugin: any Plugin) throws { try plugin.streamingEvent(&p) }
}

/// How a stream ended.
public enum StreamEnd: String, Sendable {
    /// The back end finished it.
    case completed
    /// Its consumer stopped reading (or its task was cancelled): on purpose, not an error.
    case consumerStopped = "consumer_stopped"
    /// A requirement checked on the text so far failed, and the stream was stopped early.
    case requirementFailed = "requirement_failed"
    /// The back end or a plugin failed.
    case failed
}

/// A stream ended: completed, failed, stopped by a failed requirement, or stopped by its consumer.
public struct StreamingEndPayload: HookPayload {
    public static let hook = HookType.streamingEnd
    public let sessionID: String?
    public let streamingID: String
    public let success: Bool
    /// How it ended.
    public let end: StreamEnd
    /// Why it did not complete (free text: record it only with content capture on).
    public let failureReason: String?
    public let errorType: String?
    public let fullTextLength: Int
    public let model: String
    public let provider: String
    /// The text streamed (content: record it only with content capture on).
    public let fullText: String
    /// Creates the payload (to fire this hook from your own code).
    public init(sessionID: String?, streamingID: String, success: Bool, failureReason: String?, errorType: String?, fullTextLength: Int,
                model: String, provider: String, end: StreamEnd? = nil, fullText: String = "") {
        self.sessionID = sessionID
        self.end = end ?? (success ? .completed : .failed)
        self.fullText = fullText
        self.streamingID = streamingID
        self.success = success
        self.failureReason = failureReason
        self.errorType = errorType
        self.fullTextLength = fullTextLength
        self.model = model
        self.provider = provider
    }

    public static func deliver(_ p: inout Self, to plugin: any Plugin) throws { try plugin.streamingEnd(&p) }
}
