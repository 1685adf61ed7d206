/// Receives finished spans from a processor and delivers them somewhere.
///
/// `export` is called from the processor's export thread through a task; it must return within
/// the exporter's own timeout and never throw. A processor calls it concurrently only when the
/// exporter declares it can take that (``concurrentExports``) or the user configured pipelining.
public protocol SpanExporter: Sendable {
    /// How many exports a processor may run at once on this exporter when the user did not say
    /// (`MELLEA_TRACES_MAX_CONCURRENT_EXPORTS`). The default, 1, means `export` is never called
    /// concurrently; an exporter built to pipeline its requests returns more.
    var concurrentExports: Int { get }
    /// Delivers `spans` and reports what became of each of them.
    func export(_ spans: [SpanRecord]) async -> ExportResult
    /// Completes any buffered work, within `timeout`.
    func forceFlush(timeout: Duration) async
    /// Stops the exporter, within `timeout`; later exports fail at once.
    func shutdown(timeout: Duration) async
}

extension SpanExporter {
    public var concurrentExports: Int { 1 }
}

/// What an export did with its spans: every span is counted exactly once.
public struct ExportResult: Sendable, Equatable {
    /// Spans the receiver accepted.
    public var exported: Int
    /// Spans the receiver rejected in a partial success (never retried).
    public var rejected: Int
    /// Spans not delivered: non-retryable status, retries exhausted, timeout, too large, shut down.
    public var failed: Int
    /// Attempts beyond the first.
    public var retries: Int
    /// The last failure, if any span failed.
    public var failure: ExportFailure?

    /// Creates a result.
    public init(exported: Int = 0, rejected: Int = 0, failed: Int = 0, retries: Int = 0, failure: ExportFailure? = nil) {
        self.exported = exported
        self.rejected = rejected
        self.failed = failed
        self.retries = retries
        self.failure = failure
    }

    /// All `count` spans delivered.
    public static func success(_ count: Int) -> ExportResult { ExportResult(exported: count) }

    mutating func add(_ other: ExportResult) {
        exported += other.exported
        rejected += other.rejected
        failed += other.failed
        retries += other.retries
        failure = other.failure ?? failure
    }
}

/// Why spans were not delivered.
public enum ExportFailure: Sendable, Equatable, CustomStringConvertible {
    /// The receiver answered with a gRPC status that is final, or retries ran out.
    case status(code: GRPCStatusCode, message: String)
    /// The export's time budget ran out before the spans were accepted.
    case timedOut
    /// The exporter was shut down.
    case shutDown
    /// A span was larger than the request size limit.
    case spanTooLarge

    public var description: String {
        switch self {
        case .status(let code, let message): return "\(code): \(message)"
        case .timedOut: return "the export timeout ran out"
        case .shutDown: return "the exporter is shut down"
        case .spanTooLarge: return "a span exceeds the request size limit"
        }
    }
}
