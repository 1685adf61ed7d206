import Foundation
import XCTest
@testable import OTLPExport

/// Many producer threads, millions of spans, exact accounting. CI also runs these under TSan.
final class ProcessorStressTests: XCTestCase {
    private var spansPerThread: Int {
        Int(ProcessInfo.processInfo.environment["MELLEA_STRESS_SPANS_PER_THREAD"] ?? "") ?? 250_000
    }

    private func produce(into processor: BatchSpanProcessor, threads: Int) {
        let perThread = spansPerThread
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            for i in 0..<perThread { processor.onEnd(tinySpan(thread * perThread + i)) }
        }
    }

    func testStressSmallQueueAccountsForEverySpan() {
        let exporter = RecordingExporter()
        let processor = BatchSpanProcessor(exporter: exporter,
                                           configuration: processorConfiguration(delay: .milliseconds(10), queue: 4096, batch: 512),
                                           diagnostics: RecordingDiagnostics().diagnostics)
        produce(into: processor, threads: 8)
        XCTAssertTrue(processor.shutdown(timeout: .seconds(30)))
        let stats = processor.statistics
        XCTAssertEqual(stats.produced, 8 * spansPerThread)
        XCTAssertEqual(stats.exported + stats.droppedQueueFull, stats.produced, "\(stats)")
        XCTAssertEqual(stats.exported, exporter.exportedCount)
        XCTAssertEqual(stats.queued + stats.inFlight + stats.droppedExportFailed + stats.droppedAtShutdown, 0)
    }

    func testStressLargeQueueDropsNothing() {
        let exporter = RecordingExporter()
        let total = 4 * spansPerThread
        let processor = BatchSpanProcessor(exporter: exporter,
                                           configuration: processorConfiguration(delay: .milliseconds(10), queue: total, batch: 512),
                                           diagnostics: RecordingDiagnostics().diagnostics)
        produce(into: processor, threads: 4)
        XCTAssertTrue(processor.shutdown(timeout: .seconds(60)))
        XCTAssertEqual(processor.statistics.exported, total, "\(processor.statistics)")
        XCTAssertEqual(Set(exporter.state.withLock { $0.batches.flatMap { $0.map(\.spanID) } }).count, total)
    }
}
