/// How the registry runs a plugin.
public enum PluginMode: Sendable {
    /// In line, in priority order; may change the payload's writable fields and refuse opening hooks.
    case sequential
    /// On the registry's observer queue with an immutable snapshot of the payload; can never delay
    /// or stop the call.
    case fireAndForget
}

/// A subscriber to hooks. Implement only the methods of the hooks listed in ``hooks``.
public protocol Plugin: AnyObject, Sendable {
    /// A name for diagnostics.
    var name: String { get }
    /// Lower runs first (default 50). On closing hooks, span-closing plugins run before all others.
    var priority: Int { get }
    /// Sequential or fire-and-forget (default sequential).
    var mode: PluginMode { get }
    /// The hooks this plugin listens to.
    var hooks: Set<HookType> { get }
    /// Whether this plugin closes spans on closing hooks (tracing plugins), so it must run first there.
    var closesSpans: Bool { get }

    func sessionPreInit(_ payload: inout SessionPreInitPayload) throws
    func sessionPostInit(_ payload: inout SessionPostInitPayload) throws
    func sessionReset(_ payload: inout SessionResetPayload) throws
    func sessionCleanup(_ payload: inout SessionCleanupPayload) throws
    func componentPreExecute(_ payload: inout ComponentPreExecutePayload) throws
    func componentPostSuccess(_ payload: inout ComponentPostSuccessPayload) throws
    func componentPostError(_ payload: inout ComponentPostErrorPayload) throws
    func generationPreCall(_ payload: inout GenerationPreCallPayload) throws
    func generationPostCall(_ payload: inout GenerationPostCallPayload) throws
    func generationError(_ payload: inout GenerationErrorPayload) throws
    func generationEvent(_ payload: inout GenerationEventPayload) throws
    func generationBatchPreCall(_ payload: inout GenerationBatchPreCallPayload) throws
    func generationBatchPostCall(_ payload: inout GenerationBatchPostCallPayload) throws
    func generationBatchError(_ payload: inout GenerationBatchErrorPayload) throws
    func validationPreCheck(_ payload: inout ValidationPreCheckPayload) throws
    func validationPostCheck(_ payload: inout ValidationPostCheckPayload) throws
    func samplingLoopStart(_ payload: inout SamplingLoopStartPayload) throws
    func samplingIteration(_ payload: inout SamplingIterationPayload) throws
    func samplingRepair(_ payload: inout SamplingRepairPayload) throws
    func samplingLoopEnd(_ payload: inout SamplingLoopEndPayload) throws
    func toolPreInvoke(_ payload: inout ToolPreInvokePayload) throws
    func toolPostInvoke(_ payload: inout ToolPostInvokePayload) throws
    func streamingStart(_ payload: inout StreamingStartPayload) throws
    func streamingEvent(_ payload: inout StreamingEventPayload) throws
    func streamingEnd(_ payload: inout StreamingEndPayload) throws
}

extension Plugin {
    public var priority: Int { 50 }
    public var mode: PluginMode { .sequential }
    public var closesSpans: Bool { false }
    public func sessionPreInit(_ payload: inout SessionPreInitPayload) throws {}
    public func sessionPostInit(_ payload: inout SessionPostInitPayload) throws {}
    public func sessionReset(_ payload: inout SessionResetPayload) throws {}
    public func sessionCleanup(_ payload: inout SessionCleanupPayload) throws {}
    public func componentPreExecute(_ payload: inout ComponentPreExecutePayload) throws {}
    public func componentPostSuccess(_ payload: inout ComponentPostSuccessPayload) throws {}
    public func componentPostError(_ payload: inout ComponentPostErrorPayload) throws {}
    public func generationPreCall(_ payload: inout GenerationPreCallPayload) throws {}
    public func generationPostCall(_ payload: inout GenerationPostCallPayload) throws {}
    public func generationError(_ payload: inout GenerationErrorPayload) throws {}
    public func generationEvent(_ payload: inout GenerationEventPayload) throws {}
    public func generationBatchPreCall(_ payload: inout GenerationBatchPreCallPayload) throws {}
    public func generationBatchPostCall(_ payload: inout GenerationBatchPostCallPayload) throws {}
    public func generationBatchError(_ payload: inout GenerationBatchErrorPayload) throws {}
    public func validationPreCheck(_ payload: inout ValidationPreCheckPayload) throws {}
    public func validationPostCheck(_ payload: inout ValidationPostCheckPayload) throws {}
    public func samplingLoopStart(_ payload: inout SamplingLoopStartPayload) throws {}
    public func samplingIteration(_ payload: inout SamplingIterationPayload) throws {}
    public func samplingRepair(_ payload: inout SamplingRepairPayload) throws {}
    public func samplingLoopEnd(_ payload: inout SamplingLoopEndPayload) throws {}
    public func toolPreInvoke(_ payload: inout ToolPreInvokePayload) throws {}
    public func toolPostInvoke(_ payload: inout ToolPostInvokePayload) throws {}
    public func streamingStart(_ payload: inout StreamingStartPayload) throws {}
    public func streamingEvent(_ payload: inout StreamingEventPayload) throws {}
    public func streamingEnd(_ payload: inout StreamingEndPayload) throws {}
}
