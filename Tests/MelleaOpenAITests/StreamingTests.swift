import Foundation
import MelleaOpenAI
import MelleaTracing
import Synchronization
import XCTest

/// Streamed chat completions: server-sent events, usage from the final chunk, tool-call deltas,
/// broken streams, cancellation and the per-event timeout.
final class StreamingTests: XCTestCase {
    func testStreamAsksForUsageAndTheChatSpanGetsItFromTheFinalChunk() async throws {
        let traced = try TracedServer()
        let session = try Session.start(backend: try traced.backend(), registry: traced.registry)
        var pieces: [String] = []
        for try await piece in session.stream("hello streaming world") { pieces.append(piece) }
        session.close()
        XCTAssertEqual(pieces, ["echo: ", "hello ", "streaming ", "world"])

        let body = try traced.onlyRequest().body
        XCTAssertEqual(body["stream"] as? Bool, true)
        XCTAssertEqual(body["stream_options"] as? NSDictionary, ["include_usage": true])
        let chat = try traced.span(named: "chat test-model")
        XCTAssertEqual(chat["gen_ai.request.stream"] as? Bool, true)
        XCTAssertEqual(chat["gen_ai.response.id"] as? String, "chatcmpl-test-1")
        XCTAssertEqual(chat["gen_ai.response.finish_reasons"] as? [String], ["stop"])
        XCTAssertEqual(chat["gen_ai.usage.input_tokens"] as? Int, 42)
        XCTAssertEqual(chat["gen_ai.usage.cache_read.input_tokens"] as? Int, 30)
        XCTAssertEqual(chat["gen_ai.usage.reasoning.output_tokens"] as? Int, 5)
        let events = chat.raw["events"] as? [[String: Any]] ?? []
        XCTAssertTrue(events.contains { $0["name"] as? String == "gen_ai.content.first_token" })
        let http = try traced.span(named: "POST")
        XCTAssertEqual(http.parentSpanID, chat.spanID, "the streamed request's HTTP span nests under chat too")
        XCTAssertEqual(try traced.onlyRequest().headers["traceparent"], "00-\(chat.traceID)-\(http.spanID)-01")
    }

    func testStreamedToolCallDeltasArriveAsWholeCallsInTheLastChunk() async throws {
        let traced = try TracedServer()
        let request = GenerationRequest(messages: [.user("weather in two cities")],
                                        tools: [ToolDefinition(name: "weather"), ToolDefinition(name: "forecast")])
        var chunks: [StreamChunk] = []
        for try await chunk in try traced.backend("tools").stream(request) { chunks.append(chunk) }
        let last = try XCTUnwrap(chunks.last)
        XCTAssertEqual(last.toolCalls, [ToolCall(id: "call_1_a", name: "weather", argumentsJSON: #"{"city": "Paris"}"#),
                                        ToolCall(id: "call_1_b", name: "forecast", argumentsJSON: #"{"city": "Oslo"}"#)])
        XCTAssertEqual(last.metadata?.finishReasons, ["tool_calls"])
        XCTAssertEqual(last.metadata?.usage.outputTokens, 7)
        XCTAssertTrue(chunks.dropLast().allSatisfy { $0.toolCalls.isEmpty }, "only the last chunk carries calls")
    }

    func testBrokenEventStreamsFailAsMalformedResponsesOrServerErrors() async throws {
        let traced = try TracedServer()
        for (mode, kind) in [("broken-sse", OpenAIError.Kind.malformedResponse), ("truncated-sse", .malformedResponse),
                             ("stream-error", .serverError)] {
            var received = ""
            do {
                for try await chunk in try traced.backend(mode).stream(GenerationRequest(messages: [.user("a b")])) {
                    received += chunk.text
                }
                XCTFail("\(mode) must fail")
            } catch let error as OpenAIError {
                XCTAssertEqual(error.kind, kind, "\(mode): \(error)")
            }
            XCTAssertEqual(received, "echo: ", "\(mode): the text before the break still arrived")
        }
    }

    func testBrokenStreamEndsTheChatSpanWithItsErrorType() async throws {
        let traced = try TracedServer()
        let session = try Session.start(backend: try traced.backend("broken-sse"), registry: traced.registry)
        do {
            for try await _ in session.stream("a b") {}
            XCTFail("the broken stream must fail")
        } catch {}
        session.close()
        let chat = try traced.span(named: "chat test-model")
        XCTAssertEqual(chat["error.type"] as? String, "malformedResponse")
        XCTAssertEqual(chat.statusCode, "STATUS_CODE_ERROR")
    }

    func testCancellingTheConsumerMidStreamEndsTheSpanAndTheRequest() async throws {
        let traced = try TracedServer()
        let session = try Session.start(backend: try traced.backend("endless-sse"), registry: traced.registry)
        let received = Mutex(0)
        let consumer = Task {
            for try await _ in session.stream("go on") { received.withLock { $0 += 1 } }
        }
        XCTAssertTrue(traced.server.wait { received.withLock { $0 } >= 3 }, "the stream must start")
        consumer.cancel()
        _ = await consumer.result
        try await assertAbandoned(traced)
        session.close()
    }

    func testBreakingOutOfTheLoopMidStreamEndsTheSpanAndTheRequest() async throws {
        let traced = try TracedServer()
        let session = try Session.start(backend: try traced.backend("endless-sse"), registry: traced.registry)
        var count = 0
        for try await _ in session.stream("go on") {
            count += 1
            if count == 3 { break }
        }
        try await assertAbandoned(traced)
        session.close()
    }

    /// The server saw the request abandoned (rather than running its 60 s), and the chat span
    /// ended as cancelled.
    private func assertAbandoned(_ traced: TracedServer, file: StaticString = #filePath, line: UInt = #line) async throws {
        XCTAssertTrue(traced.server.wait(timeout: 5) { traced.requests().first?.outcome == "client_disconnected" },
                      "outcomes: \(traced.requests().map(\.outcome))", file: file, line: line)
        let chat = try traced.span(named: "chat test-model", file: file, line: line)
        XCTAssertEqual(chat["error.type"] as? String, "cancelled", file: file, line: line)
        XCTAssertEqual(try traced.span(named: "stream", file: file, line: line)["error.type"] as? String, "cancelled",
                       file: file, line: line)
    }

    func testAStalledStreamTimesOutWithinTheBoundAndEndsTheRequest() async throws {
        let traced = try TracedServer()
        let session = try Session.start(backend: try traced.backend("stall-sse", timeout: .seconds(1)), registry: traced.registry)
        let start = ContinuousClock.now
        do {
            for try await _ in session.stream("hello") {}
            XCTFail("a stalled stream must time out")
        } catch let error as OpenAIError {
            XCTAssertEqual(error.kind, .timeout)
        }
        let elapsed = ContinuousClock.now - start
        XCTAssertLessThan(elapsed, .seconds(3), "timeout of 1 s ended the stream after \(elapsed)")
        XCTAssertGreaterThanOrEqual(elapsed, .milliseconds(900))
        session.close()
        XCTAssertTrue(traced.server.wait(timeout: 5) { traced.requests().first?.outcome == "client_disconnected" })
        XCTAssertEqual(try traced.span(named: "chat test-model")["error.type"] as? String, "timeout")
    }
}
