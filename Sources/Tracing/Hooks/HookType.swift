/// Every point at which the generative core fires a hook.
public enum HookType: Int, CaseIterable, Sendable {
    case sessionPreInit, sessionPostInit, sessionReset, sessionCleanup
    case componentPreExecute, componentPostSuccess, componentPostError
    case generationPreCall, generationPostCall, generationError, generationEvent
    case generationBatchPreCall, generationBatchPostCall, generationBatchError
    case validationPreCheck, validationPostCheck
    case samplingLoopStart, samplingIteration, samplingRepair, samplingLoopEnd
    case toolPreInvoke, toolPostInvoke
    case streamingStart, streamingEvent, streamingEnd

    /// This hook's bit in the registry's "who listens" mask.
    @inlinable
    public var bit: UInt64 { 1 << UInt64(rawValue) }

    /// The hooks of one chat generation, as a mask: the core fires them when anyone listens to any.
    @inlinable public static var generationHooks: UInt64 {
        generationPreCall.bit | generationPostCall.bit | generationError.bit | generationEvent.bit
    }
    /// The hooks of a batch generation.
    @inlinable public static var batchHooks: UInt64 {
        generationBatchPreCall.bit | generationBatchPostCall.bit | generationBatchError.bit
    }
    /// The hooks of a component run.
    @inlinable public static var componentHooks: UInt64 {
        componentPreExecute.bit | componentPostSuccess.bit | componentPostError.bit
    }
    /// The hooks of a tool invocation.
    @inlinable public static var toolHooks: UInt64 { toolPreInvoke.bit | toolPostInvoke.bit }
    /// The hooks of a requirement check.
    @inlinable public static var validationHooks: UInt64 { validationPreCheck.bit | validationPostCheck.bit }
    /// The hooks of a sampling loop.
    @inlinable public static var samplingHooks: UInt64 {
        samplingLoopStart.bit | samplingIteration.bit | samplingRepair.bit | samplingLoopEnd.bit
    }
    /// The hooks of a stream.
    @inlinable public static var streamingHooks: UInt64 { streamingStart.bit | streamingEvent.bit | streamingEnd.bit }

    /// Hooks that open an operation; only these may be refused by a plugin.
    public var isOpening: Bool {
        switch self {
        case .sessionPreInit, .componentPreExecute, .generationPreCall, .generationBatchPreCall,
             .validationPreCheck, .samplingLoopStart, .toolPreInvoke, .streamingStart: return true
        default: return false
        }
    }

    /// Hooks that close an operation; span-closing plugins run first on these, so no other
    /// plugin can keep a span open.
    public var isClosing: Bool {
        switch self {
        case .sessionCleanup, .componentPostSuccess, .componentPostError, .generationPostCall, .generationError,
             .generationBatchPostCall, .generationBatchError, .validationPostCheck, .samplingLoopEnd,
             .toolPostInvoke, .streamingEnd: return true
        default: return false
        }
    }
}

/// The data a hook carries. Fields a sequential plugin may change are `var`; all others are `let`.
public protocol HookPayload: Sendable {
    /// The hook this payload belongs to.
    static var hook: HookType { get }
    /// The session the operation runs in, if any (selects session-scoped plugins).
    var sessionID: String? { get }
    /// Hands the payload to the plugin method for this hook.
    static func deliver(_ payload: inout Self, to plugin: any Plugin) throws
}

/// Thrown by a sequential plugin from an opening hook to refuse the operation.
public struct HookRefusal: Error, Sendable, CustomStringConvertible {
    /// Why the plugin refused.
    public let reason: String
    /// Creates a refusal.
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// The error an operation fails with when a plugin refused it.
public struct PluginRefusedError: Error, Sendable, CustomStringConvertible {
    /// The refusing plugin.
    public let plugin: String
    /// The hook it refused at.
    public let hook: HookType
    /// Its reason.
    public let reason: String
    public var description: String { "plugin '\(plugin)' refused the operation at \(hook): \(reason)" }
}
