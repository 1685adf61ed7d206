import Instrumentation
import OTLPExport
import Synchronization
import Tracing

/// Turns tracing on: one call reads the environment (or takes explicit configuration), builds the
/// export pipeline, and subscribes the tracing plugins to the hooks.
///
/// Bootstrapping again replaces the previous setup (after shutting it down), so tests can start
/// from a clean state with ``resetForTesting()``. swift-distributed-tracing's
/// `InstrumentationSystem` is bootstrapped once per process with ``MelleaTracer/current``, which
/// always follows the current setup.
public enum TracingSystem {
    /// What ``bootstrap(environment:)`` set up.
    public struct Setup: Sendable {
        /// The switches in force.
        public let configuration: TracesConfiguration
        /// The export pipeline built from the environment (empty with explicit configuration).
        public let pipeline: ExportPipeline
        /// Where ended spans go: the pipeline, or the processor given explicitly.
        public let processor: any SpanProcessor
        /// The registry the plugins are subscribed to.
        public let registry: HookRegistry
        /// The spans of the GenAI layer.
        public let core: TracerCore?
        /// The subscribed tracing plugins.
        public let plugins: [any Plugin]
        /// The spans the plugins hold open between hooks (bounded; its size is observable).
        public let inFlightSpans: InFlightSpans
        /// Whether tracing is on.
        public var isEnabled: Bool { core != nil }
    }

    private struct State {
        var setup: Setup?
        var instrumentationBootstrapped = false
    }
    private static let state = Locked(State())

    /// The current tracer core, if tracing is on.
    public static var currentCore: TracerCore? { state.withLock { $0.setup?.core } }

    /// The current setup, if any.
    public static var current: Setup? { state.withLock { $0.setup } }

    /// Reads `MELLEA_TRACES_*` and the `OTEL_*` variables and sets tracing up accordingly.
    /// A misconfiguration is reported with a clear message, never by silently tracing nothing.
    @discardableResult
    public static func bootstrap(environment env: EnvironmentReader = EnvironmentReader(),
                                 registry: HookRegistry = .shared,
                                 bootstrapInstrumentationSystem: Bool = true) -> Setup {
        let configuration = TracesConfiguration.fromEnvironment(env)
        guard configuration.enabled else {
            if configuration.otlp || configuration.console || configuration.captureContent {
                env.diagnostics.report(.warning,
                    "MELLEA_TRACES_OTLP, MELLEA_TRACES_CONSOLE or MELLEA_TRACES_CONTENT is set but MELLEA_TRACES_ENABLED is not true: tracing is off")
            }
            return install(Setup(configuration: configuration, pipeline: ExportPipeline(processors: []),
                                 processor: ExportPipeline(processors: []), registry: registry, core: nil, plugins: [],
                                 inFlightSpans: InFlightSpans(capacity: 1)),
                           registry: registry, bootstrapInstrumentationSystem: false)
        }
        if env.bool("OTEL_SDK_DISABLED") {
            env.diagnostics.report(.warning, "MELLEA_TRACES_ENABLED=true but OTEL_SDK_DISABLED=true: tracing is off")
            return install(Setup(configuration: configuration, pipeline: ExportPipeline(processors: []),
                                 processor: ExportPipeline(processors: []), registry: registry, core: nil, plugins: [],
                                 inFlightSpans: InFlightSpans(capacity: 1)),
                           registry: registry, bootstrapInstrumentationSystem: false)
        }
        var variables = env.variables
        var kinds: [String] = []
        if configuration.otlp { kinds.append("otlp") }
        if configuration.console { kinds.append("console") }
        if kinds.isEmpty {
            if env.string("OTEL_TRACES_EXPORTER") == nil {
                env.diagnostics.report(.warning,
                    "MELLEA_TRACES_ENABLED=true but no exporter is selected: set MELLEA_TRACES_OTLP=true (with OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) "
                    + "or MELLEA_TRACES_CONSOLE=true, or OTEL_TRACES_EXPORTER; spans are recorded but go nowhere")
                variables["OTEL_TRACES_EXPORTER"] = "none"
            }
        } else {
            warnIfOverridden(env, by: kinds)
            variables["OTEL_TRACES_EXPORTER"] = kinds.joined(separator: ",")
        }
        if configuration.otlp,
           env.firstString(["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"]) == nil {
            env.diagnostics.report(.info, "MELLEA_TRACES_OTLP=true without OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: exporting to http://localhost:4317")
        }
        let effective = EnvironmentReader(variables, diagnostics: env.diagnostics)
        let pipeline = ExportPipeline.fromEnvironment(effective, resource: .fromEnvironment(effective, defaultServiceName: "mellea"))
        return bootstrap(processor: pipeline, pipeline: pipeline, configuration: configuration,
                         sampler: .fromEnvironment(env), limits: .fromEnvironment(env),
                         registry: registry, bootstrapInstrumentationSystem: bootstrapInstrumentationSystem)
    }

    /// Reports an `OTEL_TRACES_EXPORTER` that the `MELLEA_TRACES_OTLP`/`MELLEA_TRACES_CONSOLE`
    /// switches override with another selection (even `none`): it must not be ignored silently.
    static func warnIfOverridden(_ env: EnvironmentReader, by kinds: [String]) {
        guard let value = env.string("OTEL_TRACES_EXPORTER") else { return }
        // Parsed quietly: the variable is not used, only compared.
        let quiet = EnvironmentReader(env.variables, diagnostics: Diagnostics { _ in })
        let asked = TracesExporterSelection.fromEnvironment(quiet).kinds.map(\.rawValue)
        guard Set(asked) != Set(kinds) else { return }
        let switches = [("MELLEA_TRACES_OTLP", "otlp"), ("MELLEA_TRACES_CONSOLE", "console")]
            .filter { kinds.contains($0.1) }.map { "\($0.0)=true" }.joined(separator: " and ")
        env.diagnostics.report(.warning,
            "OTEL_TRACES_EXPORTER='\(value)' is ignored: \(switches) select the exporters (\(kinds.joined(separator: ","))); "
            + "expected OTEL_TRACES_EXPORTER unset, or MELLEA_TRACES_OTLP and MELLEA_TRACES_CONSOLE unset to use it")
    }

    /// Sets tracing up with explicit parts (e.g. an in-memory exporter behind a processor).
    @discardableResult
    public static func bootstrap(processor: any SpanProcessor, configuration: TracesConfiguration = {
                                     var c = TracesConfiguration(); c.enabled = true; return c }(),
                                 sampler: Sampler = .parentBased(root: .alwaysOn), limits: SpanLimits = SpanLimits(),
                                 registry: HookRegistry = .shared,
                                 bootstrapInstrumentationSystem: Bool = true) -> Setup {
        bootstrap(processor: processor, pipeline: ExportPipeline(processors: []), configuration: configuration,
                  sampler: sampler, limits: limits, registry: registry,
                  bootstrapInstrumentationSystem: bootstrapInstrumentationSystem)
    }

    private static func bootstrap(processor: any SpanProcessor, pipeline: ExportPipeline, configuration: TracesConfiguration,
                                  sampler: Sampler, limits: SpanLimits, registry: HookRegistry,
                                  bootstrapInstrumentationSystem: Bool) -> Setup {
        let core = TracerCore(processor: processor, sampler: sampler, limits: limits,
                              scope: InstrumentationScope(name: "mellea", version: Resource.sdkVersion,
                                                          schemaURL: SemanticNames.schemaURL),
                              recordsErrorMessages: configuration.captureContent)
        let spans = InFlightSpans(capacity: configuration.maxInFlightSpans)
        let content = ContentCapture(enabled: configuration.captureContent, events: configuration.contentEvents,
                                     maxLength: configuration.contentMaxLength)
        let application = core.withScope("mellea.application")
        let openInference = configuration.openInference
        let plugins: [any Plugin] = [
            BackendTracingPlugin(core: core.withScope("mellea.backend"), spans: spans, content: content,
                                 openInference: openInference,
                                 chunkEvents: .init(enabled: configuration.chunkEvents, maxPerSpan: configuration.maxChunkEventsPerSpan)),
            ComponentTracingPlugin(core: application, spans: spans, content: content, openInference: openInference),
            ToolTracingPlugin(core: application, spans: spans, content: content, openInference: openInference),
            StreamingTracingPlugin(core: application, spans: spans, content: content, openInference: openInference),
            SamplingTracingPlugin(core: application, spans: spans, content: content, openInference: openInference),
        ]
        return install(Setup(configuration: configuration, pipeline: pipeline, processor: processor, registry: registry,
                             core: core, plugins: plugins, inFlightSpans: spans),
                       registry: registry, bootstrapInstrumentationSystem: bootstrapInstrumentationSystem)
    }

    private static func install(_ setup: Setup, registry: HookRegistry, bootstrapInstrumentationSystem: Bool) -> Setup {
        let previous = state.withLock { state -> Setup? in
            defer { state.setup = setup }
            return state.setup
        }
        if let previous {
            for plugin in previous.plugins { previous.registry.unregister(plugin) }
            previous.processor.shutdown(timeout: .seconds(5))
        }
        for plugin in setup.plugins { registry.register(plugin) }
        let bootstrapNow = bootstrapInstrumentationSystem && setup.isEnabled && state.withLock { state in
            defer { state.instrumentationBootstrapped = true }
            return !state.instrumentationBootstrapped
        }
        if bootstrapNow {
            // The application may have bootstrapped its own instrumentation (e.g. swift-otel):
            // bootstrapping twice is a fatal error, so only take an untouched system.
            if InstrumentationSystem.instrument is NoOpInstrument {
                InstrumentationSystem.bootstrap(MelleaTracer.current)
            } else {
                registry.diagnostics.report(.info,
                    "InstrumentationSystem is already bootstrapped by the application: GenAI spans still nest through MelleaTracer.current")
            }
        }
        return setup
    }

    /// Exports everything ended so far; `false` if the timeout ran out first.
    @discardableResult
    public static func forceFlush(timeout: Duration = .seconds(5)) -> Bool {
        current?.processor.forceFlush(timeout: timeout) ?? true
    }

    /// Flushes and stops the export pipeline and unsubscribes the tracing plugins; returns within `timeout`.
    @discardableResult
    public static func shutdown(timeout: Duration = .seconds(5)) -> Bool {
        let setup = state.withLock { state -> Setup? in
            defer { state.setup = nil }
            return state.setup
        }
        guard let setup else { return true }
        for plugin in setup.plugins { setup.registry.unregister(plugin) }
        return setup.processor.shutdown(timeout: timeout)
    }

    /// Shuts down and forgets the current setup, so a test can bootstrap again from scratch.
    public static func resetForTesting() {
        shutdown(timeout: .seconds(2))
    }
}
