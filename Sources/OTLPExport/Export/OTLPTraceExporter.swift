import Foundation
import Synchronization

/// Exports spans to an OTLP collector over gRPC (`TraceService/Export`), with the retry rules of
/// the OTLP specification.
///
/// One long-lived channel; each batch is split into requests of at most
/// ``OTLPExporterConfiguration/maxRequestBytes``; each request is retried on CANCELLED,
/// DEADLINE_EXCEEDED, ABORTED, OUT_OF_RANGE, UNAVAILABLE and DATA_LOSS, and on RESOURCE_EXHAUSTED
/// only when the server sent `RetryInfo` (whose delay is then honoured), with jittered exponential
/// backoff, all within the configured timeout. A partial success is never retried.
public final class OTLPTraceExporter: SpanExporter {
    static let method = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
    /// The User-Agent sent ahead of gRPC's own.
    public static let userAgent = "OTel-OTLP-Exporter-Swift-Mellea/\(Resource.sdkVersion)"

    /// The configuration in use.
    public let configuration: OTLPExporterConfiguration
    private let channel: GRPCChannel
    private let resource: Resource
    private let diagnostics: Diagnostics
    private let shutdownSignal = ShutdownSignal()
    private let encoders = Locked<[EncoderBox]>([])

    /// Opens the channel (it connects lazily, so a missing collector is not an error here).
    ///
    /// - Throws: ``ChannelError`` when gRPC refuses the endpoint or credentials.
    public init(configuration: OTLPExporterConfiguration = .fromEnvironment(),
                resource: Resource = .fromEnvironment(),
                diagnostics: Diagnostics = .standardError) throws(ChannelError) {
        self.configuration = configuration
        self.resource = resource
        self.diagnostics = diagnostics
        channel = try GRPCChannel(endpoint: configuration.endpoint, configuration: configuration,
                                  userAgent: Self.userAgent, method: Self.method, diagnostics: diagnostics)
    }

    /// Four: while requests are on the wire, the next batch is encoded, and the wake-ups between
    /// the export thread, gRPC's poller and the collector overlap instead of adding up (measured:
    /// W2 of trace-bench ~380k spans/s with 2, ~470k with 4). Exports are independent: their own
    /// encoder from a pool, their own call on the shared channel.
    public var concurrentExports: Int { 4 }

    public func export(_ spans: [SpanRecord]) async -> ExportResult {
        guard !spans.isEmpty else { return ExportResult() }
        guard !shutdownSignal.isTriggered else {
            return ExportResult(failed: spans.count, failure: .shutDown)
        }
        let batch = encode(spans)
        var result = ExportResult()
        if batch.oversizedSpans > 0 {
            result.add(ExportResult(failed: batch.oversizedSpans, failure: .spanTooLarge))
            let size = batch.firstOversized
            diagnostics.reportOnce(key: "oversized", .warning,
                "a span\(size.map { " of \($0.total) bytes" } ?? "") is larger than the \(configuration.maxRequestBytes)-byte request limit "
                + "and was dropped\(size.map { ": \($0.advice)" } ?? "")")
        }
        // One time budget for the whole export, however many requests the batch became.
        let deadline = ContinuousClock.now + configuration.timeout
        for request in batch.requests { result.add(await send(request, deadline: deadline)) }
        return result
    }

    /// Sends one request, retrying until `deadline`. Cancelling the task abandons it at once.
    private func send(_ request: EncodedRequest, deadline: ContinuousClock.Instant) async -> ExportResult {
        let clock = ContinuousClock()
        var generator = SystemRandomNumberGenerator()
        var attempt = 0
        // The cause to report if time runs out: the last status, not just "timed out".
        var lastFailure: ExportFailure?
        while true {
            attempt += 1
            let retries = attempt - 1
            let remaining = deadline - clock.now
            guard remaining > .zero, !Task.isCancelled else {
                return ExportResult(failed: request.spanCount, retries: retries, failure: lastFailure ?? .timedOut)
            }
            ExportAttempts.current?.begin()
            let outcome = await channel.unaryCall(request.payload, metadata: configuration.headers, timeout: remaining)
            if outcome.code == .ok {
                if let response = outcome.response, let partial = ExportResponseDecoder.partialSuccess(response) {
                    reportPartialSuccess(partial)
                    let rejected = min(max(partial.rejected, 0), request.spanCount)
                    return ExportResult(exported: request.spanCount - rejected, rejected: rejected, retries: retries)
                }
                return ExportResult(exported: request.spanCount, retries: retries)
            }
            let failure = ExportFailure.status(code: outcome.code, message: outcome.message)
            lastFailure = failure
            ExportAttempts.current?.fail(failure)
            if shutdownSignal.isTriggered || Task.isCancelled {
                return ExportResult(failed: request.spanCount, retries: retries, failure: .shutDown)
            }
            let serverDelay = RetryInfoDecoder.delay(statusDetails: outcome.statusDetails, retryInfo: outcome.retryInfo)
            let decision = configuration.retry.decide(code: outcome.code, retryInfoDelay: serverDelay,
                                                      attempt: attempt, using: &generator)
            guard case .retry(let delay) = decision else {
                reportFailure(failure, final: true, attempts: attempt)
                return ExportResult(failed: request.spanCount, retries: retries, failure: failure)
            }
            guard clock.now + delay < deadline else {
                reportFailure(failure, final: false, attempts: attempt)
                return ExportResult(failed: request.spanCount, retries: retries, failure: failure)
            }
            guard await shutdownSignal.sleep(for: delay) else {
                return ExportResult(failed: request.spanCount, retries: retries, failure: .shutDown)
            }
        }
    }

    public func forceFlush(timeout: Duration) async {}

    /// Ends backoff waits at once, cancels calls in flight, and tears the channel down.
    public func shutdown(timeout: Duration) async {
        shutdownSignal.trigger()
        channel.close(timeout: timeout)
    }

    private func encode(_ spans: [SpanRecord]) -> EncodedBatch {
        let box = encoders.withLock { $0.popLast() }
            ?? EncoderBox(OTLPRequestEncoder(resource: resource, maxRequestBytes: configuration.maxRequestBytes))
        defer { encoders.withLock { $0.append(box) } }
        return box.encoder.encode(spans)
    }

    private func reportPartialSuccess(_ partial: (rejected: Int, message: String)) {
        diagnostics.reportOnce(key: "partial-success", .warning,
            "the collector accepted a request only in part (\(partial.rejected) spans rejected): \(partial.message); "
            + "rejected spans are counted and not retried")
    }

    private func reportFailure(_ failure: ExportFailure, final: Bool, attempts: Int) {
        guard case .status(let code, let message) = failure else { return }
        diagnostics.reportOnce(key: "export-failure-\(code.rawValue)", .warning,
            "export to \(configuration.endpoint.redactedTarget) failed with \(code): \(message) after \(ProcessorStatistics.attempts(attempts))"
            + (final ? " (not retryable; spans dropped and counted)" : " (retries exhausted within the timeout; spans dropped and counted)"))
    }
}

/// An encoder handed between tasks through the pool; only one task uses it at a time.
private final class EncoderBox: @unchecked Sendable {
    let encoder: OTLPRequestEncoder
    init(_ encoder: OTLPRequestEncoder) { self.encoder = encoder }
}
