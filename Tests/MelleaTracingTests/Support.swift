import Foundation
import MelleaTracing
import OTLPExport
import XCTest

/// Tracing bootstrapped onto an in-memory exporter, with its own hook registry.
final class TracingHarness {
    let exporter = InMemorySpanExporter()
    let processor: BatchSpanProcessor
    let registry = HookRegistry(diagnostics: RecordingDiagnostics().diagnostics)
    let setup: TracingSystem.Setup

    init(captureContent: Bool = false, maxInFlight: Int = 10_000, sampler: Sampler = .parentBased(root: .alwaysOn)) {
        var batch = BatchSpanProcessorConfiguration()
        batch.scheduleDelay = .seconds(60)
        processor = BatchSpanProcessor(exporter: exporter, configuration: batch, diagnostics: RecordingDiagnostics().diagnostics)
        var configuration = TracesConfiguration()
        configuration.enabled = true
        configuration.captureContent = captureContent
        configuration.maxInFlightSpans = maxInFlight
        setup = TracingSystem.bootstrap(processor: processor, configuration: configuration, sampler: sampler, registry: registry)
    }

    /// Every span ended so far.
    func spans() -> [SpanRecord] {
        XCTAssertTrue(processor.forceFlush(timeout: .seconds(5)))
        return exporter.spans
    }

    func span(named name: String, file: StaticString = #filePath, line: UInt = #line) throws -> SpanRecord {
        try XCTUnwrap(spans().first { $0.name == name }, "no span named \(name) in \(spans().map(\.name))", file: file, line: line)
    }

    /// Spans still open between hooks.
    var inFlight: Int { setup.inFlightSpans.count }

    deinit {
        // Only this harness's own setup: a newer one may already have replaced it.
        if TracingSystem.current?.registry === registry { TracingSystem.resetForTesting() }
    }
}

extension SpanRecord {
    subscript(key: String) -> AttributeValue? { attributes.first { $0.key == key }?.value }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
}

/// Keeps every ended span, for tests that read records directly.
final class CollectingProcessor: SpanProcessor, @unchecked Sendable {
    let spans = Locked<[SpanRecord]>([])
    func onEnd(_ span: SpanRecord) { spans.withLock { $0.append(span) } }
    func forceFlush(timeout: Duration) -> Bool { true }
    func shutdown(timeout: Duration) -> Bool { true }
}
