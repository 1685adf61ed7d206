import Foundation
import MelleaTracing
import OTLPExport
import Synchronization
import XCTest

/// The ways the Python system leaked spans, each one a test here.
final class SpanLeakTests: XCTestCase {
    func testAnAlreadyComputedOutputStillClosesTheChatSpan() async throws {
        let harness = TracingHarness()
        let session = try Session.start(backend: ScriptedBackend(replies: [.text("cached"), .text("cached"), .text("cached")]),
                                        registry: harness.registry)
        for _ in 0..<3 { _ = try await session.chat("same question") }
        session.close()
        XCTAssertEqual(harness.spans().filter { $0.name.hasPrefix("chat ") }.count, 3)
        XCTAssertEqual(harness.inFlight, 0)
    }

    /// Cancelling the caller's task ends every span, recorded as cancelled: on purpose, not an error.
    func testTaskCancellationClosesEverySpanAsCancelled() async throws {
        let harness = TracingHarness()
        let session = try Session.start(backend: ScriptedBackend(replies: [.delayed(.seconds(30), "never")]),
                                        registry: harness.registry)
        let task = Task { try await session.instruct("slow") }
        try await Task.sleep(for: .milliseconds(100))
        task.cancel()
        _ = try? await task.value
        let chat = try harness.span(named: "chat scripted-model")
        XCTAssertEqual(chat["mellea.end_reason"], "cancelled")
        XCTAssertNil(chat["error.type"], "a cancellation is not an error")
        XCTAssertEqual(chat.status, .unset)
        XCTAssertEqual(chat["gen_ai.response.finish_reasons"], .stringArray(["error"]))
        let action = try harness.span(named: "invoke_workflow Instruction")
        XCTAssertEqual(action["mellea.end_reason"], "cancelled")
        XCTAssertEqual(action.status, .unset)
        session.close()
        XCTAssertEqual(harness.inFlight, 0)
    }

    func testAUserPluginFailingOrRefusingOnAClosingHookCannotKeepTheSpanOpen() async throws {
        let harness = TracingHarness()
        harness.registry.register(ProbePlugin("stubborn", priority: 1, onPost: { _ in throw HookRefusal("no") }))
        let session = try Session.start(backend: ScriptedBackend(), registry: harness.registry)
        _ = try await session.chat("hi")
        XCTAssertNotNil(harness.spans().first { $0.name.hasPrefix("chat ") })
        session.close()
        XCTAssertEqual(harness.inFlight, 0)
    }

    func testARefusedCallClosesTheSpansOpenedBeforeTheRefusal() async throws {
        let harness = TracingHarness()
        // Runs after the tracing plugin (priority 2000 > 1040), so the chat span is already open.
        harness.registry.register(ProbePlugin("late-guard", priority: 2000, hooks: [.generationPreCall]) { _, _ in
            throw HookRefusal("quota exceeded")
        })
        let session = try Session.start(backend: ScriptedBackend(), registry: harness.registry)
        do { _ = try await session.chat("hi"); XCTFail("refused call must throw") } catch is PluginRefusedError {}
        let chat = try harness.span(named: "chat scripted-model")
        XCTAssertEqual(chat["error.type"], "PluginRefusedError")
        session.close()
        XCTAssertEqual(harness.inFlight, 0)
    }

    func testTheInFlightMapIsBoundedAndEndsTheOldestAsAbandoned() throws {
        let harness = TracingHarness(maxInFlight: 2)
        for index in 0..<3 {
            var pre = GenerationPreCallPayload.forTest(generationID: "g\(index)")
            try harness.registry.fire(&pre)
        }
        XCTAssertEqual(harness.setup.inFlightSpans.count, 2)
        XCTAssertEqual(harness.setup.inFlightSpans.abandonedCount, 1)
        let abandoned = try harness.span(named: "chat m")
        XCTAssertEqual(abandoned["error.type"], "abandoned")
    }

    func testAStreamTheConsumerAbandonsIsClosed() async throws {
        let harness = TracingHarness()
        // The back end sends one chunk, then would take 30 s for the rest; the consumer stops after one.
        let session = try Session.start(backend: ScriptedBackend(replies: [.delayed(.seconds(30), "rest")]),
                                        registry: harness.registry)
        for try await _ in session.stream("count") { break }
        let closed = await eventually { harness.inFlight == 1 }
        XCTAssertTrue(closed, "stream and chat spans must close; in flight: \(harness.inFlight)")
        let stream = try harness.span(named: "stream")
        XCTAssertEqual(stream["mellea.streaming.success"], .bool(false))
        XCTAssertEqual(stream["mellea.end_reason"], "consumer_stopped")
        XCTAssertNil(stream["error.type"], "a consumer that stops reading is not an error")
        XCTAssertEqual(stream.status, .unset)
        let chat = try harness.span(named: "chat scripted-model")
        XCTAssertEqual(chat.status, .unset)
        XCTAssertEqual(chat["gen_ai.response.finish_reasons"], .stringArray(["error"]))
        XCTAssertEqual(session.history, [], "an abandoned stream does not join the history")
        session.close()
    }

    func testACompletedStreamRecordsTheFirstTokenAndStreamingAttributes() async throws {
        let harness = TracingHarness()
        let session = try Session.start(backend: ScriptedBackend(replies: [.text("a b c", GenerationMetadata(finishReasons: ["stop"]))]),
                                        registry: harness.registry)
        var text = ""
        for try await chunk in session.stream("go") { text += chunk }
        XCTAssertEqual(text, "a b c ")
        let chat = try harness.span(named: "chat scripted-model")
        let stream = try harness.span(named: "stream")
        XCTAssertEqual(chat.parentSpanID, stream.spanID)
        XCTAssertEqual(chat["gen_ai.request.stream"], .bool(true))
        XCTAssertNotNil(chat["gen_ai.response.time_to_first_chunk"])
        XCTAssertEqual(chat.events.first?.name, "mellea.stream.first_chunk")
        XCTAssertEqual(stream.events.map(\.name), ["mellea.stream.first_chunk", "mellea.stream.completed"])
        XCTAssertEqual(stream["mellea.streaming.success"], .bool(true))
        XCTAssertEqual(session.history, [.user("go"), .assistant("a b c ")], "the streamed turn joins the history")
        session.close()
        XCTAssertEqual(harness.inFlight, 0)
    }

    private func eventually(_ condition: () -> Bool) async -> Bool {
        for _ in 0..<200 {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }
}

extension GenerationPreCallPayload {
    static func forTest(generationID: String) -> GenerationPreCallPayload {
        GenerationPreCallPayload(sessionID: nil, generationID: generationID, actionID: nil, model: "m", provider: "p",
                                 isRemote: true, serverAddress: nil, serverPort: nil, messages: [], stream: false,
                                 modelOptions: ModelOptions(), format: .text, tools: [], context: .topLevel)
    }
}

final class SessionStartRefusalTests: XCTestCase {
    final class RefuseStart: Plugin {
        let name = "refuse-start"
        let priority = 2000
        let hooks: Set<HookType> = [.sessionPreInit]
        func sessionPreInit(_ payload: inout SessionPreInitPayload) throws { throw HookRefusal("no sessions today") }
    }

    func testARefusedSessionStartClosesItsStartupSpan() throws {
        let harness = TracingHarness()
        harness.registry.register(RefuseStart())
        XCTAssertThrowsError(try Session.start(backend: ScriptedBackend(), registry: harness.registry))
        let startup = try harness.span(named: "start_session")
        XCTAssertEqual(startup["error.type"], "PluginRefusedError")
        XCTAssertEqual(harness.inFlight, 0)
    }

    final class SlowObserver: Plugin {
        let name = "slow"
        let priority = 1
        let hooks: Set<HookType> = [.generationPostCall]
        let ended: @Sendable () -> Bool
        let sawEnded = Locked<Bool?>(nil)
        init(ended: @escaping @Sendable () -> Bool) { self.ended = ended }
        func generationPostCall(_ payload: inout GenerationPostCallPayload) throws {
            sawEnded.withLock { $0 = ended() }
            Thread.sleep(forTimeInterval: 0.2)
        }
    }

    func testASlowUserPluginOnAClosingHookRunsAfterTheSpanIsClosed() async throws {
        let harness = TracingHarness()
        // Open while the user plugin runs: only the session and the action; chat is already closed.
        let inFlight = harness.setup.inFlightSpans
        let slow = SlowObserver { inFlight.count == 2 }
        harness.registry.register(slow)
        let session = try Session.start(backend: ScriptedBackend(), registry: harness.registry)
        _ = try await session.chat("hi")
        XCTAssertEqual(slow.sawEnded.withLock { $0 }, true, "the chat span must already be closed when a user plugin runs")
        session.close()
    }
}

final class SessionLifetimeTests: XCTestCase {
    func testASessionDroppedWithoutCloseEndsItsSpanAsAbandoned() async throws {
        let harness = TracingHarness()
        do {
            let session = try Session.start(backend: ScriptedBackend(), registry: harness.registry)
            _ = try await session.chat("hi")
        }
        let span = try harness.span(named: "invoke_agent session")
        XCTAssertEqual(span["error.type"], "abandoned")
        XCTAssertEqual(harness.inFlight, 0)
    }

    func testWorkAfterCloseIsRefusedInsteadOfHangingUnderAnEndedSpan() async throws {
        let harness = TracingHarness()
        let session = try Session.start(backend: ScriptedBackend(), registry: harness.registry)
        session.close()
        do {
            _ = try await session.chat("too late")
            XCTFail("a closed session must refuse work")
        } catch is SessionClosedError {}
        XCTAssertTrue(harness.spans().filter { $0.name.hasPrefix("invoke_workflow ") }.isEmpty)
    }

    func testAPluginOnlyOnTheClosingHookIsStillCalled() async throws {
        let registry = HookRegistry()
        let metrics = ProbePlugin("token-metrics", hooks: [.generationPostCall])
        registry.register(metrics)
        _ = try await GenerativeCore(registry: registry).generate(ScriptedBackend(), GenerationRequest(messages: []))
        XCTAssertEqual(ProbePlugin.order.withLock { $0 }.filter { $0 == "token-metrics.post" }.count, 1)
    }
}
