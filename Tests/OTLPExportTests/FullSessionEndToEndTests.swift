import Foundation
import MelleaTracing
import OTLPExport
import XCTest

/// A whole GenAI session through the real pipeline: hooks, plugins, batch processor, OTLP/gRPC,
/// and the third-party decoder on the receiving side.
final class FullSessionEndToEndTests: XCTestCase {
    func testASessionArrivesAtTheReceiverAsOneTree() async throws {
        let receiver = try Receiver()
        let registry = HookRegistry(diagnostics: RecordingDiagnostics().diagnostics)
        let setup = TracingSystem.bootstrap(environment: EnvironmentReader([
            "MELLEA_TRACES_ENABLED": "true", "MELLEA_TRACES_OTLP": "true",
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": receiver.endpoint, "OTEL_SERVICE_NAME": "e2e-session",
            "OTEL_BSP_SCHEDULE_DELAY": "50",
        ], diagnostics: RecordingDiagnostics().diagnostics), registry: registry)
        XCTAssertEqual(setup.pipeline.processors.count, 1)
        let backend = ScriptedBackend(model: "granite-3.3-8b", replies: [
            .text("Paris", GenerationMetadata(responseID: "chatcmpl-1", finishReasons: ["stop"],
                                              usage: TokenUsage(inputTokens: 12, outputTokens: 3))),
        ])
        let session = try Session.start(backend: backend, registry: registry)
        _ = try await session.instruct("Capital of France?", options: ModelOptions(temperature: 0.2))
        session.close()
        XCTAssertTrue(TracingSystem.shutdown(timeout: .seconds(10)))

        let spans = receiver.acceptedSpans()
        func named(_ name: String) throws -> [String: Any] {
            try XCTUnwrap(spans.first { $0["name"] as? String == name }, "\(name) not received: \(spans.map { $0["name"] ?? "" })")
        }
        let sessionSpan = try named("invoke_agent session")
        let action = try named("invoke_workflow Instruction")
        let chat = try named("chat granite-3.3-8b")
        _ = try named("start_session")
        XCTAssertEqual(action["parent_span_id"] as? String, sessionSpan["span_id"] as? String)
        XCTAssertEqual(chat["parent_span_id"] as? String, action["span_id"] as? String)
        XCTAssertEqual(chat["trace_id"] as? String, sessionSpan["trace_id"] as? String)
        XCTAssertEqual(chat["kind"] as? String, "SPAN_KIND_CLIENT")
        let attributes = Dictionary(uniqueKeysWithValues: (chat["attributes"] as? [[String: Any]] ?? []).compactMap { kv -> (String, NSDictionary)? in
            guard let key = kv["key"] as? String, let value = kv["value"] as? NSDictionary else { return nil }
            return (key, value)
        })
        XCTAssertEqual(attributes["gen_ai.request.temperature"], ["double_value": 0.2])
        XCTAssertEqual(attributes["gen_ai.response.id"], ["string_value": "chatcmpl-1"])
        XCTAssertEqual(attributes["gen_ai.usage.input_tokens"], ["int_value": 12])
        XCTAssertEqual(attributes["gen_ai.conversation.id"], ["string_value": session.id])
        let resource = (receiver.acceptedRequests().first?["request"] as? [String: Any]).flatMap {
            ($0["resource_spans"] as? [[String: Any]])?.first?["resource"] as? [String: Any]
        }
        let resourceAttributes = resource?["attributes"] as? [[String: Any]] ?? []
        XCTAssertTrue(resourceAttributes.contains { ($0["key"] as? String) == "service.name"
            && (($0["value"] as? [String: Any])?["string_value"] as? String) == "e2e-session" })
    }
}
