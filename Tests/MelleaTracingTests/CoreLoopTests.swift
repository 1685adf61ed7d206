import Foundation
import MelleaTracing
import OTLPExport
import XCTest

/// The generative core runs the loops its spans describe: no hook is fired by hand here.
final class SamplingLoopTests: XCTestCase {
    private let threeWords = Requirement.check("at most three words") { $0.split(separator: " ").count <= 3 }

    func testARequirementFailingOnceIsRepairedWithTheFailureFedBack() async throws {
        let harness = TracingHarness()
        let backend = RecordingBackend([GenerationResult(text: "a far too long answer"), GenerationResult(text: "short answer")])
        let session = try Session.start(backend: backend, registry: harness.registry)
        let result = try await session.instruct("Answer briefly", requirements: [threeWords],
                                                strategy: .rejection(loopBudget: 3))
        session.close()

        XCTAssertTrue(result.requirementsMet)
        XCTAssertEqual(result.text, "short answer")
        XCTAssertEqual(result.attempts, 2)
        let repairPrompt = try XCTUnwrap(backend.requests.withLock { $0 }.last?.messages.last?.content)
        XCTAssertTrue(repairPrompt.contains("at most three words"), "the repair names the failed requirement: \(repairPrompt)")
        XCTAssertTrue(repairPrompt.hasPrefix("Answer briefly"))
        XCTAssertEqual(session.history, [.user("Answer briefly"), .assistant("short answer")],
                       "the history keeps what the user asked and the answer returned, not the repair prompt")

        let action = try harness.span(named: "invoke_workflow Instruction")
        let sampling = try harness.span(named: "sampling")
        XCTAssertEqual(sampling.parentSpanID, action.spanID)
        let chats = harness.spans().filter { $0.name == "chat rec-model" }
        let validations = harness.spans().filter { $0.name == "validation" }
        XCTAssertEqual(chats.count, 2)
        XCTAssertEqual(validations.count, 2)
        for span in chats + validations { XCTAssertEqual(span.parentSpanID, sampling.spanID, "\(span.name) under sampling") }
        XCTAssertEqual(validations.map { $0["mellea.validation.passed"] }, [.bool(false), .bool(true)])
        XCTAssertEqual(sampling.events.map(\.name),
                       ["mellea.sampling.iteration", "mellea.sampling.repair", "mellea.sampling.iteration"])
        let repair = try XCTUnwrap(sampling.events.first { $0.name == "mellea.sampling.repair" })
        XCTAssertEqual(repair.attributes.first { $0.key == "mellea.sampling.repair_type" }?.value, "repair_template")
        XCTAssertEqual(sampling["mellea.sampling.success"], .bool(true))
        XCTAssertEqual(sampling["mellea.sampling.iterations_used"], .int(2))
        XCTAssertEqual(action["mellea.action.requirements_met"], .bool(true))
        XCTAssertEqual(harness.inFlight, 0)
    }

    func testMultiTurnRepairKeepsTheFailedAnswerAndRepliesToIt() async throws {
        let harness = TracingHarness()
        let backend = RecordingBackend([GenerationResult(text: "one two three four"), GenerationResult(text: "one two")])
        let session = try Session.start(backend: backend, registry: harness.registry)
        _ = try await session.instruct("Count", requirements: [threeWords],
                                       strategy: .rejection(loopBudget: 2, repair: .multiTurnFeedback))
        let second = try XCTUnwrap(backend.requests.withLock { $0 }.last)
        XCTAssertEqual(second.messages.map(\.role), ["user", "assistant", "user"])
        XCTAssertEqual(second.messages[1].content, "one two three four")
        XCTAssertTrue(second.messages[2].content.contains("at most three words"))
        let repair = try XCTUnwrap(harness.span(named: "sampling").events.first { $0.name == "mellea.sampling.repair" })
        XCTAssertEqual(repair.attributes.first { $0.key == "mellea.sampling.repair_type" }?.value, "multi_turn")
    }

    func testAnExhaustedBudgetIsAnUnsuccessfulResultNotAnException() async throws {
        let harness = TracingHarness()
        let backend = RecordingBackend { _, index in GenerationResult(text: String(repeating: "word ", count: 6 - index)) }
        let session = try Session.start(backend: backend, registry: harness.registry)
        let result = try await session.instruct("Answer", requirements: [threeWords], strategy: .rejection(loopBudget: 2))
        session.close()
        XCTAssertFalse(result.requirementsMet)
        XCTAssertEqual(result.attempts, 2)
        XCTAssertEqual(result.validation.map(\.verdict.passed), [false])
        let sampling = try harness.span(named: "sampling")
        XCTAssertEqual(sampling["mellea.sampling.success"], .bool(false))
        XCTAssertEqual(sampling.status, .unset, "an exhausted budget is an outcome, not an error")
        let action = try harness.span(named: "invoke_workflow Instruction")
        XCTAssertEqual(action["mellea.action.requirements_met"], .bool(false))
        XCTAssertEqual(action.status, .unset)
        XCTAssertEqual(harness.inFlight, 0)
    }

    func testAnExhaustedBudgetThrowsWhenTheStrategySaysSo() async throws {
        let harness = TracingHarness()
        let session = try Session.start(backend: RecordingBackend { _, _ in GenerationResult(text: "far too many words here") },
                                        registry: harness.registry)
        do {
            _ = try await session.instruct("Answer", requirements: [threeWords],
                                           strategy: .rejection(loopBudget: 2, onExhaustion: .throwError))
            XCTFail("the exhausted budget must throw")
        } catch let error as SamplingBudgetExhaustedError {
            XCTAssertEqual(error.attempts, 2)
            XCTAssertEqual(error.bestAttempt.text, "far too many words here")
        }
        let action = try harness.span(named: "invoke_workflow Instruction")
        XCTAssertEqual(action["error.type"], "SamplingBudgetExhaustedError")
        session.close()
        XCTAssertEqual(harness.inFlight, 0)
    }

    func testConcurrentAttemptsCancelTheLosersAndLeaveNoSpanOpen() async throws {
        let harness = TracingHarness()
        let backend = RecordingBackend { _, index in
            if index == 0 { return GenerationResult(text: "short") }
            try await Task.sleep(for: .seconds(30))
            return GenerationResult(text: "never")
        }
        let session = try Session.start(backend: backend, registry: harness.registry)
        let started = ContinuousClock.now
        let result = try await session.instruct("Go", requirements: [threeWords],
                                                strategy: .rejection(loopBudget: 3, concurrency: 3))
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(10), "the losers must be cancelled, not awaited")
        session.close()
        XCTAssertTrue(result.requirementsMet)
        XCTAssertEqual(result.text, "short")
        let chats = harness.spans().filter { $0.name == "chat rec-model" }
        XCTAssertEqual(chats.count, 3, "every attempt's chat span ended")
        XCTAssertEqual(chats.filter { $0["mellea.end_reason"] == "cancelled" }.count, 2)
        XCTAssertTrue(chats.allSatisfy { $0.status == .unset }, "a cancelled loser is not an error")
        let sampling = try harness.span(named: "sampling")
        XCTAssertTrue(chats.allSatisfy { $0.parentSpanID == sampling.spanID })
        XCTAssertEqual(harness.inFlight, 0)
    }

    func testAModelJudgedRequirementAsksTheBackEndUnderTheValidationSpan() async throws {
        let harness = TracingHarness()
        let backend = RecordingBackend([GenerationResult(text: "Bonjour"), GenerationResult(text: "Yes. It is French.")])
        let session = try Session.start(backend: backend, registry: harness.registry)
        let result = try await session.instruct("Greet me", requirements: ["the answer is in French"])
        XCTAssertTrue(result.requirementsMet)
        XCTAssertEqual(result.validation.first?.verdict.reason, "It is French")
        let validation = try harness.span(named: "validation")
        let chats = harness.spans().filter { $0.name == "chat rec-model" }
        XCTAssertEqual(chats.count, 2)
        XCTAssertTrue(chats.contains { $0.parentSpanID == validation.spanID }, "the judge's call nests under its validation")
        let judgeRequest = try XCTUnwrap(backend.requests.withLock { $0 }.last?.messages.last?.content)
        XCTAssertTrue(judgeRequest.contains("the answer is in French") && judgeRequest.contains("Bonjour"))
    }

    func testJudgementsAreParsedFromTheFirstWord() {
        XCTAssertTrue(RequirementVerdict(judgement: "YES, fine").passed)
        XCTAssertFalse(RequirementVerdict(judgement: "No: too long").passed)
        XCTAssertEqual(RequirementVerdict(judgement: "No: too long").reason, "too long")
        XCTAssertFalse(RequirementVerdict(judgement: "maybe").passed)
    }

    func testFailureReasonsAreRecordedOnlyWithContentCapture() async throws {
        for capture in [false, true] {
            let harness = TracingHarness(captureContent: capture)
            let backend = RecordingBackend { _, _ in GenerationResult(text: "far too many words here") }
            let session = try Session.start(backend: backend, registry: harness.registry)
            _ = try await session.instruct("Answer", requirements: [threeWords], strategy: .rejection(loopBudget: 1))
            let validation = try harness.span(named: "validation")
            let sampling = try harness.span(named: "sampling")
            XCTAssertEqual(validation["mellea.validation.failure_reasons"] != nil, capture)
            XCTAssertEqual(sampling["mellea.sampling.failure_reason"] != nil, capture)
            session.close()
        }
    }
}

final class ToolLoopTests: XCTestCase {
    func testTheCoreRunsRequestedToolsFeedsBackResultsAndErrorsAndCallsTheModelAgain() async throws {
        let harness = TracingHarness()
        struct Broken: Error {}
        let backend = RecordingBackend([
            GenerationResult(text: "", toolCalls: [ToolCall(id: "call_1", name: "weather", argumentsJSON: #"{"city":"Paris"}"#),
                                                   ToolCall(id: "call_2", name: "clock")],
                             metadata: GenerationMetadata(finishReasons: ["tool_calls"])),
            GenerationResult(text: "", toolCalls: [ToolCall(id: "call_3", name: "broken"), ToolCall(id: "call_4", name: "missing")]),
            GenerationResult(text: "Sunny at noon.", metadata: GenerationMetadata(finishReasons: ["stop"])),
        ])
        let tools = [
            Tool(name: "weather", description: "Weather by city") { call in "sunny in \(call.argumentsJSON.contains("Paris") ? "Paris" : "?")" },
            Tool(name: "clock") { _ in "12:00" },
            Tool(name: "broken") { _ in throw Broken() },
        ]
        let session = try Session.start(backend: backend, tools: tools, registry: harness.registry)
        let result = try await session.instruct("Weather and time?")
        session.close()

        XCTAssertEqual(result.text, "Sunny at noon.")
        XCTAssertEqual(result.generations, 3)
        let requests = backend.requests.withLock { $0 }
        XCTAssertEqual(requests.count, 3)
        XCTAssertEqual(requests[0].tools.map(\.name), ["weather", "clock", "broken"])
        let toolMessages = requests[2].messages.filter { $0.role == "tool" }
        XCTAssertEqual(toolMessages.map(\.toolCallID), ["call_1", "call_2", "call_3", "call_4"])
        XCTAssertEqual(toolMessages[0].content, "sunny in Paris")
        XCTAssertEqual(toolMessages[1].content, "12:00")
        XCTAssertTrue(toolMessages[2].content.hasPrefix("error:"), "a throwing tool becomes an error result: \(toolMessages[2].content)")
        XCTAssertTrue(toolMessages[3].content.contains("no tool named 'missing'"))
        XCTAssertEqual(session.history.map(\.role), ["user", "assistant", "tool", "tool", "assistant", "tool", "tool", "assistant"])

        let action = try harness.span(named: "invoke_workflow Instruction")
        let toolSpans = harness.spans().filter { $0.name.hasPrefix("execute_tool ") }
        XCTAssertEqual(toolSpans.map(\.name).sorted(),
                       ["execute_tool broken", "execute_tool clock", "execute_tool missing", "execute_tool weather"])
        XCTAssertTrue(toolSpans.allSatisfy { $0.parentSpanID == action.spanID }, "tools run under the action")
        XCTAssertEqual(try harness.span(named: "execute_tool weather").status, .unset)
        XCTAssertEqual(try harness.span(named: "execute_tool broken")["error.type"], "Broken")
        XCTAssertEqual(try harness.span(named: "execute_tool missing")["error.type"], "UnknownToolError")
        XCTAssertEqual(harness.spans().filter { $0.name == "chat rec-model" }.count, 3)
        XCTAssertEqual(action["mellea.action.tool_calls"], .bool(true))
        XCTAssertEqual(harness.inFlight, 0)
    }

    func testAModelThatNeverStopsCallingToolsIsMadeToAnswerAfterTheRoundBudget() async throws {
        let harness = TracingHarness()
        let backend = RecordingBackend { request, index in
            request.toolChoice == ToolChoice.none ? GenerationResult(text: "final")
                : GenerationResult(text: "", toolCalls: [ToolCall(id: "c\(index)", name: "again")])
        }
        let session = try Session.start(backend: backend, tools: [Tool(name: "again") { _ in "more" }], maxToolRounds: 2,
                                        registry: harness.registry)
        let result = try await session.instruct("loop")
        XCTAssertEqual(result.text, "final")
        XCTAssertEqual(backend.requests.withLock { $0.count }, 3)
        XCTAssertEqual(harness.spans().filter { $0.name == "execute_tool again" }.count, 2)
        session.close()
        XCTAssertEqual(harness.inFlight, 0)
    }
}

final class StreamingCoreTests: XCTestCase {
    /// A plugin that raises the temperature of every call.
    final class Warmer: Plugin, @unchecked Sendable {
        let name = "warmer"
        let priority = 10
        let hooks: Set<HookType> = [.generationPreCall]
        func generationPreCall(_ p: inout GenerationPreCallPayload) throws { p.modelOptions.temperature = 0.9 }
    }

    func testAStreamSendsTheRequestAsPluginsLeftItAndJoinsTheHistory() async throws {
        let harness = TracingHarness()
        harness.registry.register(Warmer())
        let backend = RecordingBackend([GenerationResult(text: "one two three", metadata: GenerationMetadata(finishReasons: ["stop"]))])
        let session = try Session.start(backend: backend, registry: harness.registry)
        var text = ""
        for try await chunk in session.stream("count", options: ModelOptions(temperature: 0.1)) { text += chunk }
        XCTAssertEqual(text, "one two three ")
        XCTAssertEqual(backend.requests.withLock { $0 }.first?.options.temperature, 0.9, "the plugin's change reaches the back end")
        XCTAssertEqual(session.history, [.user("count"), .assistant("one two three ")])
        let chat = try harness.span(named: "chat rec-model")
        XCTAssertEqual(chat["gen_ai.request.temperature"], .double(0.9))
        session.close()
        XCTAssertEqual(try harness.span(named: "invoke_agent session")["mellea.session.interaction_count"], .int(1))
        XCTAssertEqual(harness.inFlight, 0)
    }

    func testAFailedRequirementStopsTheStreamEarly() async throws {
        let harness = TracingHarness()
        let backend = RecordingBackend([GenerationResult(text: "Fine. Still fine. Now bad. Never sent.")])
        let session = try Session.start(backend: backend, registry: harness.registry)
        let clean = Requirement.check("never says bad") { !$0.contains("bad") }
        var received = ""
        do {
            for try await chunk in session.stream("talk", requirements: [clean]) { received += chunk }
            XCTFail("the failed requirement must stop the stream")
        } catch let error as StreamRequirementFailedError {
            XCTAssertEqual(error.failures.map(\.requirement), ["never says bad"])
        }
        XCTAssertFalse(received.contains("Never"), "the stream stopped at the failing sentence: \(received)")
        let stream = try harness.span(named: "stream")
        XCTAssertEqual(stream["mellea.end_reason"], "requirement_failed")
        XCTAssertEqual(stream["error.type"], "StreamRequirementFailedError")
        let chat = try harness.span(named: "chat rec-model")
        XCTAssertEqual(chat.status, .unset, "the model did not fail: the stream was stopped")
        XCTAssertEqual(session.history, [], "a stopped stream does not join the history")
        session.close()
        XCTAssertEqual(harness.inFlight, 0)
    }

    func testACompletedStreamWithRequirementsIsValidatedUnderTheStreamSpan() async throws {
        let harness = TracingHarness()
        let backend = RecordingBackend([GenerationResult(text: "All good here.")])
        let session = try Session.start(backend: backend, registry: harness.registry)
        for try await _ in session.stream("talk", requirements: [.check("short") { $0.count < 100 }]) {}
        let stream = try harness.span(named: "stream")
        let validation = try harness.span(named: "validation")
        XCTAssertEqual(validation.parentSpanID, stream.spanID)
        XCTAssertEqual(validation["mellea.validation.passed"], .bool(true))
        session.close()
        XCTAssertEqual(harness.inFlight, 0)
    }
}

final class ChunkEventTests: XCTestCase {
    func testChunkEventsAreOffByDefaultAndCappedPerSpanWhenOn() async throws {
        for (enabled, cap) in [(false, 128), (true, 2)] {
            let env = EnvironmentReader(["MELLEA_TRACES_ENABLED": "true",
                                         "MELLEA_GENERATION_CHUNK_EVENTS": enabled ? "true" : "false",
                                         "MELLEA_GENERATION_MAX_CHUNK_EVENTS": String(cap)],
                                        diagnostics: RecordingDiagnostics().diagnostics)
            let processor = CollectingProcessor()
            let registry = HookRegistry(diagnostics: RecordingDiagnostics().diagnostics)
            TracingSystem.bootstrap(processor: processor, configuration: .fromEnvironment(env), registry: registry,
                                    bootstrapInstrumentationSystem: false)
            let session = try Session.start(backend: RecordingBackend([GenerationResult(text: "a b c d e")]), registry: registry)
            for try await _ in session.stream("go") {}
            session.close()
            TracingSystem.resetForTesting()
            let chat = try XCTUnwrap(processor.spans.withLock { $0 }.first { $0.name == "chat rec-model" })
            let chunks = chat.events.filter { $0.name == "mellea.stream.chunk" }
            XCTAssertEqual(chunks.count, enabled ? 2 : 0)
            XCTAssertEqual(chat["mellea.stream.dropped_chunk_events"], enabled ? .int(3) : nil, "chunks past the cap are counted")
        }
    }
}
