import OTLPExport
import Tracing

/// Emits `sampling` spans around sampling loops (with `iteration` and `repair` events) and
/// `validation` spans around requirement checks, for strategies that fire those hooks.
public final class SamplingTracingPlugin: Plugin {
    public let name = "sampling_tracing"
    public let priority = 1044
    public let closesSpans = true
    public let hooks: Set<HookType> = [.samplingLoopStart, .samplingIteration, .samplingRepair, .samplingLoopEnd,
                                       .validationPreCheck, .validationPostCheck]
    private let core: TracerCore
    private let spans: InFlightSpans

    /// Creates the plugin over a tracer core and the shared in-flight map.
    public init(core: TracerCore, spans: InFlightSpans) {
        self.core = core
        self.spans = spans
    }

    public func samplingLoopStart(_ p: inout SamplingLoopStartPayload) throws {
        let span = core.startSpan("sampling")
        span.appendAttribute("mellea.sampling.strategy_type", .string(p.strategyName))
        span.appendAttribute("mellea.sampling.loop_budget", .int(Int64(p.loopBudget)))
        span.appendAttribute("mellea.sampling.requirement_count", .int(Int64(p.requirementCount)))
        spans.insert(span, for: "sampling:\(p.samplingID)")
    }

    public func samplingIteration(_ p: inout SamplingIterationPayload) throws {
        spans.withSpan("sampling:\(p.samplingID)") { $0.addEvent("iteration", attributes: [
            Attribute("mellea.sampling.iteration", .int(Int64(p.iteration))),
            Attribute("mellea.sampling.all_validations_passed", .bool(p.allValidationsPassed)),
            Attribute("mellea.validation.valid_count", .int(Int64(p.validCount))),
            Attribute("mellea.validation.requirement_count", .int(Int64(p.totalCount))),
        ]) }
    }

    public func samplingRepair(_ p: inout SamplingRepairPayload) throws {
        spans.withSpan("sampling:\(p.samplingID)") { $0.addEvent("repair", attributes: [
            Attribute("mellea.sampling.repair_iteration", .int(Int64(p.repairIteration))),
            Attribute("mellea.sampling.repair_type", .string(p.repairType)),
            Attribute("mellea.validation.failed_count", .int(Int64(p.failedCount))),
        ]) }
    }

    public func samplingLoopEnd(_ p: inout SamplingLoopEndPayload) throws {
        guard let span = spans.remove("sampling:\(p.samplingID)") else { return }
        span.setAttribute("mellea.sampling.success", .bool(p.success))
        span.setAttribute("mellea.sampling.iterations_used", .int(Int64(p.iterationsUsed)))
        if let reason = p.failureReason { span.setAttribute("mellea.sampling.failure_reason", .string(reason)) }
        if let error = p.errorType { span.recordError(type: error, description: "\(error) ended the sampling loop") }
        span.end()
    }

    public func validationPreCheck(_ p: inout ValidationPreCheckPayload) throws {
        let span = core.startSpan("validation")
        span.appendAttribute("mellea.validation.requirement_count", .int(Int64(p.requirements.count)))
        spans.insert(span, for: "validation:\(p.validationID)")
    }

    public func validationPostCheck(_ p: inout ValidationPostCheckPayload) throws {
        guard let span = spans.remove("validation:\(p.validationID)") else { return }
        span.setAttribute("mellea.validation.passed", .bool(p.allPassed))
        span.setAttribute("mellea.validation.passed_count", .int(Int64(p.passedCount)))
        span.setAttribute("mellea.validation.failed_count", .int(Int64(p.failedCount)))
        span.end()
    }
}
