/// The batch span processor's settings (`OTEL_BSP_*`, with the specification's defaults).
public struct BatchSpanProcessorConfiguration: Sendable, Equatable {
    /// Longest wait between two exports (`OTEL_BSP_SCHEDULE_DELAY`, 5000 ms).
    public var scheduleDelay: Duration = .milliseconds(5000)
    /// Longest wait for one export (`OTEL_BSP_EXPORT_TIMEOUT`, 30000 ms).
    public var exportTimeout: Duration = .milliseconds(30000)
    /// Spans held at most; beyond it spans are dropped and counted (`OTEL_BSP_MAX_QUEUE_SIZE`, 2048).
    /// At most ``maxQueueSizeLimit``: larger values are lowered to it with a warning.
    public var maxQueueSize: Int = 2048
    /// Spans per export at most (`OTEL_BSP_MAX_EXPORT_BATCH_SIZE`, 512; never above the queue size).
    public var maxExportBatchSize: Int = 512
    /// Exports in flight at once (`MELLEA_TRACES_MAX_CONCURRENT_EXPORTS`). Unset (`nil`), the
    /// exporter decides (``SpanExporter/concurrentExports``): 1 — exports never overlap, as the
    /// specification requires of processors — unless the exporter declares it pipelines, as the
    /// OTLP exporter does (the OTLP specification advises it for high-throughput clients).
    public var maxConcurrentExports: Int?

    /// The largest queue a processor builds: 1,048,576 spans.
    ///
    /// The queue reserves its ring up front, 16 bytes a slot whether or not a span ever fills it
    /// (16 MiB at this limit), so an unbounded `OTEL_BSP_MAX_QUEUE_SIZE` could reserve gigabytes
    /// before the first span. A larger value is lowered to this one with a warning.
    public static let maxQueueSizeLimit = 1 << 20

    /// The specification's defaults.
    public init() {}

    /// Reads `OTEL_BSP_SCHEDULE_DELAY`, `OTEL_BSP_EXPORT_TIMEOUT`, `OTEL_BSP_MAX_QUEUE_SIZE`,
    /// `OTEL_BSP_MAX_EXPORT_BATCH_SIZE` and `MELLEA_TRACES_MAX_CONCURRENT_EXPORTS`.
    public static func fromEnvironment(_ env: EnvironmentReader = EnvironmentReader()) -> BatchSpanProcessorConfiguration {
        var config = BatchSpanProcessorConfiguration()
        config.scheduleDelay = env.milliseconds("OTEL_BSP_SCHEDULE_DELAY", default: config.scheduleDelay)
        config.exportTimeout = env.milliseconds("OTEL_BSP_EXPORT_TIMEOUT", default: config.exportTimeout,
                                                zeroMeansInfinite: true)
        config.maxQueueSize = env.integer("OTEL_BSP_MAX_QUEUE_SIZE", default: config.maxQueueSize,
                                          range: 1...Int(Int32.max))
        config.maxQueueSize = boundedQueueSize(config.maxQueueSize, source: "OTEL_BSP_MAX_QUEUE_SIZE",
                                               diagnostics: env.diagnostics)
        config.maxExportBatchSize = env.integer("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", default: config.maxExportBatchSize,
                                                range: 1...Int(Int32.max))
        config.maxConcurrentExports = env.integer("MELLEA_TRACES_MAX_CONCURRENT_EXPORTS", range: 1...64)
        if config.maxExportBatchSize > config.maxQueueSize {
            env.diagnostics.report(.warning,
                "OTEL_BSP_MAX_EXPORT_BATCH_SIZE=\(config.maxExportBatchSize) is larger than OTEL_BSP_MAX_QUEUE_SIZE=\(config.maxQueueSize): "
                + "expected at most the queue size; using \(config.maxQueueSize)")
            config.maxExportBatchSize = config.maxQueueSize
        }
        return config
    }

    /// `size` within `1...maxQueueSizeLimit`; a value outside is reported, naming `source` (the
    /// variable or configuration property it came from), and replaced by the nearest bound.
    static func boundedQueueSize(_ size: Int, source: String, diagnostics: Diagnostics) -> Int {
        let bounded = min(max(size, 1), maxQueueSizeLimit)
        if bounded != size {
            diagnostics.report(.warning,
                "\(source)=\(size) is out of range: expected 1...\(maxQueueSizeLimit) (the queue reserves 16 bytes a slot "
                + "up front, 16 MiB at the limit); using \(bounded)")
        }
        return bounded
    }
}
