import Foundation
import Instrumentation
import MelleaTracing
import OTLPExport
import Tracing
import XCTest

final class TraceTreeTests: XCTestCase {
    private func assertTree(_ harness: TracingHarness, file: StaticString = #filePath, line: UInt = #line) throws {
        let spans = harness.spans()
        let startup = try XCTUnwrap(spans.first { $0.name == "start_session" }, file: file, line: line)
        let session = try XCTUnwrap(spans.first { $0.name == "invoke_agent session" }, file: file, line: line)
        let action = try XCTUnwrap(spans.first { $0.name.hasPrefix("invoke_workflow ") }, file: file, line: line)
        let chat = try XCTUnwrap(spans.first { $0.name.hasPrefix("chat ") }, file: file, line: line)
        XCTAssertEqual(action.parentSpanID, session.spanID, "action must be a child of session", file: file, line: line)
        XCTAssertEqual(chat.parentSpanID, action.spanID, "chat must be a child of action", file: file, line: line)
        XCTAssertEqual(Set([session.traceID, action.traceID, chat.traceID]).count, 1, file: file, line: line)
        XCTAssertEqual(startup.parentSpanID, session.spanID, "start_session belongs to its session's trace", file: file, line: line)
        XCTAssertEqual(session.parentSpanID, .invalid, "the session is the root of its trace", file: file, line: line)
        XCTAssertEqual(harness.inFlight, 0, "no span may stay open", file: file, line: line)
    }

    func testSessionActionChatTreeInAsyncUse() async throws {
        let harness = TracingHarness()
        let session = try Session.start(backend: ScriptedBackend(), registry: harness.registry)
        _ = try await session.instruct("hello")
        session.close()
        try assertTree(harness)
    }

    func testSessionActionChatTreeInBlockingUse() throws {
        let harness = TracingHarness()
        let session = try Session.start(backend: ScriptedBackend(), registry: harness.registry)
        _ = try session.instructBlocking("hello")
        session.close()
        try assertTree(harness)
    }

    func testBlockingCallCarriesTheCallersSpanIntoTheAsyncWork() throws {
        let harness = TracingHarness()
        let session = try Session.start(backend: ScriptedBackend(), registry: harness.registry)
        let caller = MelleaTracer.current.startSpan("handle request")
        try InstrumentationContext.$current.withValue(caller.context) {
            _ = try session.instructBlocking("hello")
        }
        caller.end()
        session.close()
        let action = try harness.span(named: "invoke_workflow Instruction")
        XCTAssertEqual(action.parentSpanID, caller.context.spanContext?.spanID)
        XCTAssertEqual(action.traceID, caller.context.spanContext?.traceID)
    }

    func testAnInstrumentedLibrarysSpanNestsUnderChat() async throws {
        let harness = TracingHarness()
        let backend = ScriptedBackend(replies: [.work {
            // What an HTTP client instrumented with swift-distributed-tracing does inside the back end.
            InstrumentationSystem.tracer.withAnySpan("HTTP POST", ofKind: .client) { span in
                span.attributes["http.request.method"] = "POST"
                return "done"
            }
        }])
        let session = try Session.start(backend: backend, registry: harness.registry)
        _ = try await session.instruct("call the model")
        let chat = try harness.span(named: "chat scripted-model")
        let http = try harness.span(named: "HTTP POST")
        XCTAssertEqual(http.parentSpanID, chat.spanID)
        XCTAssertEqual(http.traceID, chat.traceID)
        XCTAssertEqual(http.kind, .client)
        XCTAssertEqual(http["http.request.method"], "POST")
    }

    func testOurSpansNestUnderAnInstrumentedServersSpan() async throws {
        let harness = TracingHarness()
        let session = try Session.start(backend: ScriptedBackend(), registry: harness.registry)
        try await InstrumentationSystem.tracer.withAnySpan("GET /ask", ofKind: .server) { _ in
            _ = try await session.instruct("hello")
        }
        let server = try harness.span(named: "GET /ask")
        let action = try harness.span(named: "invoke_workflow Instruction")
        XCTAssertEqual(action.parentSpanID, server.spanID)
    }

    func testTraceparentInjectAndExtractRoundTrip() throws {
        let harness = TracingHarness()
        defer { withExtendedLifetime(harness) {} }
        var headers: [String: String] = [:]
        let span = MelleaTracer.current.startSpan("outgoing")
        MelleaTracer.current.inject(span.context, into: &headers, using: DictionaryInjector())
        let traceparent = try XCTUnwrap(headers["traceparent"])
        XCTAssertEqual(traceparent, "00-\(span.context.spanContext!.traceID)-\(span.context.spanContext!.spanID)-01")
        var extracted = InstrumentationContext.topLevel
        MelleaTracer.current.extract(headers, into: &extracted, using: DictionaryExtractor())
        XCTAssertEqual(extracted.spanContext?.traceID, span.context.spanContext?.traceID)
        XCTAssertEqual(extracted.spanContext?.isRemote, true)
        span.end()
        XCTAssertNil(W3CTraceContext.parse(traceparent: "00-00000000000000000000000000000000-0000000000000001-01"))
        XCTAssertNil(W3CTraceContext.parse(traceparent: "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01"))
        XCTAssertNil(W3CTraceContext.parse(traceparent: "garbage"))
    }

    func testAfterAnActionEndsTheNextActionIsNotItsChild() async throws {
        let harness = TracingHarness()
        let session = try Session.start(backend: ScriptedBackend(), registry: harness.registry)
        _ = try await session.instruct("one")
        _ = try await session.instruct("two")
        let actions = harness.spans().filter { $0.name.hasPrefix("invoke_workflow ") }
        XCTAssertEqual(actions.count, 2)
        XCTAssertEqual(actions[0].parentSpanID, actions[1].parentSpanID, "both actions are children of the session")
        XCTAssertNotEqual(actions[1].parentSpanID, actions[0].spanID)
    }

    func testSamplerAlwaysOffRecordsNothingButStillPropagates() async throws {
        let harness = TracingHarness(sampler: .alwaysOff)
        let session = try Session.start(backend: ScriptedBackend(), registry: harness.registry)
        _ = try await session.instruct("hello")
        session.close()
        XCTAssertTrue(harness.spans().isEmpty)
        XCTAssertEqual(session.context.spanContext?.isSampled, false)
    }
}

struct DictionaryInjector: Injector {
    func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) { carrier[key] = value }
}

struct DictionaryExtractor: Extractor {
    func extract(key: String, from carrier: [String: String]) -> String? { carrier[key] }
}
