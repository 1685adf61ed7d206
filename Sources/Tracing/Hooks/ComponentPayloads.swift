import Tracing

/// Before a component (an instruction, a chat turn, ...) runs. Writable: `modelOptions`, `format`,
/// `toolCallsEnabled` (`false` withholds the session's tools), and `context` (the trace context the
/// work runs in).
public struct ComponentPreExecutePayload: HookPayload {
    public static let hook = HookType.componentPreExecute
    public let sessionID: String?
    /// Correlates this hook with the matching post-success or post-error hook.
    public let actionID: String
    public let componentType: String
    /// The user-facing text (content: record it only with content capture on).
    public let text: String
    /// The requirements' descriptions.
    public let requirements: [String]
    public var modelOptions: ModelOptions
    public var format: OutputFormat
    public var toolCallsEnabled: Bool
    /// The instrumentation context the component's work runs in; a tracing plugin puts its span here.
    public var context: InstrumentationContext
    /// Creates the payload (to fire this hook from your own code).
    public init(sessionID: String?, actionID: String, componentType: String, requirements: [String], modelOptions: ModelOptions, format: OutputFormat, toolCallsEnabled: Bool, context: InstrumentationContext, text: String = "") {
        self.sessionID = sessionID
        self.text = text
        self.actionID = actionID
        self.componentType = componentType
        self.requirements = requirements
        self.modelOptions = modelOptions
        self.format = format
        self.toolCallsEnabled = toolCallsEnabled
        self.context = context
    }

    public static func deliver(_ p: inout Self, to plugin: any Plugin) throws { try plugin.componentPreExecute(&p) }
}

/// After a component succeeded.
public struct ComponentPostSuccessPayload: HookPayload {
    public static let hook = HookType.componentPostSuccess
    public let sessionID: String?
    public let actionID: String
    public let componentType: String
    public let result: GenerationResult
    public let generationCount: Int
    public let latencyMilliseconds: Double
    /// Whether the output met every requirement (`nil` when the component had none).
    public let requirementsMet: Bool?
    /// Creates the payload (to fire this hook from your own code).
    public init(sessionID: String?, actionID: String, componentType: String, result: GenerationResult, generationCount: Int,
                latencyMilliseconds: Double, requirementsMet: Bool? = nil) {
        self.sessionID = sessionID
        self.actionID = actionID
        self.componentType = componentType
        self.result = result
        self.generationCount = generationCount
        self.latencyMilliseconds = latencyMilliseconds
        self.requirementsMet = requirementsMet
    }

    public static func deliver(_ p: inout Self, to plugin: any Plugin) throws { try plugin.componentPostSuccess(&p) }
}

/// After a component failed or was cancelled.
public struct ComponentPostErrorPayload: HookPayload {
    public static let hook = HookType.componentPostError
    public let sessionID: String?
    public let actionID: String
    public let componentType: String
    public let errorType: String
    /// The error's description. Plugins must not record it unless content capture is on.
    public let errorDescription: String
    public let cancelled: Bool
    /// Creates the payload (to fire this hook from your own code).
    public init(sessionID: String?, actionID: String, componentType: String, errorType: String, errorDescription: String, cancelled: Bool) {
        self.sessionID = sessionID
        self.actionID = actionID
        self.componentType = componentType
        self.errorType = errorType
        self.errorDescription = errorDescription
        self.cancelled = cancelled
    }

    public static func deliver(_ p: inout Self, to plugin: any Plugin) throws { try plugin.componentPostError(&p) }
}
