import Foundation
import XCTest
@testable import OTLPExport

/// The retry rules of the OTLP specification, against a receiver scripted to fail.
final class ExporterFaultTests: XCTestCase {
    private func exporter(_ endpoint: String, timeout: Duration = .seconds(10),
                          diagnostics: Diagnostics = RecordingDiagnostics().diagnostics) throws -> OTLPTraceExporter {
        var configuration = OTLPExporterConfiguration()
        configuration.endpoint = try OTLPEndpoint.parse(endpoint, insecure: false)
        configuration.timeout = timeout
        return try OTLPTraceExporter(configuration: configuration,
                                     resource: Resource(attributes: [Attribute("service.name", "faults")]),
                                     diagnostics: diagnostics)
    }

    private func outcomes(_ receiver: Receiver) -> [String] {
        receiver.requests().compactMap { $0["outcome"] as? String }
    }

    func testUnavailableIsRetriedUntilDelivered() async throws {
        let receiver = try Receiver(["--fail-unavailable", "3"])
        let exporter = try exporter(receiver.endpoint)
        let result = await exporter.export([sampleSpan()])
        await exporter.shutdown(timeout: .seconds(5))
        XCTAssertEqual(result.exported, 1)
        XCTAssertEqual(result.retries, 3)
        XCTAssertEqual(outcomes(receiver).sorted(), ["UNAVAILABLE", "UNAVAILABLE", "UNAVAILABLE", "ok"])
    }

    func testResourceExhaustedWithRetryInfoInStatusDetailsWaitsAtLeastTheDelay() async throws {
        try await assertRetryInfoHonoured(form: "status")
    }

    func testResourceExhaustedWithRetryInfoTrailerWaitsAtLeastTheDelay() async throws {
        try await assertRetryInfoHonoured(form: "trailer")
    }

    private func assertRetryInfoHonoured(form: String) async throws {
        let receiver = try Receiver(["--resource-exhausted-retry-ms", "1000", "--retry-info-form", form])
        let exporter = try exporter(receiver.endpoint)
        let start = ContinuousClock.now
        let result = await exporter.export([sampleSpan()])
        let elapsed = ContinuousClock.now - start
        await exporter.shutdown(timeout: .seconds(5))
        XCTAssertEqual(result.exported, 1)
        XCTAssertEqual(result.retries, 1)
        XCTAssertGreaterThanOrEqual(elapsed, .seconds(1), "the retry came before the server's RetryInfo delay")
        XCTAssertEqual(outcomes(receiver).sorted(), ["RESOURCE_EXHAUSTED", "ok"])
    }

    func testResourceExhaustedWithoutRetryInfoIsNotRetried() async throws {
        try await assertNotRetried(code: "RESOURCE_EXHAUSTED", expected: .resourceExhausted)
    }

    func testInvalidArgumentIsNotRetried() async throws {
        try await assertNotRetried(code: "INVALID_ARGUMENT", expected: .invalidArgument)
    }

    private func assertNotRetried(code: String, expected: GRPCStatusCode) async throws {
        let recorder = RecordingDiagnostics()
        let receiver = try Receiver(["--fail-code", code])
        let exporter = try exporter(receiver.endpoint, diagnostics: recorder.diagnostics)
        let result = await exporter.export([sampleSpan(index: 1), sampleSpan(index: 2)])
        await exporter.shutdown(timeout: .seconds(5))
        XCTAssertEqual(result.failed, 2)
        XCTAssertEqual(result.exported, 0)
        XCTAssertEqual(result.retries, 0)
        XCTAssertEqual(result.failure, .status(code: expected, message: "scripted failure"))
        XCTAssertEqual(outcomes(receiver), [code])
        XCTAssertEqual(recorder.messages.filter { $0.text.contains(code) }.count, 1)
    }

    func testPartialSuccessIsCountedReportedOnceAndNotRetried() async throws {
        let recorder = RecordingDiagnostics()
        let receiver = try Receiver(["--partial-success", "2", "--partial-message", "attribute too long"])
        let exporter = try exporter(receiver.endpoint, diagnostics: recorder.diagnostics)
        let first = await exporter.export((0..<5).map { sampleSpan(index: $0) })
        let second = await exporter.export((0..<5).map { sampleSpan(index: $0) })
        await exporter.shutdown(timeout: .seconds(5))
        XCTAssertEqual(first, ExportResult(exported: 3, rejected: 2))
        XCTAssertEqual(second, ExportResult(exported: 3, rejected: 2))
        XCTAssertEqual(outcomes(receiver), ["ok", "ok"])
        let reports = recorder.messages.filter { $0.text.contains("attribute too long") }
        XCTAssertEqual(reports.count, 1, "\(recorder.messages)")
    }

    func testNoReceiverFailsWithinTheTimeout() async throws {
        let exporter = try exporter("http://127.0.0.1:\(unusedPort())", timeout: .seconds(1))
        let start = ContinuousClock.now
        let result = await exporter.export([sampleSpan()])
        let elapsed = ContinuousClock.now - start
        await exporter.shutdown(timeout: .seconds(5))
        XCTAssertEqual(result.failed, 1)
        XCTAssertGreaterThan(result.retries, 0)
        if case .status(let code, _)? = result.failure {
            XCTAssertEqual(code, .unavailable)
        } else {
            XCTFail("expected UNAVAILABLE, got \(String(describing: result.failure))")
        }
        XCTAssertLessThan(elapsed, .milliseconds(1500))
    }

    func testSlowReceiverHitsTheDeadline() async throws {
        let receiver = try Receiver(["--delay-ms", "3000"])
        let exporter = try exporter(receiver.endpoint, timeout: .seconds(1))
        let start = ContinuousClock.now
        let result = await exporter.export([sampleSpan()])
        let elapsed = ContinuousClock.now - start
        await exporter.shutdown(timeout: .seconds(5))
        XCTAssertEqual(result.failed, 1)
        XCTAssertLessThan(elapsed, .milliseconds(1500))
    }

    func testShutdownEndsABackoffWaitAtOnce() async throws {
        let receiver = try Receiver(["--fail-code", "UNAVAILABLE"])
        let exporter = try exporter(receiver.endpoint, timeout: .seconds(60))
        let export = Task { await exporter.export([sampleSpan()]) }
        XCTAssertTrue(receiver.wait(timeout: 10) { $0.requests().count >= 2 })
        let start = ContinuousClock.now
        await exporter.shutdown(timeout: .seconds(5))
        let result = await export.value
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(1))
        XCTAssertEqual(result.failed, 1)
        XCTAssertEqual(result.failure, .shutDown)
        let afterwards = await exporter.export([sampleSpan()])
        XCTAssertEqual(afterwards, ExportResult(failed: 1, failure: .shutDown))
    }
}
