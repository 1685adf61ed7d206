import Foundation
import XCTest
@testable import OTLPExport

/// A batch processor over an OTLP exporter pointed at a real receiver, with every diagnostic kept.
struct ReceiverPipeline {
    let processor: BatchSpanProcessor
    let diagnostics: RecordingDiagnostics

    /// The pipeline to `endpoint`; `exporter` and `batch` adjust the defaults (10 s export timeout,
    /// 50 ms schedule delay).
    init(_ endpoint: String, exporter configureExporter: (inout OTLPExporterConfiguration) -> Void = { _ in },
         batch configureBatch: (inout BatchSpanProcessorConfiguration) -> Void = { _ in }) throws {
        diagnostics = RecordingDiagnostics()
        var configuration = OTLPExporterConfiguration()
        configuration.endpoint = try OTLPEndpoint.parse(endpoint, insecure: false)
        configureExporter(&configuration)
        let exporter = try OTLPTraceExporter(configuration: configuration,
                                             resource: Resource(attributes: [Attribute("service.name", "hardening")]),
                                             diagnostics: diagnostics.diagnostics)
        var batch = BatchSpanProcessorConfiguration()
        batch.scheduleDelay = .milliseconds(50)
        configureBatch(&batch)
        processor = BatchSpanProcessor(exporter: exporter, configuration: batch, diagnostics: diagnostics.diagnostics)
    }

    /// Every diagnostic's text so far.
    var messages: [String] { diagnostics.messages.map(\.text) }
}
