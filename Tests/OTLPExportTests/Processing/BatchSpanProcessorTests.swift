import Atomics
import Foundation
import Synchronization
import XCTest
@testable import OTLPExport

final class BatchSpanProcessorTests: XCTestCase {
    func testExportsAfterTheScheduleDelay() {
        let exporter = RecordingExporter()
        let processor = BatchSpanProcessor(exporter: exporter, configuration: processorConfiguration(delay: .milliseconds(400)),
                                           diagnostics: RecordingDiagnostics().diagnostics)
        for i in 0..<3 { processor.onEnd(tinySpan(i)) }
        Thread.sleep(forTimeInterval: 0.1)
        XCTAssertEqual(exporter.exportedCount, 0, "exported before the schedule delay")
        XCTAssertTrue(eventually(3) { exporter.exportedCount == 3 })
        processor.shutdown(timeout: .seconds(2))
    }

    func testAFullBatchIsExportedWithoutWaitingForTheDelay() {
        let exporter = RecordingExporter()
        let processor = BatchSpanProcessor(exporter: exporter, configuration: processorConfiguration(delay: .seconds(60), batch: 10),
                                           diagnostics: RecordingDiagnostics().diagnostics)
        for i in 0..<25 { processor.onEnd(tinySpan(i)) }
        XCTAssertTrue(eventually(3) { exporter.exportedCount == 20 })
        XCTAssertEqual(exporter.batchSizes, [10, 10])
        processor.shutdown(timeout: .seconds(2))
        XCTAssertEqual(exporter.exportedCount, 25)
    }

    /// `OTEL_BSP_SCHEDULE_DELAY=0`: each span is exported at once, and an idle processor sleeps
    /// until the next span instead of waking every millisecond to look.
    func testWithNoScheduleDelayEverySpanGoesAtOnceAndAnIdleProcessorSleeps() {
        let exporter = RecordingExporter()
        let processor = BatchSpanProcessor(exporter: exporter, configuration: processorConfiguration(delay: .zero, batch: 512),
                                           diagnostics: RecordingDiagnostics().diagnostics)
        processor.onEnd(tinySpan(0))
        XCTAssertTrue(eventually(1) { exporter.exportedCount == 1 })
        let turnsBefore = processor.exportLoopTurns.load(ordering: .relaxed)
        Thread.sleep(forTimeInterval: 0.5)
        let idleTurns = processor.exportLoopTurns.load(ordering: .relaxed) - turnsBefore
        XCTAssertLessThan(idleTurns, 10, "the idle export thread woke \(idleTurns) times in 500 ms")
        let start = ContinuousClock.now
        processor.onEnd(tinySpan(1))
        XCTAssertTrue(eventually(1) { exporter.exportedCount == 2 })
        XCTAssertLessThan(ContinuousClock.now - start, .milliseconds(500), "a span after an idle spell waited for a timer")
        processor.shutdown(timeout: .seconds(2))
    }

    func testAFullQueueDropsCountsAndWarnsOnce() {
        let recorder = RecordingDiagnostics()
        let exporter = RecordingExporter(delay: .milliseconds(300))
        let processor = BatchSpanProcessor(exporter: exporter,
                                           configuration: processorConfiguration(delay: .seconds(60), queue: 10, batch: 10),
                                           diagnostics: recorder.diagnostics)
        for i in 0..<50 { processor.onEnd(tinySpan(i)) }
        processor.shutdown(timeout: .seconds(5))
        let stats = processor.statistics
        XCTAssertEqual(stats.produced, 50)
        XCTAssertGreaterThanOrEqual(stats.droppedQueueFull, 30)
        XCTAssertEqual(stats.exported + stats.droppedQueueFull, 50)
        XCTAssertEqual(recorder.messages.filter { $0.text.contains("queue is full") }.count, 1)
        XCTAssertTrue(recorder.messages.contains { $0.text.contains("dropped_queue_full=\(stats.droppedQueueFull)") },
                      "the totals must be reported at shutdown")
    }

    func testForceFlushExportsEverythingEndedSoFar() {
        let exporter = RecordingExporter()
        let processor = BatchSpanProcessor(exporter: exporter, configuration: processorConfiguration(delay: .seconds(60), batch: 100),
                                           diagnostics: RecordingDiagnostics().diagnostics)
        for i in 0..<250 { processor.onEnd(tinySpan(i)) }
        XCTAssertTrue(processor.forceFlush(timeout: .seconds(5)))
        XCTAssertEqual(exporter.exportedCount, 250)
        XCTAssertEqual(processor.statistics.exported, 250)
        processor.shutdown(timeout: .seconds(2))
    }

    func testForceFlushReturnsWithinItsTimeoutWhenTheExporterHangs() {
        for pipelined in [1, 4] {
            let exporter = RecordingExporter(delay: .seconds(30), concurrentExports: pipelined)
            let processor = BatchSpanProcessor(exporter: exporter, configuration: processorConfiguration(delay: .seconds(60), batch: 10),
                                               diagnostics: RecordingDiagnostics().diagnostics)
            for i in 0..<100 { processor.onEnd(tinySpan(i)) }
            let start = ContinuousClock.now
            XCTAssertFalse(processor.forceFlush(timeout: .milliseconds(300)))
            XCTAssertLessThan(ContinuousClock.now - start, .milliseconds(800), "\(pipelined) exports at once")
            processor.shutdown(timeout: .milliseconds(300))
        }
    }

    func testShutdownReturnsWithinItsTimeoutWhenTheExporterHangsAndCountsTheSpans() {
        for pipelined in [1, 4] {
            // Export calls never return by themselves (only when cancelled), also not on exporter shutdown.
            let exporter = RecordingExporter(delay: .seconds(30), concurrentExports: pipelined)
            let processor = BatchSpanProcessor(exporter: exporter, configuration: processorConfiguration(delay: .seconds(60), batch: 10),
                                               diagnostics: RecordingDiagnostics().diagnostics)
            for i in 0..<100 { processor.onEnd(tinySpan(i)) }
            Thread.sleep(forTimeInterval: 0.1)  // let the exports in flight begin
            let start = ContinuousClock.now
            XCTAssertFalse(processor.shutdown(timeout: .seconds(1)), "spans were abandoned: not a clean shutdown")
            XCTAssertLessThan(ContinuousClock.now - start, .milliseconds(1300), "\(pipelined) exports at once")
            let s = processor.statistics
            XCTAssertEqual(s.exported + s.dropped, 100, "\(s)")
            XCTAssertEqual(s.queued + s.inFlight, 0, "\(s)")
        }
    }

    func testSpansEndedAfterShutdownAreDroppedAndCounted() {
        let exporter = RecordingExporter()
        let processor = BatchSpanProcessor(exporter: exporter, configuration: processorConfiguration(),
                                           diagnostics: RecordingDiagnostics().diagnostics)
        processor.onEnd(tinySpan(1))
        XCTAssertTrue(processor.shutdown(timeout: .seconds(2)))
        processor.onEnd(tinySpan(2))
        processor.onEnd(tinySpan(3))
        let stats = processor.statistics
        XCTAssertEqual(stats.exported, 1)
        XCTAssertEqual(stats.droppedAtShutdown, 2)
        XCTAssertEqual(stats.produced, 3)
        XCTAssertTrue(processor.shutdown(timeout: .seconds(1)), "a second shutdown is harmless")
        XCTAssertEqual(exporter.state.withLock { $0.shutDown }, true)
    }

    func testForceFlushSucceedsOnlyIfTheSpansWereDelivered() {
        let failing = RecordingExporter { ExportResult(failed: $0.count, failure: .timedOut) }
        let processor = BatchSpanProcessor(exporter: failing, configuration: processorConfiguration(),
                                           diagnostics: RecordingDiagnostics().diagnostics)
        processor.onEnd(tinySpan(1))
        XCTAssertFalse(processor.forceFlush(timeout: .seconds(2)), "the export failed")
        XCTAssertEqual(processor.statistics.droppedExportFailed, 1)
        XCTAssertTrue(processor.forceFlush(timeout: .seconds(2)), "nothing new to deliver")
        processor.onEnd(tinySpan(2))
        XCTAssertFalse(processor.shutdown(timeout: .seconds(2)), "the last span failed too")

        let working = BatchSpanProcessor(exporter: RecordingExporter(), configuration: processorConfiguration(),
                                         diagnostics: RecordingDiagnostics().diagnostics)
        working.onEnd(tinySpan(1))
        XCTAssertTrue(working.forceFlush(timeout: .seconds(Int64.max)), "a huge timeout is fine")
        XCTAssertTrue(working.shutdown(timeout: .seconds(2)))
        XCTAssertTrue(working.forceFlush(timeout: .seconds(1)), "after a clean shutdown nothing is pending")
        XCTAssertTrue(working.shutdown(timeout: .zero), "a second shutdown reports the first one's outcome")
    }

    func testExportsRunWhileTheApplicationKeepsTheCooperativePoolBusy() {
        let exporter = RecordingExporter(delay: .milliseconds(5), concurrentExports: 2)
        let processor = BatchSpanProcessor(exporter: exporter, configuration: processorConfiguration(batch: 10),
                                           diagnostics: RecordingDiagnostics().diagnostics)
        // Occupy every thread of the cooperative pool (and more) with tasks that block.
        let release = ManagedAtomic<Bool>(false)
        let blockers = (0..<8).map { _ in
            Task.detached { while !release.load(ordering: .relaxed) { usleep(1_000) } }
        }
        Thread.sleep(forTimeInterval: 0.1)
        for i in 0..<100 { processor.onEnd(tinySpan(i)) }
        XCTAssertTrue(processor.forceFlush(timeout: .seconds(5)), "exports must not need the cooperative pool")
        XCTAssertEqual(exporter.exportedCount, 100)
        release.store(true, ordering: .relaxed)
        for blocker in blockers { blocker.cancel() }
        XCTAssertTrue(processor.shutdown(timeout: .seconds(2)))
    }

    func testASpanThatRacedShutdownIntoTheQueueIsCountedAsDropped() {
        let processor = BatchSpanProcessor(exporter: RecordingExporter(), configuration: processorConfiguration(),
                                           diagnostics: RecordingDiagnostics().diagnostics)
        processor.onEnd(tinySpan(1))
        XCTAssertTrue(processor.shutdown(timeout: .seconds(2)))
        // A producer that passed the shutdown check just before shutdown began pushes after the drain.
        XCTAssertNotNil(processor.queue.push(tinySpan(2)))
        let stats = processor.statistics
        XCTAssertEqual(stats.produced, 2)
        XCTAssertEqual(stats.exported, 1)
        XCTAssertEqual(stats.queued, 0)
        XCTAssertEqual(stats.droppedAtShutdown, 1)
    }

    func testExportIsNeverConcurrentByDefault() {
        let exporter = RecordingExporter(delay: .milliseconds(20))
        let processor = BatchSpanProcessor(exporter: exporter, configuration: processorConfiguration(delay: .milliseconds(5), batch: 5),
                                           diagnostics: RecordingDiagnostics().diagnostics)
        for i in 0..<100 { processor.onEnd(tinySpan(i)) }
        XCTAssertTrue(processor.shutdown(timeout: .seconds(10)))
        XCTAssertEqual(exporter.exportedCount, 100)
        XCTAssertEqual(exporter.state.withLock { $0.maxConcurrent }, 1)
    }

    func testPipeliningRunsSeveralExportsAtOnceWhenConfigured() {
        let exporter = RecordingExporter(delay: .milliseconds(100))
        let processor = BatchSpanProcessor(exporter: exporter,
                                           configuration: processorConfiguration(delay: .seconds(60), batch: 5, concurrency: 4),
                                           diagnostics: RecordingDiagnostics().diagnostics)
        for i in 0..<40 { processor.onEnd(tinySpan(i)) }
        XCTAssertTrue(processor.shutdown(timeout: .seconds(10)))
        XCTAssertEqual(exporter.exportedCount, 40)
        XCTAssertEqual(processor.statistics.exported, 40)
        let maxConcurrent = exporter.state.withLock { $0.maxConcurrent }
        XCTAssertGreaterThan(maxConcurrent, 1)
        XCTAssertLessThanOrEqual(maxConcurrent, 4)
    }

    func testAnExporterThatDeclaresPipeliningGetsItUnlessConfiguredOtherwise() {
        for (configured, expected) in [(nil, 3), (1, 1)] as [(Int?, Int)] {
            let exporter = RecordingExporter(delay: .milliseconds(100), concurrentExports: 3)
            let processor = BatchSpanProcessor(exporter: exporter,
                                               configuration: processorConfiguration(delay: .seconds(60), batch: 5, concurrency: configured),
                                               diagnostics: RecordingDiagnostics().diagnostics)
            XCTAssertEqual(processor.configuration.maxConcurrentExports, expected)
            for i in 0..<40 { processor.onEnd(tinySpan(i)) }
            XCTAssertTrue(processor.shutdown(timeout: .seconds(10)))
            XCTAssertEqual(processor.statistics.exported, 40)
            let maxConcurrent = exporter.state.withLock { $0.maxConcurrent }
            XCTAssertLessThanOrEqual(maxConcurrent, expected)
            if expected > 1 { XCTAssertGreaterThan(maxConcurrent, 1) }
        }
    }

    func testFailedAndRejectedSpansAreCountedByReason() {
        let exporter = RecordingExporter { spans in ExportResult(exported: spans.count - 3, rejected: 1, failed: 2, retries: 5) }
        let processor = BatchSpanProcessor(exporter: exporter, configuration: processorConfiguration(batch: 10),
                                           diagnostics: RecordingDiagnostics().diagnostics)
        for i in 0..<10 { processor.onEnd(tinySpan(i)) }
        processor.shutdown(timeout: .seconds(2))
        let stats = processor.statistics
        XCTAssertEqual(stats.exported, 7)
        XCTAssertEqual(stats.rejected, 1)
        XCTAssertEqual(stats.droppedExportFailed, 2)
        XCTAssertEqual(stats.retries, 5)
        XCTAssertEqual(stats.dropped, 3)
    }

    func testBatchSizeAboveQueueSizeIsClampedWithAWarning() {
        let recorder = RecordingDiagnostics()
        let config = BatchSpanProcessorConfiguration.fromEnvironment(EnvironmentReader(
            ["OTEL_BSP_MAX_QUEUE_SIZE": "100", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "500", "OTEL_BSP_SCHEDULE_DELAY": "250",
             "OTEL_BSP_EXPORT_TIMEOUT": "abc"], diagnostics: recorder.diagnostics))
        XCTAssertEqual(config.maxQueueSize, 100)
        XCTAssertEqual(config.maxExportBatchSize, 100)
        XCTAssertEqual(config.scheduleDelay, .milliseconds(250))
        XCTAssertEqual(config.exportTimeout, .seconds(30))
        XCTAssertTrue(recorder.messages.contains { $0.text.contains("OTEL_BSP_MAX_EXPORT_BATCH_SIZE=500") })
        XCTAssertTrue(recorder.messages.contains { $0.text.contains("OTEL_BSP_EXPORT_TIMEOUT='abc'") })
    }

    func testConcurrentExportsComeFromTheEnvironmentOrTheExporter() {
        let recorder = RecordingDiagnostics()
        func read(_ value: String?) -> Int? {
            BatchSpanProcessorConfiguration.fromEnvironment(EnvironmentReader(
                value.map { ["MELLEA_TRACES_MAX_CONCURRENT_EXPORTS": $0] } ?? [:], diagnostics: recorder.diagnostics)).maxConcurrentExports
        }
        XCTAssertNil(read(nil), "unset: the exporter decides")
        XCTAssertEqual(read("3"), 3)
        XCTAssertNil(read("0"))
        XCTAssertTrue(recorder.messages.contains { $0.text.contains("MELLEA_TRACES_MAX_CONCURRENT_EXPORTS='0' is invalid: expected an integer in 1...64") })
        let otlp = try! OTLPTraceExporter(configuration: OTLPExporterConfiguration(), resource: Resource(attributes: []),
                                          diagnostics: recorder.diagnostics)
        XCTAssertEqual(otlp.concurrentExports, 4, "the OTLP exporter pipelines")
        runBlocking(timeout: .seconds(5)) { await otlp.shutdown(timeout: .seconds(1)) }
        XCTAssertEqual(RecordingExporter().concurrentExports, 1)
    }
}

/// An exporter that never returns on its own: it waits until cancelled.
final class HangingExporter: SpanExporter {
    let started = ManagedAtomicCounter()
    let cancelled = ManagedAtomicCounter()
    let concurrentExports: Int
    init(concurrentExports: Int = 1) { self.concurrentExports = concurrentExports }
    func export(_ spans: [SpanRecord]) async -> ExportResult {
        started.increment()
        while !Task.isCancelled { try? await Task.sleep(for: .milliseconds(5)) }
        cancelled.increment()
        return ExportResult(failed: spans.count, failure: .shutDown)
    }
    func forceFlush(timeout: Duration) async {}
    func shutdown(timeout: Duration) async {}
}

final class ManagedAtomicCounter: Sendable {
    private let value = Locked(0)
    func increment() { value.withLock { $0 += 1 } }
    var count: Int { value.withLock { $0 } }
}

final class ExportOverrunTests: XCTestCase {
    func testPipelinedExportsThatOverrunAreCancelledAndCountedOnce() {
        let exporter = HangingExporter(concurrentExports: 4)
        let processor = BatchSpanProcessor(exporter: exporter,
                                           configuration: processorConfiguration(delay: .seconds(60), batch: 5,
                                                                                 exportTimeout: .milliseconds(200)),
                                           diagnostics: RecordingDiagnostics().diagnostics)
        for i in 0..<30 { processor.onEnd(tinySpan(i)) }
        XCTAssertTrue(eventually(3) { exporter.cancelled.count == 6 }, "every overrunning export must be cancelled")
        let stats = processor.statistics
        XCTAssertEqual(stats.droppedExportFailed, 30, "\(stats)")
        XCTAssertEqual(stats.inFlight, 0)
        XCTAssertEqual(exporter.started.count, 6)
        XCTAssertTrue(processor.shutdown(timeout: .milliseconds(500)))
    }

    func testAnExportThatOverrunsIsCancelledAndCountedOnceAndNeverOverlapsTheNext() {
        let exporter = HangingExporter()
        let processor = BatchSpanProcessor(exporter: exporter,
                                           configuration: processorConfiguration(delay: .seconds(60), batch: 5,
                                                                                 exportTimeout: .milliseconds(200)),
                                           diagnostics: RecordingDiagnostics().diagnostics)
        for i in 0..<10 { processor.onEnd(tinySpan(i)) }
        XCTAssertTrue(eventually(3) { exporter.cancelled.count == 2 }, "both overrunning exports must be cancelled")
        let stats = processor.statistics
        XCTAssertEqual(stats.droppedExportFailed, 10, "\(stats)")
        XCTAssertEqual(stats.inFlight, 0)
        XCTAssertEqual(exporter.started.count, 2)
        processor.shutdown(timeout: .milliseconds(500))
    }

    func testAZeroScheduleDelayStillExportsAndShutsDown() {
        let exporter = RecordingExporter()
        let processor = BatchSpanProcessor(exporter: exporter, configuration: processorConfiguration(delay: .zero),
                                           diagnostics: RecordingDiagnostics().diagnostics)
        processor.onEnd(tinySpan(1))
        XCTAssertTrue(eventually(2) { exporter.exportedCount == 1 })
        XCTAssertTrue(processor.shutdown(timeout: .seconds(2)))
    }
}
