import Foundation
import Atomics
import Tracing

/// How an action with requirements is retried until its output meets them.
///
/// Rejection sampling: generate, validate, and on failure repair the request and try again,
/// within a loop budget. `concurrency` attempts may run at once; the first that passes wins and
/// the others are cancelled (their spans end). When the budget is spent the action reports an
/// unsuccessful result (``ActionResult/requirementsMet`` is `false`) with the best attempt, or
/// throws ``SamplingBudgetExhaustedError`` if ``onExhaustion`` says so.
public struct SamplingStrategy: Sendable, Equatable {
    /// How a failed attempt changes the next request.
    public enum Repair: String, Sendable, Equatable {
        /// Ask again, unchanged.
        case resample = "resample"
        /// Append the failed requirements and their reasons to the instruction.
        case instructionFeedback = "repair_template"
        /// Keep the failed answer in the conversation and reply to it with the failures.
        case multiTurnFeedback = "multi_turn"
    }

    /// What an exhausted budget does.
    public enum Exhaustion: Sendable, Equatable {
        /// Return the attempt that met the most requirements, marked as unsuccessful.
        case returnBestAttempt
        /// Throw ``SamplingBudgetExhaustedError`` (the action's span ends with ERROR).
        case throwError
    }

    /// The name recorded as `mellea.sampling.strategy_type`.
    public var name: String
    /// Attempts at most (at least 1).
    public var loopBudget: Int
    /// Attempts run at once (at least 1).
    public var concurrency: Int
    /// How a failed attempt is repaired.
    public var repair: Repair
    /// What an exhausted budget does.
    public var onExhaustion: Exhaustion

    /// Rejection sampling with repair.
    public static func rejection(loopBudget: Int = 2, repair: Repair = .instructionFeedback, concurrency: Int = 1,
                                 onExhaustion: Exhaustion = .returnBestAttempt) -> SamplingStrategy {
        SamplingStrategy(name: "rejection_sampling", loopBudget: max(1, loopBudget), concurrency: max(1, concurrency),
                         repair: repair, onExhaustion: onExhaustion)
    }
}

/// What an action produced.
public struct ActionResult: Sendable, Equatable {
    /// The final generation (of the best attempt when requirements were not all met).
    public var generation: GenerationResult
    /// Whether every requirement was met (`true` when there were none).
    public var requirementsMet: Bool
    /// The verdicts on the returned output (empty without requirements).
    public var validation: [RequirementResult]
    /// Attempts made (1 without requirements).
    public var attempts: Int
    /// Model calls made (tool rounds included; a model judge's calls are not).
    public var generations: Int
    /// The token usage of those calls, summed (failed attempts included).
    public var usage: TokenUsage

    /// The answer's text.
    public var text: String { generation.text }
}

/// Every attempt of a sampling loop failed its requirements and ``SamplingStrategy/onExhaustion``
/// is ``SamplingStrategy/Exhaustion/throwError``.
public struct SamplingBudgetExhaustedError: Error, Sendable, CustomStringConvertible {
    /// Attempts made.
    public let attempts: Int
    /// The attempt that met the most requirements.
    public let bestAttempt: ActionResult
    public var description: String {
        "no attempt met every requirement within the budget of \(attempts) attempt(s) "
            + "(best: \(bestAttempt.validation.count { $0.verdict.passed }) of \(bestAttempt.validation.count) met)"
    }
}

/// One generate-and-validate attempt.
struct Attempt: Sendable {
    var turn: Turn
    var validation: [RequirementResult]
    var passed: Bool { validation.allSatisfy(\.verdict.passed) }
    var metCount: Int { validation.count { $0.verdict.passed } }
}

extension GenerativeCore {
    /// Runs `strategy` over `request`: attempts (each a turn with its tools, then a validation),
    /// with the sampling hooks around them (`sampling` span current, so attempts nest under it).
    func sample(_ backend: any Backend, _ request: GenerationRequest, requirements: [Requirement],
                strategy: SamplingStrategy, tools: [Tool], maxToolRounds: Int,
                sessionID: String?, actionID: String?) async throws -> (attempt: Attempt, attempts: Int, spent: Turn) {
        let listening = registry.isListening(toAnyOf: HookType.samplingHooks)
        let samplingID = listening ? UUID().uuidString : ""
        var start = SamplingLoopStartPayload(sessionID: sessionID, samplingID: samplingID, strategyName: strategy.name,
                                             requirementCount: requirements.count, loopBudget: strategy.loopBudget,
                                             context: InstrumentationContext.current ?? .topLevel)
        if listening { try? registry.fire(&start) }
        let budget = max(1, start.loopBudget)
        let iterations = ManagedAtomic<Int>(0)
        var best: Attempt?
        var spent = Turn(result: GenerationResult(text: ""), messages: [], generations: 0, usage: TokenUsage())
        var current = request
        do {
            let winner: Attempt? = try await InstrumentationContext.$current.withValue(start.context) {
                while iterations.load(ordering: .relaxed) < budget {
                    let round = min(strategy.concurrency, budget - iterations.load(ordering: .relaxed))
                    let attempts = try await runRound(round, backend, current, requirements: requirements, tools: tools,
                                                      maxToolRounds: maxToolRounds, sessionID: sessionID,
                                                      actionID: actionID, samplingID: samplingID, iterations: iterations)
                    for attempt in attempts {
                        spent.generations += attempt.turn.generations
                        spent.usage = spent.usage + attempt.turn.usage
                    }
                    if let passed = attempts.first(where: \.passed) { return passed }
                    for attempt in attempts where best == nil || attempt.metCount > best!.metCount { best = attempt }
                    let used = iterations.load(ordering: .relaxed)
                    guard used < budget, let failed = attempts.max(by: { $0.metCount < $1.metCount }) else { break }
                    current = Self.repaired(request, current, after: failed, with: strategy.repair)
                    if listening {
                        registry.fireClosing(SamplingRepairPayload(
                            sessionID: sessionID, samplingID: samplingID, repairType: strategy.repair.rawValue,
                            repairIteration: used, failedCount: failed.validation.count { !$0.verdict.passed }))
                    }
                }
                return nil
            }
            let used = iterations.load(ordering: .relaxed)
            if listening {
                registry.fireClosing(SamplingLoopEndPayload(
                    sessionID: sessionID, samplingID: samplingID, success: winner != nil, iterationsUsed: used,
                    failureReason: winner == nil ? "budget exhausted after \(used) attempt(s)" : nil, errorType: nil))
            }
            return (winner ?? best!, used, spent)
        } catch {
            if listening {
                registry.fireClosing(SamplingLoopEndPayload(
                    sessionID: sessionID, samplingID: samplingID, success: false,
                    iterationsUsed: iterations.load(ordering: .relaxed), failureReason: nil, errorType: errorType(error)))
            }
            throw error
        }
    }

    /// `count` attempts at once; the first that passes cancels the others.
    private func runRound(_ count: Int, _ backend: any Backend, _ request: GenerationRequest, requirements: [Requirement],
                          tools: [Tool], maxToolRounds: Int, sessionID: String?, actionID: String?, samplingID: String,
                          iterations: ManagedAtomic<Int>) async throws -> [Attempt] {
        @Sendable func attempt() async throws -> Attempt {
            let turn = try await runTurn(backend, request, tools: tools, maxToolRounds: maxToolRounds,
                                         sessionID: sessionID, actionID: actionID)
            let validation = try await validate(turn.result.text, against: requirements, backend: backend, sessionID: sessionID)
            let made = Attempt(turn: turn, validation: validation)
            let iteration = iterations.wrappingIncrementThenLoad(ordering: .relaxed)
            if registry.isListening(.samplingIteration) {
                registry.fireClosing(SamplingIterationPayload(
                    sessionID: sessionID, samplingID: samplingID, iteration: iteration, allValidationsPassed: made.passed,
                    validCount: made.metCount, totalCount: validation.count))
            }
            return made
        }
        if count == 1 { return [try await attempt()] }
        return try await withThrowingTaskGroup(of: Attempt?.self) { group in
            for _ in 0..<count {
                group.addTask {
                    do { return try await attempt() } catch where Task.isCancelled { return nil }
                }
            }
            var done: [Attempt] = []
            for try await finished in group {
                guard let finished else { continue }
                done.append(finished)
                if finished.passed {
                    group.cancelAll()
                    return [finished]
                }
            }
            if done.isEmpty { try Task.checkCancellation() }
            return done
        }
    }

    /// The request for the next attempt after `failed`.
    static func repaired(_ original: GenerationRequest, _ current: GenerationRequest, after failed: Attempt,
                         with repair: SamplingStrategy.Repair) -> GenerationRequest {
        let failures = failed.validation.filter { !$0.verdict.passed }
            .map { "- \($0.requirement)" + ($0.verdict.reason.map { ": \($0)" } ?? "") }
            .joined(separator: "\n")
        var next = original
        switch repair {
        case .resample:
            return original
        case .instructionFeedback:
            guard let last = original.messages.lastIndex(where: { $0.role == "user" }) else { return original }
            next.messages[last].content += "\n\nA previous answer did not meet these requirements:\n\(failures)\n"
                + "Write an answer that meets all of them."
        case .multiTurnFeedback:
            next.messages = current.messages + failed.turn.messages
                + [.user("Your answer did not meet these requirements:\n\(failures)\nPlease answer again, meeting all of them.")]
        }
        return next
    }
}
