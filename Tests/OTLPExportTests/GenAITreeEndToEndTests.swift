import Foundation
import MelleaTracing
import OTLPExport
import XCTest

/// A whole generative program — a sampling loop whose first attempt fails its requirement, a tool
/// call, a streamed reply, a consumer breaking out of a second stream, a failing generation — run
/// by the core (no hook fired by hand), exported through the real pipeline to the real receiver
/// and read back with the official opentelemetry-proto decoder.
final class GenAITreeEndToEndTests: XCTestCase {
    /// A received span, its attributes unwrapped.
    struct Received {
        let raw: [String: Any]
        let schemaURL: String?
        var name: String { raw["name"] as? String ?? "" }
        var id: String { raw["span_id"] as? String ?? "" }
        var parent: String? { raw["parent_span_id"] as? String }
        var traceID: String { raw["trace_id"] as? String ?? "" }
        var kind: String { raw["kind"] as? String ?? "" }
        var statusCode: String? { (raw["status"] as? [String: Any])?["code"] as? String }
        var attributes: [String: Any] { Self.unwrap(raw["attributes"]) }
        var events: [(name: String, attributes: [String: Any])] {
            (raw["events"] as? [[String: Any]] ?? []).map { ($0["name"] as? String ?? "", Self.unwrap($0["attributes"])) }
        }
        subscript(key: String) -> Any? { attributes[key] }

        static func unwrap(_ list: Any?) -> [String: Any] {
            var out: [String: Any] = [:]
            for kv in list as? [[String: Any]] ?? [] {
                guard let key = kv["key"] as? String, let value = kv["value"] as? [String: Any] else { continue }
                out[key] = value["string_value"] ?? value["int_value"] ?? value["double_value"] ?? value["bool_value"]
                    ?? ((value["array_value"] as? [String: Any])?["values"] as? [[String: Any]])?.compactMap { $0["string_value"] as? String }
            }
            return out
        }
    }

    struct Run {
        let spans: [Received]
        let sessionID: String
        func named(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> Received {
            try XCTUnwrap(spans.first { $0.name == name }, "\(name) not received: \(spans.map(\.name))", file: file, line: line)
        }
        func all(_ name: String) -> [Received] { spans.filter { $0.name == name } }
    }

    private func runProgram(_ extra: [String: String]) async throws -> Run {
        let receiver = try Receiver()
        let registry = HookRegistry(diagnostics: RecordingDiagnostics().diagnostics)
        TracingSystem.bootstrap(environment: EnvironmentReader([
            "MELLEA_TRACES_ENABLED": "true", "MELLEA_TRACES_OTLP": "true",
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": receiver.endpoint, "OTEL_BSP_SCHEDULE_DELAY": "50",
        ].merging(extra) { $1 }, diagnostics: RecordingDiagnostics().diagnostics), registry: registry,
                                bootstrapInstrumentationSystem: false)
        let backend = ScriptedBackend(model: "granite-3.3-8b", replies: [
            .text("a far too long answer", GenerationMetadata(responseID: "r1", finishReasons: ["stop"])),
            .text("Paris", GenerationMetadata(responseID: "r2", finishReasons: ["stop"],
                                              usage: TokenUsage(inputTokens: 20, outputTokens: 1, cacheWriteInputTokens: 8))),
            .result(GenerationResult(text: "", toolCalls: [ToolCall(id: "call_1", name: "weather", argumentsJSON: #"{"city":"Paris"}"#)],
                                     metadata: GenerationMetadata(responseID: "r3", finishReasons: ["tool_calls"]))),
            .text("Sunny in Paris.", GenerationMetadata(responseID: "r4", finishReasons: ["stop"])),
            .text("It is warm", GenerationMetadata(responseID: "r5", finishReasons: ["stop"])),
            .delayed(.seconds(30), "never sent"),
            .failure(TestError()),
        ])
        let weather = Tool(name: "weather", description: "Weather by city",
                           parametersJSON: #"{"type":"object","properties":{"city":{"type":"string"}}}"#) { _ in "sunny" }
        let session = try Session.start(backend: backend, systemPrompt: "Answer briefly.", tools: [weather], registry: registry)
        let short = Requirement.check("at most two words") { $0.split(separator: " ").count <= 2 }
        _ = try await session.instruct("Capital of France?", requirements: [short], strategy: .rejection(loopBudget: 3))
        _ = try await session.instruct("Weather there?")
        for try await _ in session.stream("More?") {}
        for try await _ in session.stream("Again?") { break }
        _ = try? await session.instruct("Fail, please")
        session.close()
        // The abandoned stream's spans end once its producer notices the cancellation, a moment later.
        let deadline = ContinuousClock.now + .seconds(5)
        while TracingSystem.current?.inFlightSpans.count != 0 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        XCTAssertEqual(TracingSystem.current?.inFlightSpans.count, 0, "no span left open")
        XCTAssertTrue(TracingSystem.shutdown(timeout: .seconds(10)))
        let requests = receiver.acceptedRequests()
        var spans: [Received] = []
        for request in requests {
            let body = request["request"] as? [String: Any] ?? [:]
            for resource in body["resource_spans"] as? [[String: Any]] ?? [] {
                for scope in resource["scope_spans"] as? [[String: Any]] ?? [] {
                    for span in scope["spans"] as? [[String: Any]] ?? [] {
                        spans.append(Received(raw: span, schemaURL: scope["schema_url"] as? String))
                    }
                }
            }
        }
        return Run(spans: spans, sessionID: session.id)
    }

    struct TestError: Error {}

    func testTheWholeTreeReadsRightByTheConventions() async throws {
        let run = try await runProgram([:])
        let session = try run.named("invoke_agent session")
        XCTAssertNil(session.parent, "a session is the root of its own trace")
        XCTAssertEqual(Set(run.spans.map(\.traceID)).count, 1, "one session, one trace: \(run.spans.map(\.name))")
        XCTAssertEqual(session["gen_ai.operation.name"] as? String, "invoke_agent")
        XCTAssertEqual(session["gen_ai.agent.name"] as? String, "session")
        XCTAssertEqual(session["gen_ai.conversation.id"] as? String, run.sessionID)
        XCTAssertEqual(session.kind, "SPAN_KIND_INTERNAL")
        XCTAssertEqual(session["gen_ai.usage.input_tokens"] as? Int, 20, "the agent's usage: every call's, summed")
        XCTAssertEqual(session["gen_ai.response.finish_reasons"] as? [String], ["stop"], "the last answer's")
        XCTAssertTrue(run.spans.allSatisfy { $0.schemaURL == "https://opentelemetry.io/schemas/gen-ai-dev/1.42.0-dev" })

        let startup = try run.named("start_session")
        XCTAssertEqual(startup.parent, session.id)
        XCTAssertEqual(startup["gen_ai.conversation.id"] as? String, run.sessionID)
        XCTAssertNil(startup["gen_ai.request.model"], "start_session is not a model call")

        // Only model calls carry the inference attributes.
        for span in run.spans where !(span.name.hasPrefix("chat ")) {
            XCTAssertNil(span["gen_ai.request.model"], "\(span.name) carries gen_ai.request.model")
        }

        let actions = run.all("invoke_workflow Instruction")
        XCTAssertEqual(actions.count, 3)
        XCTAssertTrue(actions.allSatisfy { $0.parent == session.id && $0["gen_ai.operation.name"] as? String == "invoke_workflow" })
        XCTAssertTrue(actions.allSatisfy { $0["gen_ai.workflow.name"] as? String == "Instruction" })

        // The sampling loop: two attempts, the first failing its check, all under `sampling`.
        let sampling = try run.named("sampling")
        XCTAssertEqual(sampling.parent, actions[0].id)
        XCTAssertEqual(sampling["mellea.sampling.success"] as? Bool, true)
        XCTAssertEqual(sampling.events.map(\.name),
                       ["mellea.sampling.iteration", "mellea.sampling.repair", "mellea.sampling.iteration"])
        let validations = run.all("validation")
        XCTAssertEqual(validations.map { $0["mellea.validation.passed"] as? Bool }, [false, true])
        XCTAssertTrue(validations.allSatisfy { $0.parent == sampling.id })
        let chats = run.all("chat granite-3.3-8b")
        XCTAssertEqual(chats.count, 7)
        XCTAssertEqual(chats.filter { $0.parent == sampling.id }.count, 2)
        let paris = try XCTUnwrap(chats.first { $0["gen_ai.response.id"] as? String == "r2" })
        XCTAssertEqual(paris.kind, "SPAN_KIND_CLIENT")
        XCTAssertEqual(paris["gen_ai.operation.name"] as? String, "chat")
        XCTAssertEqual(paris["gen_ai.provider.name"] as? String, "openai")
        XCTAssertEqual(paris["gen_ai.usage.cache_write.input_tokens"] as? Int, 8)
        XCTAssertEqual(paris["gen_ai.response.finish_reasons"] as? [String], ["stop"])
        XCTAssertEqual(paris["server.address"] as? String, "127.0.0.1")

        // The tool loop: the call, then the tool under the action, then the answer.
        let tool = try run.named("execute_tool weather")
        XCTAssertEqual(tool.parent, actions[1].id)
        XCTAssertEqual(tool["gen_ai.tool.call.id"] as? String, "call_1")
        XCTAssertEqual(chats.filter { $0.parent == actions[1].id }.count, 2)
        let toolTurn = try XCTUnwrap(chats.first { $0["gen_ai.response.id"] as? String == "r3" })
        XCTAssertEqual(toolTurn["gen_ai.response.finish_reasons"] as? [String], ["tool_calls"])

        // Streams: the completed one with its milestones; the abandoned one is not an error.
        let streams = run.all("stream")
        XCTAssertEqual(streams.count, 2)
        XCTAssertTrue(streams.allSatisfy { $0.parent == session.id })
        XCTAssertEqual(streams[0].events.map(\.name), ["mellea.stream.first_chunk", "mellea.stream.completed"])
        XCTAssertNil(streams[0].statusCode)
        XCTAssertEqual(streams[1]["mellea.end_reason"] as? String, "consumer_stopped")
        XCTAssertNil(streams[1].statusCode, "a consumer that stops reading is not an error")
        let abandoned = try XCTUnwrap(chats.first { $0.parent == streams[1].id })
        XCTAssertEqual(abandoned["gen_ai.response.finish_reasons"] as? [String], ["error"])
        XCTAssertNil(abandoned.statusCode)
        let streamed = try XCTUnwrap(chats.first { $0.parent == streams[0].id })
        XCTAssertEqual(streamed["gen_ai.request.stream"] as? Bool, true)
        XCTAssertNotNil(streamed["gen_ai.response.time_to_first_chunk"])
        XCTAssertEqual(streamed.events.first?.name, "mellea.stream.first_chunk")

        // The failing generation: ERROR with error.type and finish reason "error", up to the action.
        let failed = try XCTUnwrap(chats.first { $0.statusCode == "STATUS_CODE_ERROR" })
        XCTAssertEqual(failed["error.type"] as? String, "TestError")
        XCTAssertEqual(failed["gen_ai.response.finish_reasons"] as? [String], ["error"])
        XCTAssertEqual(actions[2].statusCode, "STATUS_CODE_ERROR")
        XCTAssertEqual(run.spans.filter { $0.statusCode == "STATUS_CODE_ERROR" }.count, 2, "only the failure is an error")

        // Privacy: no content without opt-in.
        let contentKeys = ["gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.tool.definitions",
                           "gen_ai.tool.call.arguments", "gen_ai.tool.call.result", "mellea.sampling.failure_reason",
                           "mellea.validation.failure_reasons", "input.value", "output.value"]
        for span in run.spans {
            for key in contentKeys { XCTAssertNil(span[key], "\(key) on \(span.name) without opt-in") }
            XCTAssertFalse(span.events.contains { $0.name == "gen_ai.client.inference.operation.details" })
        }
        try assertOnlyKnownNames(run, openInference: false)
    }

    func testWithContentOptInMessagesAreValidConventionJSONAndEventsAndOpenInferenceFollow() async throws {
        let run = try await runProgram(["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "SPAN_AND_EVENT",
                                        "MELLEA_TRACES_OPENINFERENCE": "true"])
        let chats = run.all("chat granite-3.3-8b")
        func decode(_ span: Received, _ key: String) throws -> [[String: Any]] {
            let text = try XCTUnwrap(span[key] as? String, "\(key) missing on \(span.name)")
            return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]], "\(key) is not a JSON list")
        }
        for chat in chats {
            _ = try decode(chat, "gen_ai.input.messages")
            XCTAssertEqual(chat["openinference.span.kind"] as? String, "LLM")
            XCTAssertTrue(chat.events.contains { $0.name == "gen_ai.client.inference.operation.details" },
                          "SPAN_AND_EVENT writes the details event on \(chat.name)")
        }
        // The tool-calling turn: the system message stays in the history, the call is a tool_call part.
        let toolTurn = try XCTUnwrap(chats.first { $0["gen_ai.response.id"] as? String == "r3" })
        let input = try decode(toolTurn, "gen_ai.input.messages")
        XCTAssertEqual(input.first?["role"] as? String, "system")
        XCTAssertNil(toolTurn["gen_ai.system_instructions"])
        let output = try decode(toolTurn, "gen_ai.output.messages")
        XCTAssertEqual(output.first?["finish_reason"] as? String, "tool_call")
        let part = try XCTUnwrap((output.first?["parts"] as? [[String: Any]])?.first { $0["type"] as? String == "tool_call" })
        XCTAssertEqual(part["id"] as? String, "call_1")
        XCTAssertEqual(part["name"] as? String, "weather")
        XCTAssertEqual((part["arguments"] as? [String: Any])?["city"] as? String, "Paris", "arguments are a JSON object")
        let definitions = try decode(toolTurn, "gen_ai.tool.definitions")
        XCTAssertEqual(definitions.first?["name"] as? String, "weather")
        XCTAssertEqual(definitions.first?["type"] as? String, "function")
        XCTAssertNotNil(definitions.first?["parameters"] as? [String: Any])
        // The answer after the tool: its input holds the tool call and the tool's response.
        let answer = try XCTUnwrap(chats.first { $0["gen_ai.response.id"] as? String == "r4" })
        let answerInput = try decode(answer, "gen_ai.input.messages")
        let response = try XCTUnwrap(answerInput.last?["parts"] as? [[String: Any]]).first
        XCTAssertEqual(response?["type"] as? String, "tool_call_response")
        XCTAssertEqual(response?["id"] as? String, "call_1")
        XCTAssertEqual(response?["response"] as? String, "sunny")
        // Every output message has a finish_reason, the failure's included.
        for chat in chats where chat["gen_ai.output.messages"] != nil {
            XCTAssertNotNil(try decode(chat, "gen_ai.output.messages").first?["finish_reason"], chat.name)
        }
        let session = try run.named("invoke_agent session")
        XCTAssertEqual(session["openinference.span.kind"] as? String, "AGENT")
        XCTAssertEqual(session["input.value"] as? String, "Capital of France?")
        XCTAssertNotNil(session["output.value"])
        XCTAssertNotNil(session["gen_ai.input.messages"], "the session's trace has an input")
        XCTAssertEqual(run.all("invoke_workflow Instruction").first?["openinference.span.kind"] as? String, "CHAIN")
        XCTAssertEqual(run.all("stream").first?["output.value"] as? String, "It is warm ")
        XCTAssertEqual(try run.named("execute_tool weather")["gen_ai.tool.call.result"] as? String, "sunny")
        XCTAssertNotNil(run.all("validation").first?["mellea.validation.failure_reasons"])
        try assertOnlyKnownNames(run, openInference: true)
    }

    /// Every attribute and event name is in the conventions' registry (the list in
    /// Tests/Fixtures, with the version it was read from), under `mellea.*`, or OpenInference's.
    private func assertOnlyKnownNames(_ run: Run, openInference: Bool, file: StaticString = #filePath, line: UInt = #line) throws {
        let text = try String(contentsOf: repositoryRoot.appendingPathComponent("Tests/Fixtures/semconv-genai-names.txt"), encoding: .utf8)
        let registry = Set(text.split(separator: "\n").map(String.init).filter { !$0.hasPrefix("#") && !$0.isEmpty })
        XCTAssertTrue(registry.contains("gen_ai.usage.cache_write.input_tokens"))
        let openInferenceNames: Set<String> = ["openinference.span.kind", "input.value", "input.mime_type", "output.value",
                                               "output.mime_type", "session.id"]
        var names: Set<String> = []
        for span in run.spans {
            names.formUnion(span.attributes.keys)
            for event in span.events { names.insert(event.name); names.formUnion(event.attributes.keys) }
        }
        for name in names.sorted() {
            let known = registry.contains(name) || name.hasPrefix("mellea.") || (openInference && openInferenceNames.contains(name))
            XCTAssertTrue(known, "\(name) is in no registry, not under mellea.*", file: file, line: line)
        }
    }
}
