/// The batch span processor's settings (`OTEL_BSP_*`, with the specification's defaults).
public struct BatchSpanProcessorConfiguration: Sendable, Equatable {
    /// Longest wait between two exports (`OTEL_BSP_SCHEDULE_DELAY`, 5000 ms).
    public var scheduleDelay: Duration = .milliseconds(5000)
    /// Longest wait for one export (`OTEL_BSP_EXPORT_TIMEOUT`, 30000 ms).
    public var exportTimeout: Duration = .milliseconds(30000)
    /// Spans held at most; beyond it spans are dropped and counted (`OTEL_BSP_MAX_QUEUE_SIZE`, 2048).
    public var maxQueueSize: Int = 2048
    /// Spans per export at most (`OTEL_BSP_MAX_EXPORT_BATCH_SIZE`, 512; never above the queue size).
    public var maxExportBatchSize: Int = 512
    /// Exports in flight at once (`MELLEA_TRACES_MAX_CONCURRENT_EXPORTS`). Unset (`nil`), the
    /// exporter decides (``SpanExporter/concurrentExports``): 1 — exports never overlap, as the
    /// specification requires of processors — unless the exporter declares it pipelines, as the
    /// OTLP exporter does (the OTLP specification advises it for high-throughput clients).
    public var maxConcurrentExports: Int?

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
}
