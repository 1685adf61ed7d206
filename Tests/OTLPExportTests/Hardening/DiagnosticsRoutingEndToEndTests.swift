import CGRPC
import Foundation
import XCTest
@testable import OTLPExport

/// gRPC core's own log lines reach the library's diagnostics (scrubbed of endpoint secrets), and
/// the oversized-span warning names the part of the span that made it too large.
final class DiagnosticsRoutingEndToEndTests: XCTestCase {
    func testGRPCCoreLogLinesGoThroughTheDiagnostics() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("grpc-log-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let certificate = directory.appendingPathComponent("server.pem")
        let key = directory.appendingPathComponent("server.key")
        try TestPEM.certificate.write(to: certificate, atomically: true, encoding: .utf8)
        try TestPEM.privateKey.write(to: key, atomically: true, encoding: .utf8)
        // A server whose certificate the client does not trust: gRPC core logs the failed handshake.
        let receiver = try Receiver(["--tls-cert", certificate.path, "--tls-key", key.path])
        let recorder = RecordingDiagnostics()
        var configuration = OTLPExporterConfiguration()
        configuration.endpoint = try OTLPEndpoint.parse("https://127.0.0.1:\(receiver.port)", insecure: false)
        configuration.timeout = .milliseconds(1500)
        let exporter = try OTLPTraceExporter(configuration: configuration, resource: Resource(attributes: []),
                                             diagnostics: recorder.diagnostics)
        let result = await exporter.export([sampleSpan()])
        await exporter.shutdown(timeout: .seconds(5))
        XCTAssertEqual(result.failed, 1)
        let lines = recorder.messages.filter { $0.text.hasPrefix("gRPC core: ") }
        XCTAssertFalse(lines.isEmpty, "no gRPC core line reached the diagnostics: \(recorder.messages)")
        XCTAssertTrue(lines.contains { $0.level == .error && $0.text.contains(".cc:") }, "\(lines)")
        // Once per source line, however many reconnection attempts repeated it.
        XCTAssertEqual(Set(lines.map(\.text)).count, lines.count, "\(lines)")
    }

    func testGRPCCoreLogLinesAreScrubbedOfEndpointSecrets() {
        let recorder = RecordingDiagnostics()
        let owner = NSObject()
        let target = "dns:///user:SECRET@collector:4317"
        GRPCLogRouting.register(owner, diagnostics: recorder.diagnostics, redaction: SecretRedaction(endpoint: target))
        defer { GRPCLogRouting.unregister(owner) }
        GRPCLogRouting.route(severity: CGRPC_LOG_ERROR, file: "/src/core/resolver/dns.cc", line: 7,
                             message: "DNS resolution failed for \(target)")
        XCTAssertEqual(recorder.messages.map(\.text),
                       ["gRPC core: DNS resolution failed for dns:///<redacted>@collector:4317 (dns.cc:7; repeats of this line are not shown)"])
        XCTAssertEqual(recorder.messages.first?.level, .error)
    }

    func testTheOversizedSpanWarningNamesWhatMadeTheSpanTooLarge() async throws {
        let receiver = try Receiver()
        let big = String(repeating: "x", count: 2_000)
        let manyEvents = SpanRecord(traceID: TraceID(high: 1, low: 1), spanID: SpanID(1), name: "events",
                                    startTimeUnixNano: 1, endTimeUnixNano: 2,
                                    events: (0..<100).map { _ in SpanEvent(name: "e", timeUnixNano: 1, attributes: [Attribute("m", .string(big))]) },
                                    scope: InstrumentationScope(name: "s"))
        let bigAttribute = SpanRecord(traceID: TraceID(high: 1, low: 1), spanID: SpanID(2), name: "attribute",
                                      startTimeUnixNano: 1, endTimeUnixNano: 2,
                                      attributes: [Attribute("gen_ai.input.messages", .string(String(repeating: big, count: 100)))],
                                      scope: InstrumentationScope(name: "s"))
        let cases: [(span: SpanRecord, names: String, notNamed: String)] = [
            (manyEvents, "its 100 events and 0 links take", "OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT"),
            (bigAttribute, "its attributes take", "OTEL_SPAN_EVENT_COUNT_LIMIT"),
        ]
        for c in cases {
            let recorder = RecordingDiagnostics()
            var configuration = OTLPExporterConfiguration()
            configuration.endpoint = try OTLPEndpoint.parse(receiver.endpoint, insecure: false)
            configuration.maxRequestBytes = 64 * 1024
            let exporter = try OTLPTraceExporter(configuration: configuration, resource: Resource(attributes: []),
                                                 diagnostics: recorder.diagnostics)
            let result = await exporter.export([c.span, sampleSpan()])
            await exporter.shutdown(timeout: .seconds(5))
            XCTAssertEqual(result.exported, 1, c.names)
            XCTAssertEqual(result.failed, 1, c.names)
            let warning = recorder.messages.map(\.text).filter { $0.contains("request limit") }
            XCTAssertEqual(warning.count, 1, "\(recorder.messages)")
            XCTAssertTrue(warning.first?.contains(c.names) == true, "\(warning)")
            XCTAssertFalse(warning.first?.contains(c.notNamed) == true, "\(warning)")
        }
        XCTAssertEqual(receiver.acceptedSpans().count, 2, "the small spans beside the oversized ones arrive")
    }
}
