import Foundation
import MelleaTracing
import OTLPExport
import OTLPReceiver

/// Tracing for one command run: to the OTLP endpoint the environment names, or else to an
/// embedded receiver whose spans are printed as a tree at the end.
struct TracedRun {
    /// Where spans go.
    enum Destination {
        case endpoint(String)
        case embedded(EmbeddedReceiver)
    }

    let destination: Destination
    let setup: TracingSystem.Setup

    /// Sets tracing up from `environment`, which the user's `MELLEA_TRACES_*` and `OTEL_*` variables
    /// still steer; tracing and OTLP export are on unless they say otherwise.
    init(serviceName: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        var variables = environment
        func isSet(_ name: String) -> Bool { !(variables[name] ?? "").isEmpty }
        if !isSet("MELLEA_TRACES_ENABLED") && !isSet("MELLEA_TRACE_ENABLED") { variables["MELLEA_TRACES_ENABLED"] = "true" }
        if !isSet("MELLEA_TRACES_OTLP") && !isSet("OTEL_TRACES_EXPORTER") { variables["MELLEA_TRACES_OTLP"] = "true" }
        if !isSet("OTEL_SERVICE_NAME") { variables["OTEL_SERVICE_NAME"] = serviceName }
        if let configured = ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"].first(where: isSet) {
            destination = .endpoint(variables[configured]!)
        } else {
            let receiver = try EmbeddedReceiver()
            variables["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = receiver.endpoint
            destination = .embedded(receiver)
        }
        setup = TracingSystem.bootstrap(environment: EnvironmentReader(variables))
    }

    /// One line saying where spans go.
    var announcement: String {
        switch destination {
        case .endpoint(let endpoint):
            return "exporting over OTLP/gRPC to \(endpoint) (from OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT)"
        case .embedded(let receiver):
            return "no OTEL_EXPORTER_OTLP_ENDPOINT set: exporting over OTLP/gRPC to an embedded receiver at \(receiver.endpoint)"
        }
    }

    /// Shuts tracing down, prints the tree (embedded receiver) and what was delivered; `true` when
    /// at least one span was produced and every span was exported (and, embedded, received).
    func finish(colour: Bool) -> Bool {
        let pipeline = setup.pipeline
        let clean = TracingSystem.shutdown(timeout: .seconds(10))
        let statistics = pipeline.processors.map(\.statistics)
        let produced = statistics.map(\.produced).reduce(0, +)
        let exported = statistics.map(\.exported).reduce(0, +)
        var delivered = clean && produced > 0 && statistics.allSatisfy { $0.dropped == 0 && $0.exported == $0.produced }
        switch destination {
        case .endpoint(let endpoint):
            if delivered {
                print("exported \(exported) spans to \(endpoint)")
            } else {
                for (index, stats) in statistics.enumerated() { complain("exporter \(index + 1): \(stats)") }
                complain(produced == 0 ? "no span was produced: is tracing turned off (MELLEA_TRACES_ENABLED, OTEL_TRACES_EXPORTER)?"
                                       : "only \(exported) of \(produced) spans reached \(endpoint)")
            }
        case .embedded(let receiver):
            let spans = receiver.spans
            receiver.stop()
            if !spans.isEmpty { print(TraceTree(colour: colour).render(spans)) }
            delivered = delivered && spans.count == exported
            if delivered {
                let counts = receiver.receiver.counts
                print("\(plural(spans.count, "span")) exported over OTLP/gRPC and received by the embedded receiver "
                      + "(\(plural(counts.requests, "request")), \(plural(counts.bytes, "byte")))")
            } else {
                for (index, stats) in statistics.enumerated() { complain("exporter \(index + 1): \(stats)") }
                complain(produced == 0 ? "no span was produced: is tracing turned off (MELLEA_TRACES_ENABLED, OTEL_TRACES_EXPORTER)?"
                                       : "the embedded receiver got \(spans.count) of \(produced) spans")
            }
        }
        return delivered
    }
}
