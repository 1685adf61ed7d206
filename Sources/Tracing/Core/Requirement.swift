import Foundation
import Tracing

/// A condition an action's output must meet: a description, and how to check it.
///
/// A requirement written as a string literal is judged by the model (the back end is asked whether
/// the output meets it, and its verdict parsed), as in the Python system; ``check(_:_:)`` and
/// ``init(_:validate:)`` check it with Swift code instead.
public struct Requirement: Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    /// What the output must do, in words (also what the model is told when it fails).
    public let description: String
    let check: Check

    enum Check: Sendable {
        case function(@Sendable (String) async throws -> RequirementVerdict)
        case modelJudged
    }

    /// A requirement checked by `validate`, which reads the output and gives a verdict.
    public init(_ description: String, validate: @escaping @Sendable (String) async throws -> RequirementVerdict) {
        self.description = description
        check = .function(validate)
    }

    /// A requirement the back end judges: it is asked whether the output meets `description`.
    public init(stringLiteral description: String) {
        self.description = description
        check = .modelJudged
    }

    /// A requirement judged by the model (see ``init(stringLiteral:)``).
    public static func judged(_ description: String) -> Requirement { Requirement(stringLiteral: description) }

    /// A requirement checked by a predicate; a failure's reason is "not met: `description`".
    public static func check(_ description: String, _ predicate: @escaping @Sendable (String) -> Bool) -> Requirement {
        Requirement(description) { output in
            predicate(output) ? .pass : .fail("not met: \(description)")
        }
    }
}

/// The verdict on one requirement.
public struct RequirementVerdict: Sendable, Equatable {
    /// Whether the output meets the requirement.
    public var passed: Bool
    /// Why, in words (free text: recorded on spans only with content capture on).
    public var reason: String?

    /// Creates a verdict.
    public init(passed: Bool, reason: String? = nil) {
        self.passed = passed
        self.reason = reason
    }

    /// Met.
    public static let pass = RequirementVerdict(passed: true)
    /// Not met, because of `reason`.
    public static func fail(_ reason: String) -> RequirementVerdict { RequirementVerdict(passed: false, reason: reason) }

    /// The verdict in a judge's answer: `yes`/`no` first (case and punctuation ignored), the rest is
    /// the reason; an answer that starts otherwise fails.
    public init(judgement text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let firstWord = trimmed.prefix { $0.isLetter }.lowercased()
        let rest = trimmed.dropFirst(firstWord.count).trimmingCharacters(in: .punctuationCharacters.union(.whitespacesAndNewlines))
        switch firstWord {
        case "yes", "true", "pass", "passed": self.init(passed: true, reason: rest.isEmpty ? nil : rest)
        case "no", "false", "fail", "failed": self.init(passed: false, reason: rest.isEmpty ? "the judge answered no" : rest)
        default: self.init(passed: false, reason: "the judge gave no yes/no verdict")
        }
    }
}

/// One requirement checked against one output.
public struct RequirementResult: Sendable, Equatable {
    /// The requirement's description.
    public var requirement: String
    /// Its verdict.
    public var verdict: RequirementVerdict

    /// Creates a result.
    public init(requirement: String, verdict: RequirementVerdict) {
        self.requirement = requirement
        self.verdict = verdict
    }
}

extension GenerativeCore {
    /// Checks `output` against `requirements`, firing `validation_pre_check` and
    /// `validation_post_check` once for the whole check (a `validation` span around it, current
    /// while the checks run, so a model-judged check's `chat` span nests under it).
    ///
    /// A check that throws counts as failed, its error type as the reason; cancellation propagates.
    public func validate(_ output: String, against requirements: [Requirement], backend: any Backend,
                         sessionID: String? = nil) async throws -> [RequirementResult] {
        guard !requirements.isEmpty else { return [] }
        let listening = registry.isListening(toAnyOf: HookType.validationHooks)
        let validationID = listening ? UUID().uuidString : ""
        var pre = ValidationPreCheckPayload(sessionID: sessionID, validationID: validationID,
                                            requirements: requirements.map(\.description),
                                            context: InstrumentationContext.current ?? .topLevel)
        if listening { try? registry.fire(&pre) }
        var results: [RequirementResult] = []
        do {
            try await InstrumentationContext.$current.withValue(pre.context) {
                for requirement in requirements {
                    results.append(RequirementResult(
                        requirement: requirement.description,
                        verdict: try await verdict(on: output, for: requirement, backend: backend, sessionID: sessionID)))
                }
            }
        } catch {
            if listening {
                registry.fireClosing(ValidationPostCheckPayload(
                    sessionID: sessionID, validationID: validationID, results: results,
                    allPassed: false, errorType: errorType(error)))
            }
            throw error
        }
        if listening {
            var post = ValidationPostCheckPayload(sessionID: sessionID, validationID: validationID, results: results,
                                                  allPassed: results.allSatisfy(\.verdict.passed), errorType: nil)
            try? registry.fire(&post)
            if post.allPassed != results.allSatisfy(\.verdict.passed) {
                // A plugin overruled the verdict: the action follows it.
                return results.map { RequirementResult(requirement: $0.requirement,
                                                       verdict: RequirementVerdict(passed: post.allPassed, reason: $0.verdict.reason)) }
            }
        }
        return results
    }

    private func verdict(on output: String, for requirement: Requirement, backend: any Backend,
                         sessionID: String?) async throws -> RequirementVerdict {
        do {
            switch requirement.check {
            case .function(let validate):
                return try await validate(output)
            case .modelJudged:
                let question = GenerationRequest(messages: [
                    .system("You judge whether a text meets a requirement. Answer 'yes' or 'no' on the first line, then one sentence of reason."),
                    .user("Requirement: \(requirement.description)\n\nText:\n\(output)"),
                ], options: ModelOptions(temperature: 0))
                let answer = try await generate(backend, question, sessionID: sessionID)
                return RequirementVerdict(judgement: answer.text)
            }
        } catch where !(error is CancellationError) && !Task.isCancelled {
            return .fail("the check failed with \(errorType(error))")
        }
    }
}
