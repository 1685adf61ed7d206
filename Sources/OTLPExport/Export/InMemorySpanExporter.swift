import Synchronization

/// Keeps every exported span in memory, for users' own tests of their instrumentation.
public final class InMemorySpanExporter: SpanExporter {
    private let state = Locked<(spans: [SpanRecord], isShutDown: Bool)>(([], false))

    /// Creates an empty exporter.
    public init() {}

    public func export(_ spans: [SpanRecord]) async -> ExportResult {
        state.withLock { state in
            guard !state.isShutDown else { return ExportResult(failed: spans.count, failure: .shutDown) }
            state.spans += spans
            return .success(spans.count)
        }
    }

    /// Every span exported so far, in export order.
    public var spans: [SpanRecord] { state.withLock { $0.spans } }

    /// Forgets the spans exported so far.
    public func reset() { state.withLock { $0.spans.removeAll() } }

    public func forceFlush(timeout: Duration) async {}

    public func shutdown(timeout: Duration) async { state.withLock { $0.isShutDown = true } }
}
