import Foundation
import OTLPReceiver
import XCTest

/// `mellea-trace chat` against the local OpenAI-compatible test server (scripts/openai_server.py).
final class ChatCommandTests: XCTestCase {
    private var server: Process?
    private var port = 0
    private var recording: URL!

    override func setUpWithError() throws {
        recording = FileManager.default.temporaryDirectory.appendingPathComponent("openai-\(UUID().uuidString).jsonl")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try pythonExecutable())
        process.arguments = [repositoryRoot.appendingPathComponent("scripts/openai_server.py").path, "--port", "0", "--out", recording.path]
        let stdout = Pipe()
        process.standardOutput = stdout
        try process.run()
        server = process
        port = try XCTUnwrap(ReceiverHandshake.port(from: stdout.fileHandleForReading, timeout: 20), "the test server did not start")
    }

    override func tearDown() {
        if let server, server.isRunning {
            server.terminate()
            server.waitUntilExit()
        }
    }

    private func chat(_ arguments: [String], environment: [String: String] = [:]) throws -> Finished {
        var clean = ["OTEL_EXPORTER_OTLP_ENDPOINT": "", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "", "OPENAI_API_KEY": "", "NO_COLOR": ""]
        clean.merge(environment) { $1 }
        return try runToEnd(try melleaTrace(), ["chat"] + arguments, environment: clean)
    }

    private func recordedRequests() throws -> [[String: Any]] {
        let text = String(decoding: try Data(contentsOf: recording), as: UTF8.self)
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            .filter { $0["kind"] as? String == "request" }
    }

    func testItPrintsTheAnswerThenTheTraceOfTheRealCall() throws {
        let result = try chat(["--base-url", "http://127.0.0.1:\(port)/ok/v1", "--model", "test-model", "--api-key-env", "TEST_KEY",
                               "hello there"], environment: ["TEST_KEY": "sk-test-123"])
        XCTAssertEqual(result.status, 0, result.output + result.error)
        XCTAssertTrue(result.output.hasPrefix("echo: hello there\n"), "the answer comes first:\n\(result.output)")
        XCTAssertFalse(result.output.contains("sk-test-123"), "the key is never printed")
        let rows = result.output.components(separatedBy: "\n").filter { ($0.contains(" ms ") || $0.contains(" µs ")) && !$0.hasPrefix("trace ") }
        XCTAssertEqual(rows.map(treeColumn), [
            "invoke_agent session", "├─ start_session", "└─ invoke_workflow Message", "   └─ chat test-model", "      └─ POST",
        ], result.output)
        XCTAssertTrue(rows[3].contains("tokens=42 in/7 out finish=stop"), rows[3])
        XCTAssertTrue(rows[4].contains("http=200"), rows[4])
        XCTAssertTrue(result.output.contains("5 spans exported over OTLP/gRPC and received by the embedded receiver"), result.output)

        let request = try XCTUnwrap(try recordedRequests().first)
        let headers = request["headers"] as? [String: Any] ?? [:]
        XCTAssertEqual(headers["authorization"] as? String, "Bearer sk-test-123", "the key comes from the named variable")
        let traceID = try XCTUnwrap(result.output.components(separatedBy: "\n").first { $0.hasPrefix("trace ") }?
            .split(separator: " ")[1])
        XCTAssertTrue((headers["traceparent"] as? String)?.contains(String(traceID)) == true,
                      "the server got the printed trace's traceparent: \(headers)")
    }

    func testAFailedCallExits1AndStillShowsItsTraceWithTheError() throws {
        let result = try chat(["--stream", "--base-url", "http://127.0.0.1:\(port)/error-401/v1", "--model", "test-model", "hi"])
        XCTAssertEqual(result.status, 1, result.output)
        XCTAssertTrue(result.error.contains("the call failed"), result.error)
        XCTAssertTrue(result.output.contains("└─ stream"), result.output)
        XCTAssertTrue(result.output.contains("error=authentication"), result.output)
    }

    func testArgumentsAreCheckedBeforeAnyCall() throws {
        let noURL = try chat(["--base-url", "localhost:8000", "--model", "m", "hi"])
        XCTAssertEqual(noURL.status, 64)
        XCTAssertTrue(noURL.error.contains("--base-url expects an http(s) URL"), noURL.error)
        let missingKey = try chat(["--base-url", "http://127.0.0.1:\(port)/ok/v1", "--model", "m", "--api-key-env", "NOT_SET_ANYWHERE", "hi"])
        XCTAssertEqual(missingKey.status, 64)
        XCTAssertTrue(missingKey.error.contains("NOT_SET_ANYWHERE"), missingKey.error)
        XCTAssertEqual(try recordedRequests().count, 0, "no call was made")
        let help = try chat(["--help"])
        XCTAssertEqual(help.status, 0)
        XCTAssertTrue(help.output.contains("--api-key-env"), help.output)
    }
}
