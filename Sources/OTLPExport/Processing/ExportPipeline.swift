import Dispatch
import Synchronization

/// The export side assembled from configuration: one batch processor per selected exporter.
///
/// Built from `OTEL_TRACES_EXPORTER` (otlp, console, none), `OTEL_SDK_DISABLED`, `OTEL_BSP_*`,
/// `OTEL_EXPORTER_OTLP_*` and the resource variables, or from explicit parts.
public final class ExportPipeline: SpanProcessor {
    /// The processors, one per exporter; empty when tracing is disabled.
    public let processors: [BatchSpanProcessor]

    /// Creates a pipeline over existing processors.
    public init(processors: [BatchSpanProcessor]) { self.processors = processors }

    /// Builds the pipeline the environment describes. `preferConsoleWithoutEndpoint` selects the
    /// console exporter when neither `OTEL_TRACES_EXPORTER` nor an OTLP endpoint is set.
    public static func fromEnvironment(_ env: EnvironmentReader = EnvironmentReader(),
                                       resource: Resource? = nil,
                                       preferConsoleWithoutEndpoint: Bool = false) -> ExportPipeline {
        var selection = TracesExporterSelection.fromEnvironment(env)
        if preferConsoleWithoutEndpoint, env.string("OTEL_TRACES_EXPORTER") == nil,
           env.firstString(["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"]) == nil {
            selection.kinds = [.console]
        }
        let resource = resource ?? Resource.fromEnvironment(env)
        let batch = BatchSpanProcessorConfiguration.fromEnvironment(env)
        var processors: [BatchSpanProcessor] = []
        for kind in selection.effectiveKinds {
            switch kind {
            case .console:
                processors.append(BatchSpanProcessor(exporter: ConsoleSpanExporter(), configuration: batch,
                                                     diagnostics: env.diagnostics))
            case .otlp:
                do {
                    let exporter = try OTLPTraceExporter(configuration: .fromEnvironment(env), resource: resource,
                                                         diagnostics: env.diagnostics)
                    processors.append(BatchSpanProcessor(exporter: exporter, configuration: batch,
                                                         diagnostics: env.diagnostics))
                } catch {
                    env.diagnostics.report(.error, "the OTLP exporter could not start: \(error); spans will not be exported over OTLP")
                }
            }
        }
        return ExportPipeline(processors: processors)
    }

    public func onEnd(_ span: SpanRecord) {
        for processor in processors { processor.onEnd(span) }
    }

    @discardableResult
    public func forceFlush(timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        // Flush every processor, even after one has failed.
        return processors.map { $0.forceFlush(timeout: deadline - .now) }.allSatisfy { $0 }
    }

    @discardableResult
    public func shutdown(timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        // Shut down in parallel so one stuck exporter cannot eat the others' budget.
        let results = ResultBox(count: processors.count)
        DispatchQueue.concurrentPerform(iterations: processors.count) { index in
            results.set(index, processors[index].shutdown(timeout: deadline - .now))
        }
        return results.all
    }
}

private final class ResultBox: Sendable {
    private let values: Locked<[Bool]>
    init(count: Int) { values = Locked(Array(repeating: false, count: count)) }
    func set(_ index: Int, _ value: Bool) { values.withLock { $0[index] = value } }
    var all: Bool { values.withLock { $0.allSatisfy { $0 } } }
}
