import OTLPExport
import Tracing

/// A span being recorded, on the library's fastest path: no lock, one owner at a time.
///
/// A builder is a handle on the span's ``SpanRecord``: copies of it refer to the same span. Tracing
/// plugins hand it from the hook that opens a span to the hook that closes it, never using it from
/// two threads at once; that discipline is what `@unchecked Sendable` states. When the span ends,
/// the record itself goes to the processor: no copy, no second allocation. For the thread-safe
/// swift-distributed-tracing `Span`, see ``MelleaSpan``.
public struct SpanBuilder: @unchecked Sendable {
    /// The span's data, as the exporter will see it; handed to the processor at `end`.
    @usableFromInline package let record: SpanRecord
    @usableFromInline let core: TracerCore

    @inlinable
    init(core: TracerCore, name: String, kind: OTLPExport.SpanKind, parent: SpanContext?, startTime: UInt64) {
        // An invalid parent (an all-zero trace or span id) is no parent: the span starts a new
        // trace instead of joining trace 000…0, which no back end can show. Checked apart from the
        // construction below, whose single binding of the parent keeps it from being copied
        // (checking inside it cost ~40 ns a span, W0).
        if Self.isInvalid(parent) {
            self.init(core: core, name: name, kind: kind, validParent: nil, startTime: startTime)
        } else {
            self.init(core: core, name: name, kind: kind, validParent: parent, startTime: startTime)
        }
    }

    /// Whether `parent` is present but has an all-zero trace or span id.
    @inlinable
    static func isInvalid(_ parent: borrowing SpanContext?) -> Bool {
        switch parent {
        case .some(let context): return !context.traceID.isValid || !context.spanID.isValid
        case .none: return false
        }
    }

    @inlinable
    init(core: TracerCore, name: String, kind: OTLPExport.SpanKind, validParent parent: SpanContext?, startTime: UInt64) {
        self.core = core
        // One binding of the parent: each optional chain on it would copy the whole context.
        let traceID: TraceID, parentSpanID: SpanID, traceState: String, parentIsRemote: Bool?
        if let parent {
            (traceID, parentSpanID, traceState, parentIsRemote) = (parent.traceID, parent.spanID, parent.traceState, parent.isRemote)
        } else {
            (traceID, parentSpanID, traceState, parentIsRemote) = (IDGenerator.traceID(), .invalid, "", nil)
        }
        let sampled = core.sampler.shouldSample(traceID: traceID, parent: parent)
        record = SpanRecord(traceID: traceID, spanID: IDGenerator.spanID(), parentSpanID: parentSpanID,
                            traceFlags: sampled ? 1 : 0, traceState: traceState, parentIsRemote: parentIsRemote,
                            name: name, kind: kind, startTimeUnixNano: startTime, scope: core.internedScope,
                            attributeCapacity: sampled ? min(12, core.limits.attributeCount) : 0)
    }

    /// The span's identity.
    public var context: SpanContext {
        SpanContext(traceID: record.traceID, spanID: record.spanID, traceFlags: record.traceFlags,
                    traceState: record.traceState)
    }
    /// The parent span, if any.
    public var parentSpanID: SpanID { record.parentSpanID }
    /// Whether the span is recorded (false when the sampler said no).
    @inlinable
    public var isRecording: Bool { record.traceFlags & 1 != 0 }
    /// Whether the span has ended.
    public var hasEnded: Bool { record.isFinished }
    /// The span's kind.
    public var kind: OTLPExport.SpanKind { record.kind }
    /// The span's name; it may change until the span ends.
    public var name: String {
        get { record.name }
        nonmutating set { record.rename(newValue) }
    }

    /// Sets (or replaces) an attribute, within the span limits.
    public func setAttribute(_ key: consuming String, _ value: consuming AttributeValue) {
        record.setAttribute(Attribute(key, limited(value)), limit: core.limits.attributeCount)
    }

    /// Appends an attribute known not to be set yet (no duplicate check): the fastest path.
    @inlinable @inline(__always)
    public func appendAttribute(_ key: consuming String, _ value: consuming AttributeValue) {
        record.appendAttribute(key, limited(value), limit: core.limits.attributeCount)
    }

    @inlinable @inline(__always)
    func limited(_ value: consuming AttributeValue) -> AttributeValue {
        guard let limit = core.limits.attributeValueLength else { return value }
        return SpanLimits.truncate(value, to: limit)
    }

    /// Every attribute set so far.
    public var currentAttributes: [Attribute] { record.attributes }

    /// Replaces every attribute (within the limits).
    public func replaceAttributes(_ new: [Attribute]) {
        guard record.acceptsChanges else { return }
        record.removeAllAttributes()
        for attribute in new { setAttribute(attribute.key, attribute.value) }
    }

    /// Whether error messages may be recorded on this span (content capture is on).
    public var recordsErrorMessages: Bool { core.recordsErrorMessages }

    /// The attribute value for `key`, if set.
    public func attribute(_ key: String) -> AttributeValue? { record.attributeValue(key) }

    /// Adds an event at `time` (now by default; never before the span's start, to which an
    /// earlier time is moved).
    @inlinable @inline(__always)
    public func addEvent(_ name: String, attributes: [Attribute] = [], at time: UInt64? = nil) {
        guard record.acceptsChanges else { return }
        let time = max(time ?? WallClock.now(), record.startTimeUnixNano)
        record.appendEvent(OTLPExport.SpanEvent(name: name, timeUnixNano: time, attributes: attributes),
                           limit: core.limits.eventCount)
    }

    /// Adds a link to another span.
    public func addLink(_ context: SpanContext, attributes: [Attribute] = []) {
        guard record.acceptsChanges else { return }
        record.appendLink(OTLPExport.SpanLink(traceID: context.traceID, spanID: context.spanID,
                                              traceFlags: context.traceFlags, traceState: context.traceState,
                                              attributes: attributes), limit: core.limits.linkCount)
    }

    /// Sets the status; the last call before `end` wins.
    public func setStatus(_ status: OTLPExport.SpanStatus) { record.setRunningStatus(status) }

    /// Records an error: an `exception` event, `error.type`, and status ERROR with `description`.
    public func recordError(type: String, description: String) {
        addEvent("exception", attributes: [Attribute("exception.type", .string(type)),
                                           Attribute("exception.message", .string(description))])
        setAttribute("error.type", .string(type))
        setStatus(.error(description: description))
    }

    /// Ends the span at `time` (now by default) and hands its record to the export pipeline. Only
    /// the first call counts, also when several threads call it at once (a timeout path racing a
    /// completion path): one compare-and-swap decides, no lock. A `time` before the span's start
    /// ends it at its start, so that no span has a negative duration (a wall clock may step back).
    @inlinable
    public func end(at time: UInt64? = nil) {
        guard !record.isFinished, record.finish(at: time ?? WallClock.now()), isRecording else { return }
        core.processor.onEnd(record)
    }
}
