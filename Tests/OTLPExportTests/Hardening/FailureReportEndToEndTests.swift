import Foundation
import XCTest
@testable import OTLPExport

/// When exports fail, the processor's reports name the real cause: the last gRPC status and the
/// server's message, the attempts made, and which deadline ran out — or that none did.
final class FailureReportEndToEndTests: XCTestCase {
    private func endSpans(_ pipeline: ReceiverPipeline, _ count: Int) {
        for index in 0..<count { pipeline.processor.onEnd(sampleSpan(index: index)) }
    }

    private func assertReported(_ pipeline: ReceiverPipeline, _ parts: [String], absent: [String] = [],
                                file: StaticString = #filePath, line: UInt = #line) {
        let messages = pipeline.messages
        for part in parts {
            XCTAssertTrue(messages.contains { $0.contains(part) }, "'\(part)' not in \(messages)", file: file, line: line)
        }
        for part in absent {
            XCTAssertFalse(messages.contains { $0.contains(part) }, "'\(part)' in \(messages)", file: file, line: line)
        }
    }

    func testAnExportPastTheExportTimeoutIsReportedWithItsAttemptsAndLastStatus() throws {
        let receiver = try Receiver(["--fail-code", "UNAVAILABLE"])
        let pipeline = try ReceiverPipeline(receiver.endpoint, exporter: { $0.timeout = .seconds(60) },
                                            batch: { $0.exportTimeout = .milliseconds(1500) })
        endSpans(pipeline, 3)
        XCTAssertTrue(receiver.wait(timeout: 10) { _ in pipeline.processor.statistics.droppedExportFailed == 3 })
        let stats = pipeline.processor.statistics
        let attempts = receiver.requests().count
        XCTAssertGreaterThanOrEqual(attempts, 2)
        XCTAssertGreaterThan(stats.retries, 0, "the attempts made vanished: \(stats)")
        XCTAssertEqual(stats.lastFailure?.failure, .status(code: .unavailable, message: "scripted failure"), "\(stats)")
        XCTAssertGreaterThanOrEqual(stats.lastFailure?.attempts ?? 0, 2, "\(stats)")
        assertReported(pipeline, ["did not finish within OTEL_BSP_EXPORT_TIMEOUT", "the last failed with UNAVAILABLE: scripted failure",
                                  "attempts"])
        pipeline.processor.shutdown(timeout: .seconds(2))
        assertReported(pipeline, ["last failure: UNAVAILABLE: scripted failure after", "last_failure="],
                       absent: ["shutdown timeout"])
    }

    func testAnExportCutByTheShutdownDeadlineBlamesTheShutdownTimeoutNotTheExportTimeout() throws {
        let receiver = try Receiver(["--fail-code", "UNAVAILABLE"])
        let pipeline = try ReceiverPipeline(receiver.endpoint, exporter: { $0.timeout = .seconds(60) })
        endSpans(pipeline, 3)
        XCTAssertTrue(receiver.wait(timeout: 10) { $0.requests().count >= 2 })
        let start = ContinuousClock.now
        XCTAssertFalse(pipeline.processor.shutdown(timeout: .seconds(1)))
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(2))
        let stats = pipeline.processor.statistics
        XCTAssertEqual(stats.droppedExportFailed, 3, "\(stats)")
        XCTAssertGreaterThan(stats.retries, 0, "\(stats)")
        assertReported(pipeline, ["was still running when the shutdown timeout (shutdown(timeout: 1.0 seconds)) ran out",
                                  "the last failed with UNAVAILABLE: scripted failure",
                                  "the shutdown timeout (1.0 seconds) ran out", "last failure: UNAVAILABLE: scripted failure"],
                       absent: ["OTEL_BSP_EXPORT_TIMEOUT"])
    }

    func testAQuickShutdownWithAFinalStatusDoesNotBlameATimeout() throws {
        let receiver = try Receiver(["--fail-code", "INVALID_ARGUMENT"])
        let pipeline = try ReceiverPipeline(receiver.endpoint)
        endSpans(pipeline, 2)
        XCTAssertFalse(pipeline.processor.shutdown(timeout: .seconds(10)))
        let stats = pipeline.processor.statistics
        XCTAssertEqual(stats.droppedExportFailed, 2, "\(stats)")
        XCTAssertEqual(stats.lastFailure?.attempts, 1, "\(stats)")
        assertReported(pipeline, ["spans lost: 2 in failed exports", "last failure: INVALID_ARGUMENT: scripted failure after 1 attempt",
                                  "failed with INVALID_ARGUMENT: scripted failure after 1 attempt (not retryable"],
                       absent: ["timeout ran out", "ran out"])
    }

    func testAQuickShutdownAfterAPartialSuccessSaysSpansWereRejected() throws {
        let receiver = try Receiver(["--partial-success", "1", "--partial-message", "too long"])
        let pipeline = try ReceiverPipeline(receiver.endpoint)
        endSpans(pipeline, 3)
        XCTAssertFalse(pipeline.processor.shutdown(timeout: .seconds(10)))
        XCTAssertEqual(pipeline.processor.statistics.rejected, 1)
        assertReported(pipeline, ["spans lost: 1 rejected by the collector (partial success)"], absent: ["ran out"])
    }
}
