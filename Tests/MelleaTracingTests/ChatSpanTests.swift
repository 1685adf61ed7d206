import Foundation
import MelleaTracing
import OTLPExport
import Tracing
import XCTest

final class ChatSpanTests: XCTestCase {
    private let metadata = GenerationMetadata(
        responseID: "chatcmpl-42", responseModel: "granite-3.3-8b-0425", finishReasons: ["stop"],
        usage: TokenUsage(inputTokens: 123, outputTokens: 456, cacheReadInputTokens: 100, cacheWriteInputTokens: 7,
                          reasoningOutputTokens: 30))

    func testChatSpanCarriesEveryRequestResponseAndUsageAttribute() async throws {
        let harness = TracingHarness()
        let backend = ScriptedBackend(model: "granite-3.3-8b", provider: "openai", serverAddress: "llm.local", serverPort: 8443,
                                      replies: [.text("hello", metadata)])
        let session = try Session.start(backend: backend, registry: harness.registry)
        let options = ModelOptions(temperature: 0.7, topP: 0.9, topK: 40, maxTokens: 512, frequencyPenalty: 0.1,
                                   presencePenalty: 0.2, stopSequences: ["END"], seed: 7, choiceCount: 2)
        _ = try await session.instruct("Say hello", options: options)
        session.close()

        let chat = try harness.span(named: "chat granite-3.3-8b")
        XCTAssertEqual(chat.kind, .client)
        XCTAssertEqual(chat.scope.name, "mellea.backend")
        XCTAssertEqual(chat["gen_ai.operation.name"], "chat")
        XCTAssertEqual(chat["gen_ai.provider.name"], "openai")
        XCTAssertEqual(chat["gen_ai.request.model"], "granite-3.3-8b")
        XCTAssertEqual(chat["server.address"], "llm.local")
        XCTAssertEqual(chat["server.port"], .int(8443))
        XCTAssertEqual(chat["gen_ai.request.temperature"], .double(0.7))
        XCTAssertEqual(chat["gen_ai.request.top_p"], .double(0.9))
        XCTAssertEqual(chat["gen_ai.request.top_k"], .int(40))
        XCTAssertEqual(chat["gen_ai.request.max_tokens"], .int(512))
        XCTAssertEqual(chat["gen_ai.request.frequency_penalty"], .double(0.1))
        XCTAssertEqual(chat["gen_ai.request.presence_penalty"], .double(0.2))
        XCTAssertEqual(chat["gen_ai.request.stop_sequences"], .stringArray(["END"]))
        XCTAssertEqual(chat["gen_ai.request.seed"], .int(7))
        XCTAssertEqual(chat["gen_ai.request.choice.count"], .int(2))
        XCTAssertNil(chat["gen_ai.request.stream"], "stream is only set for streamed calls")
        XCTAssertEqual(chat["gen_ai.response.id"], "chatcmpl-42")
        XCTAssertEqual(chat["gen_ai.response.model"], "granite-3.3-8b-0425")
        XCTAssertEqual(chat["gen_ai.response.finish_reasons"], .stringArray(["stop"]))
        XCTAssertEqual(chat["gen_ai.usage.input_tokens"], .int(123))
        XCTAssertEqual(chat["gen_ai.usage.output_tokens"], .int(456))
        XCTAssertEqual(chat["gen_ai.usage.cache_read.input_tokens"], .int(100))
        XCTAssertEqual(chat["gen_ai.usage.cache_write.input_tokens"], .int(7))
        XCTAssertEqual(chat["gen_ai.usage.reasoning.output_tokens"], .int(30))
        XCTAssertEqual(chat["gen_ai.conversation.id"], .string(session.id))
        XCTAssertEqual(chat.status, .unset)
    }

    func testInProcessBackendGivesAnInternalSpan() async throws {
        let harness = TracingHarness()
        let backend = ScriptedBackend(model: "local", provider: "huggingface", isRemote: false, serverAddress: nil, serverPort: nil)
        let session = try Session.start(backend: backend, registry: harness.registry)
        _ = try await session.chat("hi")
        let chat = try harness.span(named: "chat local")
        XCTAssertEqual(chat.kind, .internal)
        XCTAssertNil(chat["server.address"])
    }

    func testFailedGenerationIsAnErrorSpanWithModelAndProviderAndNoContent() async throws {
        let harness = TracingHarness()
        let backend = ScriptedBackend(model: "m1", provider: "ollama",
                                      replies: [.failure(TestFailure(description: "secret prompt echoed in error"))])
        let session = try Session.start(backend: backend, registry: harness.registry)
        do {
            _ = try await session.instruct("secret prompt")
            XCTFail("the scripted failure must surface")
        } catch {}
        let chat = try harness.span(named: "chat m1")
        XCTAssertEqual(chat["gen_ai.request.model"], "m1")
        XCTAssertEqual(chat["gen_ai.provider.name"], "ollama")
        XCTAssertEqual(chat["error.type"], "TestFailure")
        guard case .error(let description) = chat.status else { return XCTFail("status \(chat.status)") }
        XCTAssertFalse(description.contains("secret"), "error text must not carry content without opt-in")
        XCTAssertFalse(chat.events.flatMap(\.attributes).contains { "\($0.value)".contains("secret") })
        let action = try harness.span(named: "invoke_workflow Instruction")
        XCTAssertEqual(action["error.type"], "TestFailure")
        XCTAssertEqual(harness.inFlight, 1, "only the session span stays open")
    }

    func testContentIsNotRecordedByDefault() async throws {
        let harness = TracingHarness()
        let session = try Session.start(backend: ScriptedBackend(replies: [.text("the answer")]), systemPrompt: "be brief",
                                        registry: harness.registry)
        _ = try await session.instruct("the question")
        session.close()
        let keys = Set(harness.spans().flatMap { $0.attributes.map(\.key) })
        for key in ["gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.system_instructions", "mellea.action.response"] {
            XCTAssertFalse(keys.contains(key), "\(key) recorded without opt-in")
        }
        XCTAssertFalse(harness.spans().flatMap(\.attributes).contains { "\($0.value)".contains("the question") })
    }

    func testContentIsRecordedAsSemanticConventionJSONWhenOptedIn() async throws {
        let harness = TracingHarness(captureContent: true)
        let session = try Session.start(backend: ScriptedBackend(replies: [.text("the \"answer\"", GenerationMetadata(finishReasons: ["stop"]))]),
                                        systemPrompt: "be brief", registry: harness.registry)
        _ = try await session.instruct("the question")
        let chat = try harness.span(named: "chat scripted-model")
        func decode(_ key: String) throws -> [[String: Any]] {
            guard case .string(let text)? = chat[key] else { throw TestFailure(description: "\(key) missing") }
            return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]])
        }
        let input = try decode("gen_ai.input.messages")
        // A system message that is part of the history stays in the messages (the conventions use
        // gen_ai.system_instructions only for instructions sent separately).
        XCTAssertEqual(input.map { $0["role"] as? String }, ["system", "user"])
        XCTAssertEqual((input[0]["parts"] as? [[String: Any]])?.first?["content"] as? String, "be brief")
        XCTAssertEqual((input[1]["parts"] as? [[String: Any]])?.first?["content"] as? String, "the question")
        XCTAssertNil(chat["gen_ai.system_instructions"])
        let output = try decode("gen_ai.output.messages")
        XCTAssertEqual((output.first?["parts"] as? [[String: Any]])?.first?["content"] as? String, "the \"answer\"")
        XCTAssertEqual(output.first?["finish_reason"] as? String, "stop")
    }

    func testBatchIsOneTextCompletionSpanWithAggregateUsage() async throws {
        let harness = TracingHarness()
        let backend = ScriptedBackend(model: "g", replies: [
            .text("a", GenerationMetadata(usage: TokenUsage(inputTokens: 1, outputTokens: 2))),
            .text("b", GenerationMetadata(usage: TokenUsage(inputTokens: 3, outputTokens: 4))),
        ])
        let session = try Session.start(backend: backend, registry: harness.registry)
        let outputs = try await session.generateBatch(["p1", "p2"])
        XCTAssertEqual(outputs, ["a", "b"])
        let spans = harness.spans().filter { $0.name.hasPrefix("text_completion") }
        XCTAssertEqual(spans.count, 1)
        XCTAssertEqual(spans[0].name, "text_completion g")
        XCTAssertEqual(spans[0]["gen_ai.operation.name"], "text_completion")
        XCTAssertEqual(spans[0]["mellea.request.num_actions"], .int(2))
        XCTAssertEqual(spans[0]["gen_ai.usage.input_tokens"], .int(4))
        XCTAssertEqual(spans[0]["gen_ai.usage.output_tokens"], .int(6))
    }

    func testToolCallIsAnExecuteToolSpanUnderTheCaller() async throws {
        let harness = TracingHarness()
        let session = try Session.start(backend: ScriptedBackend(), registry: harness.registry)
        let output = try await session.invokeTool(ToolCall(id: "call_1", name: "get_weather", argumentsJSON: "{\"city\":\"Paris\"}"),
                                                  description: "Weather by city") { _ in "sunny" }
        XCTAssertEqual(output, "sunny")
        let tool = try harness.span(named: "execute_tool get_weather")
        XCTAssertEqual(tool["gen_ai.operation.name"], "execute_tool")
        XCTAssertEqual(tool["gen_ai.tool.call.id"], "call_1")
        XCTAssertEqual(tool["gen_ai.tool.description"], "Weather by city")
        XCTAssertNil(tool["gen_ai.tool.call.arguments"], "arguments are content")
        XCTAssertEqual(tool.parentSpanID, session.context.spanContext?.spanID)
    }
}

final class SamplingSpanTests: XCTestCase {
    /// A user's own sampling strategy fires the public hooks; the spans follow, and the check
    /// fired in the sampling span's context nests under it.
    func testUserFiredSamplingAndValidationHooksBecomeSpans() throws {
        let harness = TracingHarness()
        var start = SamplingLoopStartPayload(sessionID: nil, samplingID: "s1", strategyName: "rejection",
                                             requirementCount: 2, loopBudget: 3)
        try harness.registry.fire(&start)
        var check = ValidationPreCheckPayload(sessionID: nil, validationID: "v1", requirements: ["short", "polite"],
                                              context: start.context)
        try harness.registry.fire(&check)
        harness.registry.fireClosing(ValidationPostCheckPayload(
            sessionID: nil, validationID: "v1",
            results: [RequirementResult(requirement: "short", verdict: .pass),
                      RequirementResult(requirement: "polite", verdict: .fail("rude"))], allPassed: false))
        harness.registry.fireClosing(SamplingIterationPayload(sessionID: nil, samplingID: "s1", iteration: 1,
                                                              allValidationsPassed: false, validCount: 1, totalCount: 2))
        harness.registry.fireClosing(SamplingRepairPayload(sessionID: nil, samplingID: "s1", repairType: "instruction",
                                                           repairIteration: 1, failedCount: 1))
        harness.registry.fireClosing(SamplingLoopEndPayload(sessionID: nil, samplingID: "s1", success: false, iterationsUsed: 3,
                                                            failureReason: "budget exhausted after 3 iterations", errorType: nil))
        let sampling = try harness.span(named: "sampling")
        XCTAssertEqual(sampling["mellea.sampling.strategy_type"], "rejection")
        XCTAssertEqual(sampling["mellea.sampling.loop_budget"], .int(3))
        XCTAssertEqual(sampling["mellea.sampling.success"], .bool(false))
        XCTAssertEqual(sampling.events.map(\.name), ["mellea.sampling.iteration", "mellea.sampling.repair"])
        XCTAssertEqual(sampling.status, .unset, "an exhausted budget is not an error")
        XCTAssertNil(sampling["mellea.sampling.failure_reason"], "free text needs content capture")
        let validation = try harness.span(named: "validation")
        XCTAssertEqual(validation["mellea.validation.failed_count"], .int(1))
        XCTAssertNil(validation["mellea.validation.failure_reasons"], "reasons are free text: content only")
        XCTAssertEqual(validation.parentSpanID, sampling.spanID)
        XCTAssertEqual(harness.inFlight, 0)
    }
}

final class ConventionEdgeTests: XCTestCase {
    func testAnEmptyModelIDNamesTheSpanByItsOperationAlone() async throws {
        let harness = TracingHarness()
        let session = try Session.start(backend: ScriptedBackend(model: ""), registry: harness.registry)
        _ = try await session.chat("hi")
        session.close()
        let chat = try harness.span(named: "chat")
        XCTAssertNil(chat["gen_ai.request.model"], "an unknown model is left out, not recorded empty")
        XCTAssertFalse(harness.spans().contains { $0.name.hasSuffix(" ") })
    }

    func testAnUnknownFinishReasonStillGivesEveryOutputMessageOne() async throws {
        let harness = TracingHarness(captureContent: true)
        let session = try Session.start(backend: ScriptedBackend(replies: [.text("no reason given")]), registry: harness.registry)
        _ = try await session.chat("hi")
        let chat = try harness.span(named: "chat scripted-model")
        let output = try XCTUnwrap(chat.json("gen_ai.output.messages") as? [[String: Any]])
        XCTAssertEqual(output.first?["finish_reason"] as? String, "stop")
        XCTAssertEqual(chat["gen_ai.response.finish_reasons"], .stringArray(["stop"]))
    }

    func testALengthLimitCutsInsidePartsAndTheJSONStaysValid() throws {
        let content = ContentCapture(enabled: true, maxLength: 16)
        let long = String(repeating: "é\"\\", count: 40)
        let messages: [ChatMessage] = [
            .user(long),
            .assistant("", toolCalls: [ToolCall(id: "c1", name: "f", argumentsJSON: #"{"text":""# + long + #""}"#)]),
            .tool(callID: "c1", long),
        ]
        let data = Data(content.inputMessages(messages).utf8)
        let decoded = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        XCTAssertEqual(decoded.map { $0["role"] as? String }, ["user", "assistant", "tool"])
        let text = try XCTUnwrap((decoded[0]["parts"] as? [[String: Any]])?.first?["content"] as? String)
        XCTAssertEqual(text.count, 17, "16 characters and an ellipsis")
        let call = try XCTUnwrap((decoded[1]["parts"] as? [[String: Any]])?.first)
        XCTAssertEqual(call["type"] as? String, "tool_call")
        XCTAssertTrue(call["arguments"] is String, "arguments too long to embed are a clipped string, never cut JSON")
        let response = try XCTUnwrap((decoded[2]["parts"] as? [[String: Any]])?.first)
        XCTAssertEqual(response["type"] as? String, "tool_call_response")
        XCTAssertEqual(response["id"] as? String, "c1")
    }

    func testEventOnlyPutsContentInTheDetailsEventAndNotOnTheSpan() async throws {
        let env = EnvironmentReader(["MELLEA_TRACES_ENABLED": "true",
                                     "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "EVENT_ONLY"],
                                    diagnostics: RecordingDiagnostics().diagnostics)
        let configuration = TracesConfiguration.fromEnvironment(env)
        XCTAssertFalse(configuration.captureContent)
        XCTAssertTrue(configuration.contentEvents)
        let processor = CollectingProcessor()
        let registry = HookRegistry(diagnostics: RecordingDiagnostics().diagnostics)
        TracingSystem.bootstrap(processor: processor, configuration: configuration, registry: registry,
                                bootstrapInstrumentationSystem: false)
        defer { TracingSystem.resetForTesting() }
        let session = try Session.start(backend: ScriptedBackend(replies: [.text("secret answer")]), registry: registry)
        _ = try await session.chat("secret question")
        let chat = try XCTUnwrap(processor.spans.withLock { $0 }.first { $0.name.hasPrefix("chat") })
        XCTAssertNil(chat["gen_ai.input.messages"])
        let event = try XCTUnwrap(chat.events.first { $0.name == "gen_ai.client.inference.operation.details" })
        XCTAssertTrue(event.attributes.contains { $0.key == "gen_ai.input.messages" && "\($0.value)".contains("secret question") })
        XCTAssertTrue(event.attributes.contains { $0.key == "gen_ai.operation.name" })
    }
}
