import Foundation
import MelleaOpenAI
import MelleaTracing
import XCTest

/// Batches go to the legacy completions endpoint as one prompt array: one request, one
/// `text_completion` span.
final class BatchTests: XCTestCase {
    func testABatchIsOneCompletionsRequestWithAPromptArrayAndOneSpan() async throws {
        let traced = try TracedServer()
        let session = try Session.start(backend: try traced.backend(), registry: traced.registry)
        let outputs = try await session.generateBatch(["alpha", "beta", "gamma"],
                                                      options: ModelOptions(temperature: 0, maxTokens: 16, choiceCount: 2))
        session.close()
        XCTAssertEqual(outputs, ["completion 0 of: alpha", "completion 0 of: beta", "completion 0 of: gamma"],
                       "one output a prompt, in prompt order, whatever order the choices came in")

        let request = try traced.onlyRequest()
        XCTAssertEqual(request.path, "/ok/v1/completions")
        XCTAssertEqual(request.body["prompt"] as? [String], ["alpha", "beta", "gamma"])
        XCTAssertEqual(request.body["max_tokens"] as? Int, 16)
        XCTAssertEqual(request.body["n"] as? Int, 2)
        XCTAssertEqual(request.body["temperature"] as? Double, 0)

        let span = try traced.span(named: "text_completion test-model")
        XCTAssertEqual(span["gen_ai.operation.name"] as? String, "text_completion")
        XCTAssertEqual(span["gen_ai.usage.input_tokens"] as? Int, 15)
        XCTAssertEqual(span["gen_ai.usage.output_tokens"] as? Int, 24)
        XCTAssertEqual(span["mellea.request.num_actions"] as? Int, 3)
        XCTAssertEqual(try traced.span(named: "POST").parentSpanID, span.spanID)
    }

    func testAnEmptyBatchSendsNothing() async throws {
        let traced = try TracedServer()
        let (outputs, usage) = try await traced.backend().generateBatch([], options: ModelOptions())
        XCTAssertEqual(outputs, [])
        XCTAssertEqual(usage, TokenUsage())
        XCTAssertTrue(traced.requests().isEmpty)
    }
}
