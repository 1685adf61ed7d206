import Foundation
import OTLPExport
import XCTest

/// The demo executable as a real process: it must exit promptly and cleanly with or without a
/// collector, and even when the program never shuts tracing down.
final class ProcessExitTests: XCTestCase {
    private func runDemo(_ arguments: [String], environment: [String: String]) throws -> (status: Int32, seconds: Double, output: String) {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("mellea-trace")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw ReceiverError("mellea-trace was not built next to the tests at \(binary.path)")
        }
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        let start = Date()
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            XCTFail("mellea-trace did not exit within 30 s")
        }
        process.waitUntilExit()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return (process.terminationStatus, Date().timeIntervalSince(start), text)
    }

    func testWithoutACollectorTheExportFailsWithinItsTimeoutAndTheProcessExits() throws {
        let result = try runDemo([], environment: [
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:\(unusedPort())", "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT": "1000",
        ])
        XCTAssertEqual(result.status, 1, "undelivered spans must be reported by the exit status: \(result.output)")
        XCTAssertEqual(result.output.contains("dropped_export_failed=7"), true, result.output)
        XCTAssertLessThan(result.seconds, 6)
        XCTAssertFalse(result.output.contains("Fatal error"), result.output)
    }

    func testExitingWithoutShutdownDuringAnExportDoesNotHangOrCrash() throws {
        let result = try runDemo(["--exit-without-shutdown"], environment: [
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:\(unusedPort())", "OTEL_BSP_SCHEDULE_DELAY": "1",
        ])
        XCTAssertEqual(result.status, 0, result.output)
        XCTAssertLessThan(result.seconds, 5)
    }

    func testWithNoExporterTheDemoDoesNotClaimSuccess() throws {
        for environment in [["OTEL_TRACES_EXPORTER": "none"],
                            ["MELLEA_TRACES_ENABLED": "true", "OTEL_TRACES_EXPORTER": "none"],
                            ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:1", "OTEL_TRACES_SAMPLER": "always_off"]] {
            let result = try runDemo([], environment: environment)
            XCTAssertEqual(result.status, 1, "\(environment): \(result.output)")
            XCTAssertFalse(result.output.contains("every span delivered"), "\(environment): \(result.output)")
            XCTAssertTrue(result.output.contains("NOTHING was exported"), "\(environment): \(result.output)")
        }
    }

    func testWithACollectorEverySpanIsDelivered() throws {
        let receiver = try Receiver()
        let result = try runDemo([], environment: ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": receiver.endpoint])
        XCTAssertEqual(result.status, 0, result.output)
        XCTAssertEqual(receiver.acceptedSpans().count, 7)
    }
}

final class ReceiveCommandTests: XCTestCase {
    func testReceiveCountsWhatTheExporterSends() async throws {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("mellea-trace")
        let process = Process()
        process.executableURL = binary
        process.arguments = ["receive", "--port", "0"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        let port = try XCTUnwrap(ReceiverHandshake.port(from: output.fileHandleForReading, timeout: 20),
                                 "mellea-trace receive did not announce its port")
        var configuration = OTLPExporterConfiguration()
        configuration.endpoint = OTLPEndpoint(target: "127.0.0.1:\(port)", usesTLS: false)
        let exporter = try OTLPTraceExporter(configuration: configuration, resource: Resource(attributes: []),
                                             diagnostics: RecordingDiagnostics().diagnostics)
        let result = await exporter.export((0..<25).map { sampleSpan(index: $0) })
        await exporter.shutdown(timeout: .seconds(5))
        XCTAssertEqual(result, .success(25))
        process.terminate()
        process.waitUntilExit()
        let rest = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(process.terminationStatus, 0)
        XCTAssertTrue(rest.contains("spans=25 requests=1"), rest)
    }
}
