import Tracing

/// Before an output is checked against requirements. Writable: `context` (the `validation` span
/// becomes current here, so a model-judged check nests under it).
public struct ValidationPreCheckPayload: HookPayload {
    public static let hook = HookType.validationPreCheck
    public let sessionID: String?
    public let validationID: String
    /// The requirements' descriptions.
    public let requirements: [String]
    public var context: InstrumentationContext
    /// Creates the payload (to fire this hook from your own code).
    public init(sessionID: String?, validationID: String, requirements: [String],
                context: InstrumentationContext = InstrumentationContext.current ?? .topLevel) {
        self.sessionID = sessionID
        self.validationID = validationID
        self.requirements = requirements
        self.context = context
    }

    public static func deliver(_ p: inout Self, to plugin: any Plugin) throws { try plugin.validationPreCheck(&p) }
}

/// After an output was checked. Writable: `allPassed` (a plugin may overrule).
public struct ValidationPostCheckPayload: HookPayload {
    public static let hook = HookType.validationPostCheck
    public let sessionID: String?
    public let validationID: String
    /// Each requirement's verdict (a check that threw has none: see `errorType`).
    public let results: [RequirementResult]
    public var allPassed: Bool
    /// Set when checking failed with an error.
    public let errorType: String?
    /// Requirements met.
    public var passedCount: Int { results.count { $0.verdict.passed } }
    /// Requirements not met.
    public var failedCount: Int { results.count { !$0.verdict.passed } }
    /// Creates the payload (to fire this hook from your own code).
    public init(sessionID: String?, validationID: String, results: [RequirementResult], allPassed: Bool,
                errorType: String? = nil) {
        self.sessionID = sessionID
        self.validationID = validationID
        self.results = results
        self.allPassed = allPassed
        self.errorType = errorType
    }

    public static func deliver(_ p: inout Self, to plugin: any Plugin) throws { try plugin.validationPostCheck(&p) }
}

/// A sampling loop starts. Writable: `loopBudget`, `context` (the `sampling` span becomes
/// current here, so every attempt's spans nest under it).
public struct SamplingLoopStartPayload: HookPayload {
    public static let hook = HookType.samplingLoopStart
    public let sessionID: String?
    public let samplingID: String
    public let strategyName: String
    public let requirementCount: Int
    public var loopBudget: Int
    public var context: InstrumentationContext
    /// Creates the payload (to fire this hook from your own code).
    public init(sessionID: String?, samplingID: String, strategyName: String, requirementCount: Int, loopBudget: Int,
                context: InstrumentationContext = InstrumentationContext.current ?? .topLevel) {
        self.sessionID = sessionID
        self.samplingID = samplingID
        self.strategyName = strategyName
        self.requirementCount = requirementCount
        self.loopBudget = loopBudget
        self.context = context
    }

    public static func deliver(_ p: inout Self, to plugin: any Plugin) throws { try plugin.samplingLoopStart(&p) }
}

/// One generate-and-validate attempt of a sampling loop finished.
public struct SamplingIterationPayload: HookPayload {
    public static let hook = HookType.samplingIteration
    public let sessionID: String?
    public let samplingID: String
    public let iteration: Int
    public let allValidationsPassed: Bool
    public let validCount: Int
    public let totalCount: Int
    /// Creates the payload (to fire this hook from your own code).
    public init(sessionID: String?, samplingID: String, iteration: Int, allValidationsPassed: Bool, validCount: Int, totalCount: Int) {
        self.sessionID = sessionID
        self.samplingID = samplingID
        self.iteration = iteration
        self.allValidationsPassed = allValidationsPassed
        self.validCount = validCount
        self.totalCount = totalCount
    }

    public static func deliver(_ p: inout Self, to plugin: any Plugin) throws { try plugin.samplingIteration(&p) }
}

/// A sampling loop repaired its request after a failed attempt.
public struct SamplingRepairPayload: HookPayload {
    public static let hook = HookType.samplingRepair
    public let sessionID: String?
    public let samplingID: String
    public let repairType: String
    public let repairIteration: Int
    public let failedCount: Int
    /// Creates the payload (to fire this hook from your own code).
    public init(sessionID: String?, samplingID: String, repairType: String, repairIteration: Int, failedCount: Int) {
        self.sessionID = sessionID
        self.samplingID = samplingID
        self.repairType = repairType
        self.repairIteration = repairIteration
        self.failedCount = failedCount
    }

    public static func deliver(_ p: inout Self, to plugin: any Plugin) throws { try plugin.samplingRepair(&p) }
}

/// A sampling loop ended: success, budget exhausted, or error.
public struct SamplingLoopEndPayload: HookPayload {
    public static let hook = HookType.samplingLoopEnd
    public let sessionID: String?
    public let samplingID: String
    public let success: Bool
    public let iterationsUsed: Int
    public let failureReason: String?
    public let errorType: String?
    /// Creates the payload (to fire this hook from your own code).
    public init(sessionID: String?, samplingID: String, success: Bool, iterationsUsed: Int, failureReason: String?, errorType: String?) {
        self.sessionID = sessionID
        self.samplingID = samplingID
        self.success = success
        self.iterationsUsed = iterationsUsed
        self.failureReason = failureReason
        self.errorType = errorType
    }

    public static func deliver(_ p: inout Self, to plugin: any Plugin) throws { try plugin.samplingLoopEnd(&p) }
}
