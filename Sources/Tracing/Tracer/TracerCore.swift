import OTLPExport

/// What every span of one tracer shares: where ended spans go, the sampler, the limits, the scope.
public final class TracerCore: Sendable {
    /// Receives every ended, sampled span.
    public let processor: any SpanProcessor
    /// Decides which new spans are recorded.
    public let sampler: Sampler
    /// Span limits.
    public let limits: SpanLimits
    /// The instrumentation scope of the spans.
    public var scope: InstrumentationScope { internedScope._withUnsafeGuaranteedRef { $0.scope } }
    /// Its shared copy, which every span record points at.
    @usableFromInline package let internedScope: Unmanaged<InternedScope>
    /// Whether error messages (which may echo prompts) are recorded; only with content capture.
    public let recordsErrorMessages: Bool

    /// Creates a tracer core. Its scope is kept for the life of the process (see
    /// ``OTLPExport/InstrumentationScope``).
    public init(processor: any SpanProcessor, sampler: Sampler = .parentBased(root: .alwaysOn),
                limits: SpanLimits = SpanLimits(),
                scope: InstrumentationScope = InstrumentationScope(name: "mellea", version: Resource.sdkVersion),
                recordsErrorMessages: Bool = false) {
        self.processor = processor
        self.recordsErrorMessages = recordsErrorMessages
        self.sampler = sampler
        self.limits = limits
        internedScope = InternedScope.intern(scope)
    }

    /// The same pipeline under another instrumentation scope (kept for the life of the process:
    /// use a fixed name, one per library or plugin).
    public func withScope(_ name: String) -> TracerCore {
        TracerCore(processor: processor, sampler: sampler, limits: limits,
                   scope: InstrumentationScope(name: name, version: scope.version, schemaURL: scope.schemaURL),
                   recordsErrorMessages: recordsErrorMessages)
    }

    /// Starts a span on the fast path; `parent` defaults to the task's current span.
    @inlinable
    public func startSpan(_ name: String, kind: OTLPExport.SpanKind = .internal,
                          parent: SpanContext? = InstrumentationContext.current?.spanContext,
                          at time: UInt64? = nil) -> SpanBuilder {
        SpanBuilder(core: self, name: name, kind: kind, parent: parent, startTime: time ?? WallClock.now())
    }
}

import Tracing
