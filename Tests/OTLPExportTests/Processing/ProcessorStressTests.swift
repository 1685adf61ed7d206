import Atomics
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

    func testShutdownDuringProductionAccountsForEverySpan() {
        for concurrency in [1, 4] {
            let exporter = RecordingExporter()
            let processor = BatchSpanProcessor(exporter: exporter,
                                               configuration: processorConfiguration(delay: .milliseconds(5), queue: 8192, batch: 256,
                                                                                     concurrency: concurrency),
                                               diagnostics: RecordingDiagnostics().diagnostics)
            // Producers run until shutdown has returned, then end a few more spans, so some race
            // the shutdown check and some arrive after it.
            let shutDown = ManagedAtomic<Bool>(false)
            let calls = ManagedAtomic<Int>(0)
            let producing = DispatchGroup()
            DispatchQueue.global().async(group: producing) {
                DispatchQueue.concurrentPerform(iterations: 4) { thread in
                    var i = 0
                    var after = 0
                    while after < 1_000 {
                        processor.onEnd(tinySpan(thread << 32 | i))
                        i += 1
                        if shutDown.load(ordering: .relaxed) { after += 1 }
                    }
                    calls.wrappingIncrement(by: i, ordering: .relaxed)
                }
            }
            Thread.sleep(forTimeInterval: 0.05)
            // The result may be false: a span can end while the drain finishes. What matters is
            // that shutdown returns in time and every span is accounted for.
            let start = ContinuousClock.now
            processor.shutdown(timeout: .seconds(30))
            XCTAssertLessThan(ContinuousClock.now - start, .seconds(30))
            shutDown.store(true, ordering: .relaxed)
            producing.wait()
            let stats = processor.statistics
            XCTAssertEqual(stats.produced, calls.load(ordering: .relaxed))
            XCTAssertEqual(stats.exported, exporter.exportedCount)
            XCTAssertEqual(stats.queued + stats.inFlight, 0, "nothing may stay pending after shutdown: \(stats)")
            XCTAssertEqual(stats.exported + stats.dropped, stats.produced, "\(stats)")
            XCTAssertGreaterThanOrEqual(stats.droppedAtShutdown, 4_000, "\(stats)")
        }
    }
}
