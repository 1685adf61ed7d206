import Foundation
import MelleaOpenAI
import MelleaTracing
import XCTest

/// HTTP and API failures become typed errors, and error spans whose `error.type` names them.
final class ErrorTests: XCTestCase {
    func testErrorStatusesBecomeTypedErrorsWithTheServersMessageAndCode() async throws {
        let traced = try TracedServer()
        let expected: [(mode: String, kind: OpenAIError.Kind, status: Int, code: String, retryAfter: Duration?)] = [
            ("error-429", .rateLimited, 429, "rate_limit_exceeded", .seconds(7)),
            ("error-401", .authentication, 401, "invalid_api_key", nil),
            ("error-400", .badRequest, 400, "unsupported_value", nil),
            ("error-500", .serverError, 500, "server_error", nil),
        ]
        for case let (mode, kind, status, code, retryAfter) in expected {
            do {
                _ = try await traced.backend(mode).generate(GenerationRequest(messages: [.user("x")]))
                XCTFail("\(mode) must fail")
            } catch let error as OpenAIError {
                XCTAssertEqual(error.kind, kind, mode)
                XCTAssertEqual(error.errorType, kind.rawValue)
                XCTAssertEqual(error.statusCode, status, mode)
                XCTAssertEqual(error.code, code, mode)
                XCTAssertEqual(error.retryAfter, retryAfter, mode)
                XCTAssertFalse(error.message.isEmpty, mode)
            }
        }
    }

    func testEachFailureEndsItsChatSpanAsAnErrorNamedForTheFailure() async throws {
        let traced = try TracedServer()
        let modes = ["error-429": "rateLimited", "error-401": "authentication", "error-400": "badRequest",
                     "error-500": "serverError", "malformed": "malformedResponse"]
        for mode in modes.keys.sorted() {
            let session = try Session.start(backend: try traced.backend(mode), registry: traced.registry)
            do { _ = try await session.chat("x"); XCTFail("\(mode) must fail") } catch {}
            session.close()
        }
        XCTAssertTrue(traced.receiver.wait { traced.spans().filter { $0.name == "chat test-model" }.count == modes.count })
        let chats = traced.spans().filter { $0.name == "chat test-model" }
        XCTAssertEqual(Set(chats.compactMap { $0["error.type"] as? String }), Set(modes.values))
        XCTAssertTrue(chats.allSatisfy { $0.statusCode == "STATUS_CODE_ERROR" })
        // async-http-client marks its own span for a status of 400 or more, under the chat span.
        let failedHTTP = traced.spans().filter { $0.name == "POST" && ($0["http.status_code"] as? Int ?? 0) >= 400 }
        XCTAssertEqual(failedHTTP.count, 4)
        XCTAssertTrue(failedHTTP.allSatisfy { span in chats.contains { $0.spanID == span.parentSpanID } })
    }

    func testMalformedJSONIsAMalformedResponseThatDoesNotEchoTheBody() async throws {
        let traced = try TracedServer()
        do {
            _ = try await traced.backend("malformed").generate(GenerationRequest(messages: [.user("x")]))
            XCTFail("a body that is not JSON must fail")
        } catch let error as OpenAIError {
            XCTAssertEqual(error.kind, .malformedResponse)
            XCTAssertEqual(error.statusCode, nil)
            XCTAssertFalse(error.message.contains("chatcmpl-broken"), "the body may carry content: \(error.message)")
        }
    }

    func testASlowServerTimesOutWithinTheBoundAndTheRequestIsAbandoned() async throws {
        let traced = try TracedServer()
        let session = try Session.start(backend: try traced.backend("slow", timeout: .seconds(1)), registry: traced.registry)
        let start = ContinuousClock.now
        do {
            _ = try await session.chat("x")
            XCTFail("the slow server must time out")
        } catch let error as OpenAIError {
            XCTAssertEqual(error.kind, .timeout)
        }
        let elapsed = ContinuousClock.now - start
        XCTAssertLessThan(elapsed, .seconds(3), "a timeout of 1 s took \(elapsed)")
        XCTAssertGreaterThanOrEqual(elapsed, .milliseconds(900))
        session.close()
        XCTAssertTrue(traced.server.wait(timeout: 5) { traced.requests().first?.outcome == "client_disconnected" })
        let chat = try traced.span(named: "chat test-model")
        XCTAssertEqual(chat["error.type"] as? String, "timeout")
    }

    func testCancellingTheCallersTaskCancelsTheRequestAndEndsTheSpan() async throws {
        let traced = try TracedServer()
        let session = try Session.start(backend: try traced.backend("slow", timeout: .seconds(60)), registry: traced.registry)
        let call = Task { try await session.chat("x") }
        XCTAssertTrue(traced.server.wait(timeout: 10) { !traced.requests().isEmpty }, "the request must reach the server")
        let start = ContinuousClock.now
        call.cancel()
        do {
            _ = try await call.value
            XCTFail("a cancelled call must not succeed")
        } catch {
            XCTAssertTrue(error is CancellationError, "cancellation surfaces as CancellationError, not \(error)")
        }
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(2))
        session.close()
        XCTAssertTrue(traced.server.wait(timeout: 5) { traced.requests().first?.outcome == "client_disconnected" })
        XCTAssertEqual(try traced.span(named: "chat test-model")["error.type"] as? String, "cancelled")
    }

    func testAnUnreachableServerIsAConnectionFailure() async throws {
        let backend = try OpenAIBackend(configuration: OpenAIConfiguration(
            baseURL: "http://127.0.0.1:\(unusedPort())/v1", model: "m", timeout: .seconds(1)))
        do {
            _ = try await backend.generate(GenerationRequest(messages: [.user("x")]))
            XCTFail("nothing listens there")
        } catch let error as OpenAIError {
            XCTAssertEqual(error.kind, .connectionFailed, "\(error)")
        }
    }
}
