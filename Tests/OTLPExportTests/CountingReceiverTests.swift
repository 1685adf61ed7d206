import XCTest
@testable import OTLPExport

/// The native counting receiver, with each of its decoders, fed by the real exporter.
final class CountingReceiverTests: XCTestCase {
    func testEachDecoderCountsEverySpanExported() async throws {
        for decoder in OTLPCountingReceiver.Decoder.allCases {
            let receiver = try OTLPCountingReceiver(address: "127.0.0.1:0", threads: 2, decoder: decoder)
            defer { receiver.stop() }
            var configuration = OTLPExporterConfiguration()
            configuration.endpoint = try OTLPEndpoint.parse("http://127.0.0.1:\(receiver.port)", insecure: false)
            configuration.timeout = .seconds(10)
            let exporter = try OTLPTraceExporter(configuration: configuration, resource: Resource(attributes: []),
                                                 diagnostics: RecordingDiagnostics().diagnostics)
            var exported = 0
            for round in 0..<5 {
                let spans = (0..<(100 * (round + 1))).map { sampleSpan(index: $0) }
                let result = await exporter.export(spans)
                XCTAssertEqual(result, .success(spans.count), "\(decoder)")
                exported += spans.count
            }
            await exporter.shutdown(timeout: .seconds(5))
            XCTAssertEqual(receiver.spans, exported, "\(decoder)")
            XCTAssertEqual(receiver.requests, 5, "\(decoder)")
            XCTAssertEqual(receiver.failures, 0, "\(decoder)")
        }
    }
}
