import Foundation
import XCTest
@testable import OTLPExport

/// Table-driven checks of `OTEL_EXPORTER_OTLP_HEADERS`: what gRPC would drop, HTTP/2 forbids or a
/// server would refuse is left out at configuration time, with a warning that never shows a value.
final class HeaderConfigurationTests: XCTestCase {
    // MARK: - Item 9: headers gRPC drops, HTTP/2 forbids or servers refuse

    func testHeadersThatCannotBeSentAreLeftOutWithAWarning() {
        let big = String(repeating: "x", count: 20_000)
        let cases: [(value: String, keys: [String], warning: [String])] = [
            ("authorization=Bearer%20SECRET,x-tenant=7", ["authorization", "x-tenant"], []),
            ("te=trailers,x=1", ["x"], ["'te' is set by gRPC itself"]),
            ("content-type=text/plain", [], ["'content-type' is set by gRPC itself"]),
            ("user-agent=SECRET", [], ["'user-agent' is set by gRPC itself"]),
            ("grpc-timeout=1S", [], ["'grpc-timeout' is set by gRPC itself", "grpc-*"]),
            ("connection=close,x=1", ["x"], ["'connection' is an HTTP/1 connection header"]),
            ("transfer-encoding=chunked", [], ["'transfer-encoding' is an HTTP/1 connection header"]),
            ("host=SECRET", [], ["'host' is an HTTP/1 connection header"]),
            ("x-big=\(big),x=1", ["x"], ["1 entries ignored", "'x-big' (20037 bytes)", "expected at most 7168 bytes"]),
        ]
        for c in cases {
            let (config, messages) = exporterConfiguration(["OTEL_EXPORTER_OTLP_HEADERS": c.value])
            XCTAssertEqual(config.headers.map(\.key), c.keys, c.value.prefix(40).description)
            if c.warning.isEmpty {
                XCTAssertEqual(messages, [], c.value)
            } else {
                assertOneWarning(messages, contains: ["OTEL_EXPORTER_OTLP_HEADERS"] + c.warning, never: ["SECRET", "trailers", "xxxx"],
                                 c.value.prefix(40).description)
            }
        }
    }

    func testFiveHundredHeadersAreCutAtTheMetadataBudgetWithOneWarning() {
        let value = (0..<500).map { "k\($0)=v" }.joined(separator: ",")
        let (config, messages) = exporterConfiguration(["OTEL_EXPORTER_OTLP_TRACES_HEADERS": value])
        let used = config.headers.reduce(0) { $0 + $1.key.utf8.count + $1.value.utf8.count + 32 }
        XCTAssertLessThanOrEqual(used, HeaderListParser.metadataBudget)
        XCTAssertGreaterThan(config.headers.count, 100)
        XCTAssertLessThan(config.headers.count, 500)
        assertOneWarning(messages, contains: ["OTEL_EXPORTER_OTLP_TRACES_HEADERS", "\(500 - config.headers.count) entries ignored",
                                              "'k\(config.headers.count)'", "more"], "500 headers")
    }

    func testHeadersFillingTheBudgetAreAcceptedByAGRPCServer() async throws {
        // Seven entries of 1,000 bytes each (key + value + 32): just under the budget.
        let value = (0..<7).map { "x-fill-\($0)=" + String(repeating: "v", count: 1_000 - 32 - 8) }.joined(separator: ",")
        var (config, messages) = exporterConfiguration(["OTEL_EXPORTER_OTLP_HEADERS": value])
        XCTAssertEqual(messages, [])
        XCTAssertEqual(config.headers.count, 7)
        let receiver = try Receiver()
        config.endpoint = try OTLPEndpoint.parse(receiver.endpoint, insecure: false)
        let exporter = try OTLPTraceExporter(configuration: config, resource: Resource(attributes: []),
                                             diagnostics: RecordingDiagnostics().diagnostics)
        let result = await exporter.export([sampleSpan()])
        await exporter.shutdown(timeout: .seconds(5))
        XCTAssertEqual(result, .success(1))
        let metadata = try XCTUnwrap(receiver.acceptedRequests().first?["metadata"] as? [String: Any])
        XCTAssertEqual((0..<7).filter { metadata["x-fill-\($0)"] != nil }.count, 7)
    }
}
