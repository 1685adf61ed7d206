import XCTest
@testable import OTLPExport

/// `OTEL_BSP_MAX_QUEUE_SIZE` (and an explicit `maxQueueSize`) can never reserve more than
/// ``BatchSpanProcessorConfiguration/maxQueueSizeLimit`` slots: a larger value is lowered, with a
/// warning naming the variable, the value and the range expected.
final class QueueSizeBoundTests: XCTestCase {
    private struct Case {
        let value: String
        let queueSize: Int
        /// Substrings of the one warning expected, or empty for none.
        let warning: [String]
    }

    func testQueueSizeFromTheEnvironmentIsBounded() {
        let limit = BatchSpanProcessorConfiguration.maxQueueSizeLimit
        let cases = [
            Case(value: "2048", queueSize: 2048, warning: []),
            Case(value: "\(limit)", queueSize: limit, warning: []),
            Case(value: "\(limit + 1)", queueSize: limit,
                 warning: ["OTEL_BSP_MAX_QUEUE_SIZE=\(limit + 1)", "expected 1...\(limit)", "using \(limit)"]),
            Case(value: "100000000", queueSize: limit,
                 warning: ["OTEL_BSP_MAX_QUEUE_SIZE=100000000", "expected 1...\(limit)", "using \(limit)"]),
            Case(value: "2147483647", queueSize: limit,
                 warning: ["OTEL_BSP_MAX_QUEUE_SIZE=2147483647", "expected 1...\(limit)"]),
            Case(value: "0", queueSize: 2048, warning: ["OTEL_BSP_MAX_QUEUE_SIZE='0'", "expected an integer in 1..."]),
        ]
        for c in cases {
            let recorder = RecordingDiagnostics()
            let config = BatchSpanProcessorConfiguration.fromEnvironment(
                EnvironmentReader(["OTEL_BSP_MAX_QUEUE_SIZE": c.value, "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "1"],
                                  diagnostics: recorder.diagnostics))
            XCTAssertEqual(config.maxQueueSize, c.queueSize, "value \(c.value)")
            let texts = recorder.messages.map(\.text)
            if c.warning.isEmpty {
                XCTAssertEqual(texts, [], "value \(c.value)")
            } else {
                XCTAssertEqual(texts.count, 1, "value \(c.value): \(texts)")
                for part in c.warning { XCTAssertTrue(texts.first?.contains(part) == true, "value \(c.value): '\(part)' not in \(texts)") }
            }
        }
    }

    func testAnExplicitHugeQueueSizeIsBoundedWithAWarning() {
        let recorder = RecordingDiagnostics()
        var configuration = BatchSpanProcessorConfiguration()
        configuration.maxQueueSize = Int(Int32.max)
        configuration.maxExportBatchSize = 0
        let processor = BatchSpanProcessor(exporter: InMemorySpanExporter(), configuration: configuration,
                                           diagnostics: recorder.diagnostics)
        defer { processor.shutdown(timeout: .seconds(2)) }
        XCTAssertEqual(processor.configuration.maxQueueSize, BatchSpanProcessorConfiguration.maxQueueSizeLimit)
        XCTAssertEqual(processor.queue.capacity, BatchSpanProcessorConfiguration.maxQueueSizeLimit)
        XCTAssertEqual(processor.configuration.maxExportBatchSize, 1, "an empty batch could never export")
        XCTAssertEqual(recorder.messages.map(\.text).filter { $0.contains("maxQueueSize=\(Int32.max)") }.count, 1,
                       "\(recorder.messages)")
    }
}
