import Foundation
import XCTest
@testable import OTLPExport

/// The OTLP/gRPC exporter against a real receiver over the real gRPC C stack, checked by what the
/// `opentelemetry-proto` Python decoder reads back.
final class ExporterEndToEndTests: XCTestCase {
    private func exporter(_ endpoint: String, configure: (inout OTLPExporterConfiguration) -> Void = { _ in },
                          diagnostics: Diagnostics = RecordingDiagnostics().diagnostics) throws -> OTLPTraceExporter {
        var configuration = OTLPExporterConfiguration()
        configuration.endpoint = try OTLPEndpoint.parse(endpoint, insecure: false)
        configuration.timeout = .seconds(10)
        configure(&configuration)
        let resource = Resource(attributes: [Attribute("service.name", "e2e"), Attribute("deployment", .int(3))])
        return try OTLPTraceExporter(configuration: configuration, resource: resource, diagnostics: diagnostics)
    }

    func testEverySpanFieldArrivesExactly() async throws {
        let receiver = try Receiver()
        let exporter = try exporter(receiver.endpoint)
        let result = await exporter.export([sampleSpan()])
        await exporter.shutdown(timeout: .seconds(5))
        XCTAssertEqual(result, .success(1))

        let request = try XCTUnwrap(receiver.acceptedRequests().first?["request"] as? [String: Any])
        let resourceSpans = try XCTUnwrap((request["resource_spans"] as? [[String: Any]])?.first)
        let resource = try XCTUnwrap(resourceSpans["resource"] as? [String: Any])
        XCTAssertEqual(resource["attributes"] as? NSArray, [
            ["key": "service.name", "value": ["string_value": "e2e"]],
            ["key": "deployment", "value": ["int_value": 3]],
        ] as NSArray)
        let scopeSpans = try XCTUnwrap((resourceSpans["scope_spans"] as? [[String: Any]])?.first)
        XCTAssertEqual(scopeSpans["scope"] as? NSDictionary, ["name": "test.scope", "version": "1.2.3"])
        let span = try XCTUnwrap((scopeSpans["spans"] as? [[String: Any]])?.first)
        let expected: NSDictionary = [
            "trace_id": "0102030405060708090a0b0c0d0e0f10",
            "span_id": "1112131415161700",
            "parent_span_id": "abcdef00010203ff",
            "trace_state": "vendor=value",
            "flags": 0x101,
            "name": "chat granite-0",
            "kind": "SPAN_KIND_CLIENT",
            "start_time_unix_nano": 1_700_000_000_123_456_789,
            "end_time_unix_nano": 1_700_000_000_124_956_789,
            "attributes": [
                ["key": "s", "value": ["string_value": "héllo \"quoted\""]],
                ["key": "b", "value": ["bool_value": true]],
                ["key": "i", "value": ["int_value": -9_223_372_036_854_775_807]],
                ["key": "d", "value": ["double_value": 0.7]],
                ["key": "sa", "value": ["array_value": ["values": [["string_value": "stop"], ["string_value": "length"]]]]],
                ["key": "ba", "value": ["array_value": ["values": [["bool_value": true], ["bool_value": false]]]]],
                ["key": "ia", "value": ["array_value": ["values": [["int_value": 1], ["int_value": 2], ["int_value": 3]]]]],
                ["key": "da", "value": ["array_value": ["values": [["double_value": 0.5], ["double_value": 1.5]]]]],
                ["key": "by", "value": ["bytes_value": "AAH+/w=="]],
            ],
            "dropped_attributes_count": 2,
            "events": [[
                "time_unix_nano": 1_700_000_000_124_000_000,
                "name": "gen_ai.content.first_token",
                "attributes": [["key": "gen_ai.server.time_to_first_token", "value": ["double_value": 0.042]]],
                "dropped_attributes_count": 1,
            ]],
            "dropped_events_count": 3,
            "links": [[
                "trace_id": "fefefefefefefefefefefefefefefefe",
                "span_id": "0a0a0a0a0a0a0a0a",
                "trace_state": "lk=lv",
                "attributes": [["key": "link.i", "value": ["int_value": 7]]],
                "flags": 1,
            ]],
            "dropped_links_count": 4,
            "status": ["message": "boom", "code": "STATUS_CODE_ERROR"],
        ]
        XCTAssertEqual(span as NSDictionary, expected)
    }

    func testSpansAreGroupedByScopeUnderOneResource() async throws {
        let receiver = try Receiver()
        let exporter = try exporter(receiver.endpoint)
        let a = InstrumentationScope(name: "mellea.backend", version: "1")
        let b = InstrumentationScope(name: "mellea.application", version: "1")
        let result = await exporter.export([sampleSpan(index: 1, scope: a), sampleSpan(index: 2, scope: b),
                                            sampleSpan(index: 3, scope: a)])
        await exporter.shutdown(timeout: .seconds(5))
        XCTAssertEqual(result.exported, 3)
        let request = try XCTUnwrap(receiver.acceptedRequests().first?["request"] as? [String: Any])
        let resourceSpans = try XCTUnwrap(request["resource_spans"] as? [[String: Any]])
        XCTAssertEqual(resourceSpans.count, 1)
        let groups = try XCTUnwrap(resourceSpans[0]["scope_spans"] as? [[String: Any]])
        let summary = groups.map { group in
            ((group["scope"] as? [String: Any])?["name"] as? String ?? "",
             (group["spans"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String })
        }
        XCTAssertEqual(summary.map(\.0), ["mellea.backend", "mellea.application"])
        XCTAssertEqual(summary.map(\.1), [["chat granite-1", "chat granite-3"], ["chat granite-2"]])
    }

    func testGzipCompressedRequestsDecodeIdentically() async throws {
        let receiver = try Receiver()
        let exporter = try exporter(receiver.endpoint) { $0.compression = .gzip }
        let result = await exporter.export((0..<20).map { sampleSpan(index: $0) })
        await exporter.shutdown(timeout: .seconds(5))
        XCTAssertEqual(result, .success(20))
        let request = try XCTUnwrap(receiver.acceptedRequests().first)
        XCTAssertEqual(request["encoding"] as? String, "gzip")
        XCTAssertEqual(request["compressed"] as? Bool, true)
        XCTAssertLessThan(request["wire_bytes"] as? Int ?? .max, request["size_bytes"] as? Int ?? 0)
        XCTAssertEqual(receiver.acceptedSpans().compactMap { $0["name"] as? String },
                       (0..<20).map { "chat granite-\($0)" })
    }

    func testUncompressedRequestsSayIdentity() async throws {
        let receiver = try Receiver()
        let exporter = try exporter(receiver.endpoint)
        _ = await exporter.export([sampleSpan()])
        await exporter.shutdown(timeout: .seconds(5))
        XCTAssertEqual(receiver.acceptedRequests().first?["encoding"] as? String, "identity")
    }

    func testHeadersArriveAsMetadataWithUserAgent() async throws {
        let receiver = try Receiver()
        let exporter = try exporter(receiver.endpoint) {
            $0.headers = [("authorization", "Bearer s3cret"), ("x-tenant", "a b")]
        }
        _ = await exporter.export([sampleSpan()])
        await exporter.shutdown(timeout: .seconds(5))
        let metadata = try XCTUnwrap(receiver.acceptedRequests().first?["metadata"] as? [String: String])
        XCTAssertEqual(metadata["authorization"], "Bearer s3cret")
        XCTAssertEqual(metadata["x-tenant"], "a b")
        XCTAssertTrue(metadata["user-agent"]?.hasPrefix("OTel-OTLP-Exporter-Swift-Mellea/") ?? false,
                      "user-agent was \(metadata["user-agent"] ?? "missing")")
    }

    func testRoundRobinTargetSpreadsRequestsOverReplicas() async throws {
        let first = try Receiver()
        let second = try Receiver()
        let exporter = try exporter("ipv4:127.0.0.1:\(first.port),127.0.0.1:\(second.port)") {
            $0.endpoint = OTLPEndpoint(target: $0.endpoint.target, usesTLS: false, isTargetURI: true)
        }
        for index in 0..<20 { _ = await exporter.export([sampleSpan(index: index)]) }
        await exporter.shutdown(timeout: .seconds(5))
        XCTAssertEqual(first.acceptedSpans().count + second.acceptedSpans().count, 20)
        XCTAssertGreaterThan(first.acceptedSpans().count, 0, "round robin never used the first replica")
        XCTAssertGreaterThan(second.acceptedSpans().count, 0, "round robin never used the second replica")
    }

    func testLargeBatchIsSplitUnderTheRequestLimit() async throws {
        let receiver = try Receiver()
        let exporter = try exporter(receiver.endpoint)
        let payload = String(repeating: "x", count: 100_000)
        let spans = (0..<100).map { index in
            SpanRecord(traceID: .random(), spanID: .random(), name: "big-\(index)",
                       startTimeUnixNano: 1, endTimeUnixNano: 2,
                       attributes: [Attribute("gen_ai.output.messages", .string(payload))],
                       scope: InstrumentationScope(name: "s"))
        }
        let result = await exporter.export(spans)
        await exporter.shutdown(timeout: .seconds(5))
        XCTAssertEqual(result, .success(100))
        let sizes = receiver.acceptedRequests().compactMap { $0["size_bytes"] as? Int }
        XCTAssertGreaterThanOrEqual(sizes.count, 3, "10 MB of spans must take several requests")
        XCTAssertTrue(sizes.allSatisfy { $0 <= 4 * 1024 * 1024 }, "request sizes \(sizes)")
        XCTAssertEqual(Set(receiver.acceptedSpans().compactMap { $0["name"] as? String }).count, 100)
    }
}
