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

/// A back end whose every answer is computed from the request by `answer` (called with the
/// request and the call's index), and which keeps every request it received.
final class RecordingBackend: Backend, @unchecked Sendable {
    let modelID: String
    let provider = "openai"
    let requests = Locked<[GenerationRequest]>([])
    private let answer: @Sendable (GenerationRequest, Int) async throws -> GenerationResult

    init(model: String = "rec-model", answer: @escaping @Sendable (GenerationRequest, Int) async throws -> GenerationResult) {
        modelID = model
        self.answer = answer
    }

    /// Answers with `results` in order, then "ok".
    convenience init(model: String = "rec-model", _ results: [GenerationResult]) {
        self.init(model: model) { _, index in index < results.count ? results[index] : GenerationResult(text: "ok") }
    }

    private func record(_ request: GenerationRequest) -> Int {
        requests.withLock { $0.append(request); return $0.count - 1 }
    }

    func generate(_ request: GenerationRequest) async throws -> GenerationResult {
        try await answer(request, record(request))
    }

    func generateBatch(_ prompts: [String], options: ModelOptions) async throws -> (outputs: [String], usage: TokenUsage) {
        var outputs: [String] = []
        for prompt in prompts { outputs.append(try await generate(GenerationRequest(messages: [.user(prompt)], options: options)).text) }
        return (outputs, TokenUsage())
    }

    func stream(_ request: GenerationRequest) -> AsyncThrowingStream<StreamChunk, any Error> {
        let index = record(request)
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    let result = try await answer(request, index)
                    for word in result.text.split(separator: " ") {
                        try Task.checkCancellation()
                        continuation.yield(StreamChunk(text: String(word) + " "))
                        await Task.yield()
                    }
                    continuation.yield(StreamChunk(text: "", toolCalls: result.toolCalls, metadata: result.metadata))
                    continuation.finish()
                } catch { continuation.finish(throwing: error) }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}

extension SpanRecord {
    /// The span's string attribute `key` decoded as JSON.
    func json(_ key: String) throws -> Any {
        guard case .string(let text)? = self[key] else { throw TestFailure(description: "\(key) missing on \(name)") }
        return try JSONSerialization.jsonObject(with: Data(text.utf8))
    }
}
