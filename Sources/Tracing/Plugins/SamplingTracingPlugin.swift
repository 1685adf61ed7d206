import OTLPExport
import Tracing

private typealias N = SemanticNames

/// Emits `sampling` spans around sampling loops (with `mellea.sampling.iteration` and
/// `mellea.sampling.repair` events) and `validation` spans around requirement checks. Both become
/// the current span, so every attempt's `chat`, `execute_tool` and `validation` spans nest under
/// `sampling`, and a model-judged check's `chat` under its `validation`.
public final class SamplingTracingPlugin: Plugin {
    public let name = "sampling_tracing"
    public let priority = 1044
    public let closesSpans = true
    public let hooks: Set<HookType> = [.samplingLoopStart, .samplingIteration, .samplingRepair, .samplingLoopEnd,
                                       .validationPreCheck, .validationPostCheck]
    private let core: TracerCore
    private let spans: InFlightSpans
    private let content: ContentCapture
    private let openInference: Bool

    /// Creates the plugin over a tracer core and the shared in-flight map.
    public init(core: TracerCore, spans: InFlightSpans, content: ContentCapture = ContentCapture(enabled: false),
                openInference: Bool = false) {
        self.core = core
        self.spans = spans
        self.content = content
        self.openInference = openInference
    }

    public func samplingLoopStart(_ p: inout SamplingLoopStartPayload) throws {
        let span = core.startSpan("sampling", parent: p.context.spanContext)
        span.appendAttribute(N.Mellea.samplingStrategyType, .string(p.strategyName))
        span.appendAttribute(N.Mellea.samplingLoopBudget, .int(Int64(p.loopBudget)))
        span.appendAttribute(N.Mellea.samplingRequirementCount, .int(Int64(p.requirementCount)))
        if let session = p.sessionID { span.appendAttribute(N.GenAI.conversationID, .string(session)) }
        if openInference { span.appendAttribute(N.OpenInference.spanKind, "CHAIN") }
        spans.insert(span, for: "sampling:\(p.samplingID)")
        p.context.spanContext = span.context
    }

    public func samplingIteration(_ p: inout SamplingIterationPayload) throws {
        spans.withSpan("sampling:\(p.samplingID)") { $0.addEvent(N.Event.samplingIteration, attributes: [
            Attribute(N.Mellea.samplingIteration, .int(Int64(p.iteration))),
            Attribute(N.Mellea.samplingAllValidationsPassed, .bool(p.allValidationsPassed)),
            Attribute(N.Mellea.validationValidCount, .int(Int64(p.validCount))),
            Attribute(N.Mellea.validationRequirementCount, .int(Int64(p.totalCount))),
        ]) }
    }

    public func samplingRepair(_ p: inout SamplingRepairPayload) throws {
        spans.withSpan("sampling:\(p.samplingID)") { $0.addEvent(N.Event.samplingRepair, attributes: [
            Attribute(N.Mellea.samplingRepairIteration, .int(Int64(p.repairIteration))),
            Attribute(N.Mellea.samplingRepairType, .string(p.repairType)),
            Attribute(N.Mellea.validationFailedCount, .int(Int64(p.failedCount))),
        ]) }
    }

    public func samplingLoopEnd(_ p: inout SamplingLoopEndPayload) throws {
        guard let span = spans.remove("sampling:\(p.samplingID)") else { return }
        span.setAttribute(N.Mellea.samplingSuccess, .bool(p.success))
        span.setAttribute(N.Mellea.samplingIterationsUsed, .int(Int64(p.iterationsUsed)))
        // Free text (it may quote a requirement's reason): content only.
        if let reason = p.failureReason, let text = content.text(reason) {
            span.setAttribute(N.Mellea.samplingFailureReason, .string(text))
        }
        if let error = p.errorType {
            if error == "cancelled" {
                span.setAttribute(N.Mellea.endReason, "cancelled")
            } else {
                span.recordError(type: error, description: "\(error) ended the sampling loop")
            }
        }
        span.end()
    }

    public func validationPreCheck(_ p: inout ValidationPreCheckPayload) throws {
        let span = core.startSpan("validation", parent: p.context.spanContext)
        span.appendAttribute(N.Mellea.validationRequirementCount, .int(Int64(p.requirements.count)))
        if let session = p.sessionID { span.appendAttribute(N.GenAI.conversationID, .string(session)) }
        if openInference { span.appendAttribute(N.OpenInference.spanKind, "EVALUATOR") }
        spans.insert(span, for: "validation:\(p.validationID)")
        p.context.spanContext = span.context
    }

    public func validationPostCheck(_ p: inout ValidationPostCheckPayload) throws {
        guard let span = spans.remove("validation:\(p.validationID)") else { return }
        span.setAttribute(N.Mellea.validationPassed, .bool(p.allPassed))
        span.setAttribute(N.Mellea.validationPassedCount, .int(Int64(p.passedCount)))
        span.setAttribute(N.Mellea.validationFailedCount, .int(Int64(p.failedCount)))
        let failed = p.results.filter { !$0.verdict.passed }
        if content.onSpans, !failed.isEmpty {
            // Requirement descriptions and reasons are free text the user or the model wrote.
            span.setAttribute(N.Mellea.validationFailedRequirements, .stringArray(failed.map { content.clip($0.requirement) }))
            span.setAttribute(N.Mellea.validationFailureReasons,
                              .stringArray(failed.map { content.clip($0.verdict.reason ?? "") }))
        }
        if let error = p.errorType {
            if error == "cancelled" {
                span.setAttribute(N.Mellea.endReason, "cancelled")
            } else {
                span.recordError(type: error, description: "\(error) ended the validation")
            }
        }
        span.end()
    }
}
