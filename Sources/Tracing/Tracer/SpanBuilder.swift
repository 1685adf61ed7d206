import OTLPExport
import Tracing

/// A span being recorded, on the library's fastest path: no lock, one owner at a time.
///
/// Tracing plugins hand a builder from the hook that opens a span to the hook that closes it,
/// never using it from two threads at once; that discipline is what `@unchecked Sendable` states.
/// For the thread-safe swift-distributed-tracing `Span`, see ``MelleaSpan``.
///
/// Exclusivity is not checked at run time on its storage: the single-owner rule above is what
/// guarantees it, and the checks would cost more than the rest of the span.
public final class SpanBuilder: @unchecked Sendable {
    /// The span's identity.
    public let context: SpanContext
    /// The parent span, if any.
    public let parentSpanID: SpanID
    /// Whether the span is recorded (false when the sampler said no).
    public let isRecording: Bool
    /// The span's name; it may change until the span ends.
    @exclusivity(unchecked) public var name: String
    /// The span's kind.
    public let kind: OTLPExport.SpanKind
    private let core: TracerCore
    private let parentIsRemote: Bool?
    private let startTime: UInt64
    @usableFromInline let attributeLimit: Int
    @usableFromInline let eventLimit: Int
    @usableFromInline let valueLengthLimit: Int?
    @exclusivity(unchecked) @usableFromInline var attributes: [Attribute] = []
    @exclusivity(unchecked) @usableFromInline var events: [OTLPExport.SpanEvent] = []
    @exclusivity(unchecked) private var links: [OTLPExport.SpanLink] = []
    @exclusivity(unchecked) private var status: OTLPExport.SpanStatus = .unset
    @exclusivity(unchecked) @usableFromInline var droppedAttributes: UInt32 = 0
    @exclusivity(unchecked) @usableFromInline var droppedEvents: UInt32 = 0
    @exclusivity(unchecked) @usableFromInline private(set) var hasEnded = false

    init(core: TracerCore, name: String, kind: OTLPExport.SpanKind, parent: SpanContext?, startTime: UInt64) {
        self.core = core
        self.name = name
        self.kind = kind
        let traceID = parent?.traceID ?? IDGenerator.traceID()
        let sampled = core.sampler.shouldSample(traceID: traceID, parent: parent)
        context = SpanContext(traceID: traceID, spanID: IDGenerator.spanID(), traceFlags: sampled ? 1 : 0,
                              traceState: parent?.traceState ?? "")
        parentSpanID = parent?.spanID ?? .invalid
        parentIsRemote = parent.map(\.isRemote)
        isRecording = sampled
        self.startTime = startTime
        attributeLimit = core.limits.attributeCount
        eventLimit = core.limits.eventCount
        valueLengthLimit = core.limits.attributeValueLength
        if sampled { attributes.reserveCapacity(12) }
    }

    /// Sets (or replaces) an attribute, within the span limits.
    public func setAttribute(_ key: String, _ value: AttributeValue) {
        guard isRecording, !hasEnded else { return }
        let value = valueLengthLimit == nil ? value : SpanLimits.truncate(value, to: valueLengthLimit!)
        if let index = attributes.firstIndex(where: { $0.key == key }) {
            attributes[index] = Attribute(key, value)
        } else if attributes.count < attributeLimit {
            attributes.append(Attribute(key, value))
        } else {
            droppedAttributes += 1
        }
    }

    /// Appends an attribute known not to be set yet (no duplicate check): the fastest path.
    @inlinable
    public func appendAttribute(_ key: String, _ value: AttributeValue) {
        guard isRecording, !hasEnded else { return }
        if attributes.count < attributeLimit {
            attributes.append(Attribute(key, valueLengthLimit == nil ? value : SpanLimits.truncate(value, to: valueLengthLimit!)))
        } else {
            droppedAttributes &+= 1
        }
    }

    /// Every attribute set so far.
    public var currentAttributes: [Attribute] { attributes }

    /// Replaces every attribute (within the limits).
    public func replaceAttributes(_ new: [Attribute]) {
        guard isRecording, !hasEnded else { return }
        attributes.removeAll(keepingCapacity: true)
        for attribute in new { setAttribute(attribute.key, attribute.value) }
    }

    /// Whether error messages may be recorded on this span (content capture is on).
    public var recordsErrorMessages: Bool { core.recordsErrorMessages }

    /// The attribute value for `key`, if set.
    public func attribute(_ key: String) -> AttributeValue? { attributes.first { $0.key == key }?.value }

    /// Adds an event at `time` (now by default).
    @inlinable
    public func addEvent(_ name: String, attributes: [Attribute] = [], at time: UInt64? = nil) {
        guard isRecording, !hasEnded else { return }
        guard events.count < eventLimit else { droppedEvents &+= 1; return }
        events.append(OTLPExport.SpanEvent(name: name, timeUnixNano: time ?? WallClock.now(), attributes: attributes))
    }

    /// Adds a link to another span.
    public func addLink(_ context: SpanContext, attributes: [Attribute] = []) {
        guard isRecording, !hasEnded, links.count < core.limits.linkCount else { return }
        links.append(OTLPExport.SpanLink(traceID: context.traceID, spanID: context.spanID,
                                         traceFlags: context.traceFlags, traceState: context.traceState,
                                         attributes: attributes))
    }

    /// Sets the status; the last call before `end` wins.
    public func setStatus(_ status: OTLPExport.SpanStatus) {
        guard !hasEnded else { return }
        self.status = status
    }

    /// Records an error: an `exception` event, `error.type`, and status ERROR with `description`.
    public func recordError(type: String, description: String) {
        addEvent("exception", attributes: [Attribute("exception.type", .string(type)),
                                           Attribute("exception.message", .string(description))])
        setAttribute("error.type", .string(type))
        setStatus(.error(description: description))
    }

    /// Ends the span (once; later calls do nothing) and hands it to the export pipeline.
    public func end(at time: UInt64? = nil) {
        guard !hasEnded else { return }
        hasEnded = true
        guard isRecording else { return }
        core.processor.onEnd(SpanRecord(
            traceID: context.traceID, spanID: context.spanID, parentSpanID: parentSpanID,
            traceFlags: context.traceFlags, traceState: context.traceState, parentIsRemote: parentIsRemote,
            name: name, kind: kind, startTimeUnixNano: startTime, endTimeUnixNano: time ?? WallClock.now(),
            attributes: attributes, events: events, links: links, status: status, scope: core.scope,
            droppedAttributesCount: droppedAttributes, droppedEventsCount: droppedEvents))
    }
}
