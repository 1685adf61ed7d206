import Foundation
import Synchronization
@testable import OTLPExport

/// An exporter for processor tests: records batches, measures concurrency, and can be slow or fail.
final class RecordingExporter: SpanExporter {
    struct State {
        var batches: [[SpanRecord]] = []
        var concurrent = 0
        var maxConcurrent = 0
        var shutDown = false
    }
    let state = Locked(State())
    let delay: Duration
    let result: (@Sendable ([SpanRecord]) -> ExportResult)?
    let concurrentExports: Int

    init(delay: Duration = .zero, concurrentExports: Int = 1, result: (@Sendable ([SpanRecord]) -> ExportResult)? = nil) {
        self.delay = delay
        self.concurrentExports = concurrentExports
        self.result = result
    }

    func export(_ spans: [SpanRecord]) async -> ExportResult {
        state.withLock {
            $0.concurrent += 1
            $0.maxConcurrent = max($0.maxConcurrent, $0.concurrent)
        }
        if delay > .zero { try? await Task.sleep(for: delay) }
        state.withLock {
            $0.concurrent -= 1
            $0.batches.append(spans)
        }
        return result?(spans) ?? .success(spans.count)
    }

    func forceFlush(timeout: Duration) async {}
    func shutdown(timeout: Duration) async { state.withLock { $0.shutDown = true } }

    var exportedCount: Int { state.withLock { $0.batches.reduce(0) { $0 + $1.count } } }
    var batchSizes: [Int] { state.withLock { $0.batches.map(\.count) } }
}

/// A cheap span for queue and processor tests.
func tinySpan(_ index: Int, scope: InstrumentationScope = InstrumentationScope(name: "t")) -> SpanRecord {
    SpanRecord(traceID: TraceID(high: 1, low: UInt64(index)), spanID: SpanID(UInt64(index) + 1), name: "s\(index)",
               startTimeUnixNano: 1, endTimeUnixNano: 2, scope: scope)
}

func processorConfiguration(delay: Duration = .seconds(30), queue: Int = 2048, batch: Int = 512,
                            exportTimeout: Duration = .seconds(30), concurrency: Int? = nil) -> BatchSpanProcessorConfiguration {
    var configuration = BatchSpanProcessorConfiguration()
    configuration.scheduleDelay = delay
    configuration.maxQueueSize = queue
    configuration.maxExportBatchSize = batch
    configuration.exportTimeout = exportTimeout
    configuration.maxConcurrentExports = concurrency
    return configuration
}

/// Polls `condition` every 5 ms for at most `timeout` seconds.
func eventually(_ timeout: TimeInterval = 5, _ condition: () -> Bool) -> Bool {
    let end = Date().addingTimeInterval(timeout)
    while Date() < end {
        if condition() { return true }
        Thread.sleep(forTimeInterval: 0.005)
    }
    return condition()
}
