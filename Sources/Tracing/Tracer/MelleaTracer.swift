import OTLPExport
import Synchronization
import Tracing

/// The library's tracer for apple/swift-distributed-tracing: spans started through `withSpan` by
/// any instrumented library nest under the GenAI spans, and the GenAI spans under theirs.
public struct MelleaTracer: Tracer {
    public typealias Span = MelleaSpan

    /// Where spans go; read each time, so re-bootstrapping takes effect at once.
    private let resolveCore: @Sendable () -> TracerCore?

    /// A tracer over a fixed core.
    public init(core: TracerCore) { resolveCore = { core } }

    /// A tracer that follows whatever ``TracingSystem`` has bootstrapped.
    public static let current = MelleaTracer(resolve: { TracingSystem.currentCore })

    private init(resolve: @escaping @Sendable () -> TracerCore?) { resolveCore = resolve }

    public func startSpan<Instant: TracerInstant>(
        _ operationName: String, context: @autoclosure () -> InstrumentationContext, ofKind kind: Tracing.SpanKind,
        at instant: @autoclosure () -> Instant, function: String, file fileID: String, line: UInt
    ) -> MelleaSpan {
        let parentContext = context()
        let start = instant().nanosecondsSinceEpoch
        guard let core = resolveCore() else { return MelleaSpan(noopIn: parentContext, name: operationName) }
        let builder = SpanBuilder(core: core, name: operationName, kind: OTLPExport.SpanKind(kind),
                                  parent: parentContext.spanContext, startTime: start)
        return MelleaSpan(builder: builder, parentContext: parentContext)
    }

    public func forceFlush() { _ = resolveCore()?.processor.forceFlush(timeout: .seconds(5)) }

    public func inject<Carrier, Inject: Injector>(_ context: InstrumentationContext, into carrier: inout Carrier,
                                                   using injector: Inject) where Inject.Carrier == Carrier {
        guard let span = context.spanContext else { return }
        injector.inject(W3CTraceContext.traceparent(for: span), forKey: W3CTraceContext.traceparent, into: &carrier)
        if !span.traceState.isEmpty {
            injector.inject(span.traceState, forKey: W3CTraceContext.tracestate, into: &carrier)
        }
    }

    public func extract<Carrier, Extract: Extractor>(_ carrier: Carrier, into context: inout InstrumentationContext,
                                                      using extractor: Extract) where Extract.Carrier == Carrier {
        guard let header = extractor.extract(key: W3CTraceContext.traceparent, from: carrier),
              let span = W3CTraceContext.parse(traceparent: header,
                                               tracestate: extractor.extract(key: W3CTraceContext.tracestate, from: carrier))
        else { return }
        context.spanContext = span
    }
}

/// A span of ``MelleaTracer``: thread-safe, as swift-distributed-tracing requires.
public final class MelleaSpan: Tracing.Span {
    public let context: InstrumentationContext
    private let builder: SpanBuilder?
    /// The span's attributes in swift-distributed-tracing's form, converted once, at `end`.
    private let lock = Locked<SpanAttributes>(SpanAttributes())
    private let noopName: String

    init(builder: SpanBuilder, parentContext: InstrumentationContext) {
        var context = parentContext
        context.spanContext = builder.context
        self.context = context
        self.builder = builder
        noopName = ""
    }

    init(noopIn context: InstrumentationContext, name: String) {
        self.context = context
        builder = nil
        noopName = name
    }

    public var operationName: String {
        get { lock.withLock { _ in builder?.name ?? noopName } }
        set { lock.withLock { _ in builder?.name = newValue } }
    }

    public var isRecording: Bool { lock.withLock { _ in builder.map { $0.isRecording && !$0.hasEnded } ?? false } }

    public var attributes: SpanAttributes {
        get { lock.withLock { $0 } }
        set { lock.withLock { $0 = newValue } }
    }

    /// Updates the attributes in one go. Used where the span's static type is `MelleaSpan`; code
    /// that holds `any Span` gets the protocol extension's version, which copies the dictionary out,
    /// mutates the copy (copying its storage) and writes it back.
    ///
    /// Here the dictionary is taken out of the span, updated without a copy and without the lock
    /// held (so `update` may use the span), and put back; attributes set on the span while `update`
    /// runs are kept and win over its own. Inside `update`, the span's `attributes` read as empty.
    public func updateAttributes(_ update: (inout SpanAttributes) -> Void) {
        var attributes = lock.withLock { stored in
            defer { stored = SpanAttributes() }
            return stored
        }
        // A batch onto an empty, recorded span: room for a typical span's attributes at once,
        // rather than a dictionary that regrows at 1, 2, 4 and 8 entries.
        if attributes.isEmpty, builder?.isRecording == true { attributes.reserveCapacity(16) }
        update(&attributes)
        lock.withLock { stored in
            attributes.merge(stored)
            stored = attributes
        }
    }

    public func setStatus(_ status: Tracing.SpanStatus) {
        lock.withLock { _ in
            switch status.code {
            case .ok: builder?.setStatus(.ok)
            case .error: builder?.setStatus(.error(description: status.message ?? ""))
            }
        }
    }

    public func addEvent(_ event: Tracing.SpanEvent) {
        lock.withLock { _ in
            builder?.addEvent(event.name, attributes: Attribute.converting(event.attributes),
                              at: event.nanosecondsSinceEpoch)
        }
    }

    public func recordError<Instant: TracerInstant>(_ error: any Error, attributes: SpanAttributes,
                                                    at instant: @autoclosure () -> Instant) {
        lock.withLock { _ in
            guard let builder else { return }
            // The message may echo a prompt: recorded only when content capture is on.
            var details = [Attribute("exception.type", .string(String(describing: type(of: error))))]
            if builder.recordsErrorMessages { details.append(Attribute("exception.message", .string(String(describing: error)))) }
            builder.addEvent("exception", attributes: details + Attribute.converting(attributes), at: instant().nanosecondsSinceEpoch)
        }
    }

    public func addLink(_ link: Tracing.SpanLink) {
        lock.withLock { _ in
            if let target = link.context.spanContext { builder?.addLink(target, attributes: Attribute.converting(link.attributes)) }
        }
    }

    public func end<Instant: TracerInstant>(at instant: @autoclosure () -> Instant) {
        let time = instant().nanosecondsSinceEpoch
        lock.withLock { attributes in
            guard let builder, !builder.hasEnded else { return }
            // The dictionary's keys are unique: onto a span with no attributes yet they go as they
            // come, with no search for an earlier one of the same key and no intermediate array.
            // (Only `end` gives this span's record attributes, so it is always fresh here; the
            // other branch keeps that true should another path ever add some.)
            if builder.isRecording {  // an unsampled span keeps nothing: convert nothing
                let fresh = builder.record.attributeStorage.count == 0
                attributes.forEach { key, value in
                    guard let converted = AttributeValue(value) else { return }
                    if fresh { builder.appendAttribute(key, converted) } else { builder.setAttribute(key, converted) }
                }
            }
            builder.end(at: time)
        }
    }
}

extension OTLPExport.SpanKind {
    init(_ kind: Tracing.SpanKind) {
        switch kind {
        case .server: self = .server
        case .client: self = .client
        case .producer: self = .producer
        case .consumer: self = .consumer
        case .internal: self = .internal
        }
    }
}

extension AttributeValue {
    /// Converts a swift-distributed-tracing attribute; `nil` for kinds OTLP cannot carry.
    init?(_ attribute: SpanAttribute) {
        switch attribute {
        case .int32(let v): self = .int(Int64(v))
        case .int64(let v): self = .int(v)
        case .int32Array(let v): self = .intArray(v.map(Int64.init))
        case .int64Array(let v): self = .intArray(v)
        case .double(let v): self = .double(v)
        case .doubleArray(let v): self = .doubleArray(v)
        case .bool(let v): self = .bool(v)
        case .boolArray(let v): self = .boolArray(v)
        case .string(let v): self = .string(v)
        case .stringArray(let v): self = .stringArray(v)
        case .stringConvertible(let v): self = .string(v.description)
        case .stringConvertibleArray(let v): self = .stringArray(v.map(\.description))
        default: return nil
        }
    }
}

extension SpanAttribute {
    init(_ value: AttributeValue) {
        switch value {
        case .string(let v): self = .string(v)
        case .bool(let v): self = .bool(v)
        case .int(let v): self = .int64(v)
        case .double(let v): self = .double(v)
        case .stringArray(let v): self = .stringArray(v)
        case .boolArray(let v): self = .boolArray(v)
        case .intArray(let v): self = .int64Array(v)
        case .doubleArray(let v): self = .doubleArray(v)
        case .bytes(let v): self = .string(hexString(v))
        }
    }
}

extension Attribute {
    static func converting(_ attributes: SpanAttributes) -> [Attribute] {
        var result: [Attribute] = []
        attributes.forEach { key, value in
            if let converted = AttributeValue(value) { result.append(Attribute(key, converted)) }
        }
        return result
    }
}
