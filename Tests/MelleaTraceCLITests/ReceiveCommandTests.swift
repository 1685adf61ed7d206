import Foundation
import OTLPExport
import XCTest

/// `mellea-trace receive` as a user and a script use it: fed by this library's exporter and by the
/// OpenTelemetry Python SDK, its JSONL checked span by span; bad requests answered with errors
/// while it keeps serving; a clean stop with a summary.
final class ReceiveCommandTests: XCTestCase {
    func testTheJSONLHoldsEverySpanTheLibrarySentInOTLPJSON() async throws {
        let receiver = try ReceiveProcess()
        let exporter = try exporter(to: receiver.endpoint, service: "library-sender")
        let sent = [exampleSpan(index: 0), exampleSpan(index: 1, parent: 0), exampleSpan(index: 2, parent: 0)]
        let result = await exporter.export(sent)
        await exporter.shutdown(timeout: .seconds(5))
        XCTAssertEqual(result, .success(3))

        let lines = try receiver.jsonl()
        XCTAssertEqual(lines.count, 3)
        for (index, line) in lines.enumerated() {
            let span = try XCTUnwrap(span(ofLine: line), "line \(index) holds a span: \(line)")
            let expected = exampleSpanJSON(index: index, parent: index == 0 ? nil : 0)
            XCTAssertEqual(NSDictionary(dictionary: span), NSDictionary(dictionary: expected), "span \(index)")
            let scope = ((line["scopeSpans"] as? [[String: Any]])?.first?["scope"] as? [String: Any]) ?? [:]
            XCTAssertEqual(scope["name"] as? String, "test.scope")
            XCTAssertEqual(scope["version"] as? String, "1.2.3")
            let resource = (line["resource"] as? [String: Any])?["attributes"] as? [[String: Any]] ?? []
            XCTAssertTrue(resource.contains { $0["key"] as? String == "service.name"
                && ($0["value"] as? [String: Any])?["stringValue"] as? String == "library-sender" }, "\(resource)")
        }
        XCTAssertTrue(receiver.waitForOutput { $0.contains("trace 0102030405060708090a0b0c0d0e0f10") },
                      "the trace is printed once quiet:\n\(receiver.printed)")
        let stopped = receiver.stop(signal: SIGINT)
        XCTAssertEqual(stopped.status, 0, stopped.error)
        XCTAssertTrue(stopped.output.contains("chat model-0"), stopped.output)
        XCTAssertTrue(stopped.output.contains("├─ chat model-1"), stopped.output)
        XCTAssertTrue(stopped.output.contains("└─ chat model-2"), stopped.output)
        XCTAssertTrue(stopped.output.contains("received 3 spans in 1 trace from 1 request ("), stopped.output)
        XCTAssertTrue(stopped.output.contains("0 requests answered with an error"), stopped.output)
    }

    func testTheJSONLMatchesWhatThePythonSDKSent() throws {
        let receiver = try ReceiveProcess()
        let sent = try pythonSend(["sdk", receiver.endpoint]).split(separator: "\n").map { line in
            try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
        XCTAssertEqual(sent.count, 3, "the Python sender's trace has three spans")
        let received = try receiver.jsonl().map { try XCTUnwrap(span(ofLine: $0)) }
        XCTAssertEqual(received.count, sent.count)
        for expected in sent {
            let id = try XCTUnwrap(expected["spanId"] as? String)
            let got = try XCTUnwrap(received.first { $0["spanId"] as? String == id }, "span \(id) was received")
            var comparable = got
            if (got["status"] as? [String: Any])?.isEmpty == true && expected["status"] == nil { comparable["status"] = nil }
            XCTAssertEqual(NSDictionary(dictionary: comparable), NSDictionary(dictionary: expected), "span \(expected["name"] ?? id)")
        }
        let stopped = receiver.stop(signal: SIGTERM)
        XCTAssertEqual(stopped.status, 0, stopped.error)
        XCTAssertTrue(stopped.output.contains("python-sender · 3 spans"), stopped.output)
        XCTAssertTrue(stopped.output.contains("└─ execute_tool lookup"), stopped.output)
        XCTAssertTrue(stopped.output.contains("received 3 spans in 1 trace"), stopped.output)
    }

    func testGarbageOversizedAndAbandonedRequestsGetErrorsWhileTheReceiverKeepsServing() async throws {
        let receiver = try ReceiveProcess(["--max-request-bytes", "4096"])
        let target = "127.0.0.1:\(receiver.port)"
        XCTAssertEqual(try pythonSend(["raw", target, "deadbeef"]),
                       "INVALID_ARGUMENT request is not a valid ExportTraceServiceRequest (4 bytes)\n")
        XCTAssertEqual(try pythonSend(["raw", target, "zeros:5000"]),
                       "RESOURCE_EXHAUSTED request of 5000 bytes is over this receiver's limit of 4096 bytes\n")
        try abandonARequestMidway(port: receiver.port)

        let exporter = try exporter(to: receiver.endpoint)
        let result = await exporter.export([exampleSpan(index: 0)])
        await exporter.shutdown(timeout: .seconds(5))
        XCTAssertEqual(result, .success(1), "the receiver still serves after the bad requests")
        XCTAssertEqual(try receiver.jsonl().count, 1)

        let stopped = receiver.stop(signal: SIGTERM)
        XCTAssertEqual(stopped.status, 0, stopped.error)
        XCTAssertTrue(stopped.output.contains("received 1 span in 1 trace from 1 request"), stopped.output)
        XCTAssertTrue(stopped.output.contains("3 requests answered with an error"), stopped.output)
    }

    func testWrongArgumentsExit64SayingWhatWasExpected() throws {
        let binary = try melleaTrace()
        let nonsense = try runToEnd(binary, ["receive", "--listen", "nonsense"])
        XCTAssertEqual(nonsense.status, 64)
        XCTAssertTrue(nonsense.error.contains("expected HOST:PORT"), nonsense.error)
        let remote = try runToEnd(binary, ["receive", "--listen", "0.0.0.0:4317"])
        XCTAssertEqual(remote.status, 64)
        XCTAssertTrue(remote.error.contains("--allow-remote"), remote.error)
        let unknown = try runToEnd(binary, ["frobnicate"])
        XCTAssertEqual(unknown.status, 64, unknown.error)
    }

    func testEverySubcommandHasHelp() throws {
        let binary = try melleaTrace()
        for subcommand in [[], ["demo"], ["receive"]] {
            let help = try runToEnd(binary, subcommand + ["--help"])
            XCTAssertEqual(help.status, 0, "\(subcommand)")
            XCTAssertTrue(help.output.contains("USAGE: mellea-trace"), "\(subcommand): \(help.output)")
        }
    }

    func testATakenPortExits1NamingIt() throws {
        let first = try ReceiveProcess()
        let second = try runToEnd(try melleaTrace(), ["receive", "--listen", "127.0.0.1:\(first.port)"])
        XCTAssertEqual(second.status, 1)
        XCTAssertTrue(second.error.contains("127.0.0.1:\(first.port)"), second.error)
        _ = first.stop()
    }
}
