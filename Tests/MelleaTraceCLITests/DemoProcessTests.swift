import Foundation
import OTLPExport
import OTLPReceiver
import XCTest

/// `mellea-trace demo` as a user runs it: the tree it prints, its colour, where it exports, and
/// an exit status that says whether every span was delivered.
final class DemoProcessTests: XCTestCase {
    /// The tree column of the demo's trace: names indented by parentage, siblings in start order.
    private let expectedTree = [
        "invoke_agent session",
        "├─ start_session",
        "├─ invoke_workflow Instruction",
        "│  └─ sampling",
        "│     ├─ chat granite-3.3-8b",
        "│     ├─ validation",
        "│     ├─ chat granite-3.3-8b",
        "│     └─ validation",
        "├─ invoke_workflow Message",
        "│  ├─ chat granite-3.3-8b",
        "│  ├─ execute_tool get_weather",
        "│  └─ chat granite-3.3-8b",
        "└─ stream",
        "   └─ chat granite-3.3-8b",
    ]

    private func demo(_ arguments: [String] = [], environment: [String: String] = [:]) throws -> Finished {
        var clean = ["OTEL_EXPORTER_OTLP_ENDPOINT": "", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "", "NO_COLOR": ""]
        clean.merge(environment) { $1 }
        return try runToEnd(try melleaTrace(), ["demo"] + arguments, environment: clean)
    }

    /// The rows of the printed tree (the lines after the `trace …` header up to the first blank or summary line).
    private func treeRows(_ output: String) -> [String] {
        let lines = output.components(separatedBy: "\n")
        guard let header = lines.firstIndex(where: { $0.hasPrefix("trace ") }) else { return [] }
        return Array(lines[(header + 1)...].prefix { !$0.isEmpty && !$0.contains("exported over OTLP/gRPC") })
    }

    func testPipedTheDemoPrintsTheWholeTreeWithoutColour() throws {
        let result = try demo()
        XCTAssertEqual(result.status, 0, result.output + result.error)
        XCTAssertFalse(result.output.contains("\u{1B}"), "no escape codes when piped:\n\(result.output)")
        XCTAssertTrue(result.output.contains("embedded receiver at http://127.0.0.1:"), result.output)
        let rows = treeRows(result.output)
        XCTAssertEqual(rows.map(treeColumn), expectedTree, result.output)
        XCTAssertTrue(result.output.contains("14 spans exported over OTLP/gRPC and received by the embedded receiver (1 request,"),
                      result.output)

        func row(_ index: Int) -> String { rows.indices.contains(index) ? rows[index] : "" }
        for index in [4, 6, 9, 11, 13] {
            XCTAssertTrue(row(index).contains(" client "), "chat spans are client spans: \(row(index))")
            XCTAssertTrue(row(index).contains("model=granite-3.3-8b"), row(index))
        }
        XCTAssertTrue(row(4).contains("tokens=31 in/8 out finish=stop"), row(4))
        XCTAssertTrue(row(5).contains("validation=failed"), row(5))
        XCTAssertTrue(row(7).contains("validation=passed"), row(7))
        XCTAssertTrue(row(3).contains("iterations=2"), row(3))
        XCTAssertTrue(row(9).contains("finish=tool_calls"), row(9))
        XCTAssertTrue(row(10).contains("tool=get_weather"), row(10))
        for line in rows {
            XCTAssertTrue(line.contains(" µs ") || line.contains(" ms ") || line.contains(" s "), "each row has a duration: \(line)")
            XCTAssertTrue(line.contains("█"), "each row has a timeline bar: \(line)")
        }
        XCTAssertTrue(row(0).contains("████████████████████████"), "the root spans the whole timeline: \(row(0))")
    }

    func testOnATerminalTheTreeIsColouredUnlessNoColorIsSet() throws {
        let binary = try melleaTrace().path
        let script = URL(fileURLWithPath: "/usr/bin/script")
        guard FileManager.default.isExecutableFile(atPath: script.path) else { throw XCTSkip("no /usr/bin/script to give the demo a terminal") }
        let coloured = try runToEnd(script, ["-q", "-e", "-c", "\(binary) demo", "/dev/null"],
                               environment: ["NO_COLOR": "", "OTEL_EXPORTER_OTLP_ENDPOINT": "", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": ""])
        XCTAssertEqual(coloured.status, 0, coloured.output)
        XCTAssertTrue(coloured.output.contains("\u{1B}[36m█"), "the bar is coloured on a terminal:\n\(coloured.output)")
        let plain = try runToEnd(script, ["-q", "-e", "-c", "\(binary) demo", "/dev/null"],
                            environment: ["NO_COLOR": "1", "OTEL_EXPORTER_OTLP_ENDPOINT": "", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": ""])
        XCTAssertEqual(plain.status, 0, plain.output)
        XCTAssertFalse(plain.output.contains("\u{1B}["), "NO_COLOR turns colour off:\n\(plain.output)")
        XCTAssertTrue(plain.output.contains("└─ stream"), plain.output)
    }

    func testWithAnEndpointItExportsThereAndSaysWhere() throws {
        let receiver = try ReceiveProcess()
        let result = try demo(environment: ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": receiver.endpoint])
        XCTAssertEqual(result.status, 0, result.output + result.error)
        XCTAssertTrue(result.output.contains("exporting over OTLP/gRPC to \(receiver.endpoint)"), result.output)
        XCTAssertTrue(result.output.contains("exported 14 spans to \(receiver.endpoint)"), result.output)
        XCTAssertFalse(result.output.contains("└─ stream"), "the tree is the receiver's to print, not the demo's")
        XCTAssertTrue(receiver.waitForOutput { $0.contains("└─ stream") }, "the receiver prints the demo's trace:\n\(receiver.printed)")
        let stopped = receiver.stop()
        XCTAssertEqual(try receiver.jsonl().count, 14)
        XCTAssertTrue(stopped.output.contains("received 14 spans in 1 trace from 1 request"), stopped.output)
    }

    func testWhenNothingIsDeliveredItFailsWithinItsTimeoutAndSaysSo() throws {
        let result = try demo(environment: [
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:\(try unusedPort())", "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT": "1000",
        ])
        XCTAssertEqual(result.status, 1, "undelivered spans must be reported by the exit status: \(result.output)")
        XCTAssertTrue(result.error.contains("only 0 of 14 spans reached"), result.error)
        XCTAssertTrue(result.error.contains("dropped_export_failed=14"), result.error)
        XCTAssertFalse(result.output.contains("exported 14"), result.output)
        XCTAssertLessThan(result.seconds, 6)
    }

    func testWithTracingTurnedOffItFailsRatherThanClaimSuccess() throws {
        let result = try demo(environment: ["MELLEA_TRACES_ENABLED": "false"])
        XCTAssertEqual(result.status, 1, result.output)
        XCTAssertTrue(result.error.contains("tracing is off"), result.error)
    }

    func testExitingWithoutShutdownDuringAnExportDoesNotHangOrCrash() throws {
        let result = try demo(["--exit-without-shutdown"], environment: [
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:\(try unusedPort())", "OTEL_BSP_SCHEDULE_DELAY": "1",
        ])
        XCTAssertEqual(result.status, 0, result.output + result.error)
        XCTAssertLessThan(result.seconds, 5)
    }
}

/// A row's tree column: the indentation and the span name, before the kind.
func treeColumn(_ row: String) -> String {
    guard let kind = row.range(of: #"\s+(internal|client|server|producer|consumer|unspecified)\s"#, options: .regularExpression) else { return row }
    return String(row[..<kind.lowerBound])
}

/// A port on 127.0.0.1 with nothing listening (a receiver bound it, then stopped).
func unusedPort() throws -> Int {
    let receiver = try OTLPReceiver()
    receiver.stop()
    return receiver.port
}
