import Synchronization

/// The role of a span in a trace (OTLP `SpanKind`).
public enum SpanKind: Int32, Sendable {
    case unspecified = 0, `internal` = 1, server = 2, client = 3, producer = 4, consumer = 5
}

/// The final status of a span (OTLP `Status`).
public enum SpanStatus: Sendable, Equatable {
    case unset
    case ok
    /// An error, with a description for humans.
    case error(description: String)
}

/// A timestamped event inside a span.
public struct SpanEvent: Sendable, Equatable {
    /// Event name, e.g. `gen_ai.content.first_token`.
    public let name: String
    /// Nanoseconds since the Unix epoch.
    public let timeUnixNano: UInt64
    /// Event attributes.
    public let attributes: [Attribute]
    /// Attributes removed by the span limits.
    public let droppedAttributesCount: UInt32

    /// Creates an event.
    public init(name: String, timeUnixNano: UInt64, attributes: [Attribute] = [],
                droppedAttributesCount: UInt32 = 0) {
        self.name = name
        self.timeUnixNano = timeUnixNano
        self.attributes = attributes
        self.droppedAttributesCount = droppedAttributesCount
    }
}

/// A link from a span to another span, possibly in another trace.
public struct SpanLink: Sendable, Equatable {
    /// The linked span's trace.
    public let traceID: TraceID
    /// The linked span.
    public let spanID: SpanID
    /// The linked span's W3C trace flags.
    public let traceFlags: UInt8
    /// The linked span's W3C `tracestate` header value.
    public let traceState: String
    /// Link attributes.
    public let attributes: [Attribute]
    /// Attributes removed by the span limits.
    public let droppedAttributesCount: UInt32

    /// Creates a link.
    public init(traceID: TraceID, spanID: SpanID, traceFlags: UInt8 = 1, traceState: String = "",
                attributes: [Attribute] = [], droppedAttributesCount: UInt32 = 0) {
        self.traceID = traceID
        self.spanID = spanID
        self.traceFlags = traceFlags
        self.traceState = traceState
        self.attributes = attributes
        self.droppedAttributesCount = droppedAttributesCount
    }
}

/// The library or module that produced a span (OTLP `InstrumentationScope`).
///
/// Spans point at one shared copy of their scope, kept for the life of the process: use a small,
/// fixed set of scopes (one per library or plugin), never names made up at run time.
public struct InstrumentationScope: Sendable, Hashable {
    /// Scope name, e.g. `mellea.backend`.
    public let name: String
    /// Scope version.
    public let version: String
    /// The semantic-conventions schema the scope's spans follow (`ScopeSpans.schema_url`), or empty.
    public let schemaURL: String

    /// Creates a scope.
    public init(name: String, version: String = "", schemaURL: String = "") {
        self.name = name
        self.version = version
        self.schemaURL = schemaURL
    }
}

/// One shared, never-freed copy of each distinct scope a process uses.
///
/// A span record points at its scope's copy instead of holding the scope's two strings: making a
/// span then copies and releases no string for it, and the encoder groups spans by comparing
/// pointers. The registry holds every copy for the life of the process (so a record's pointer
/// never dangles): about 120–250 bytes per distinct scope. Scopes name libraries and plugins, a
/// small fixed set; a scope name made up at run time (per request, per model) would grow it
/// without end. Scopes are told apart by their UTF-8 bytes (not by `String` equality, which
/// would merge canonically equivalent spellings into the first one seen).
@usableFromInline package final class InternedScope: Sendable {
    /// The scope.
    package let scope: InstrumentationScope

    private init(_ scope: InstrumentationScope) { self.scope = scope }

    private struct Key: Hashable {
        let name: [UInt8]
        let version: [UInt8]
        let schemaURL: [UInt8]
    }

    private static let registry = Locked<[Key: InternedScope]>([:])

    /// The shared copy of `scope` (made on first use). Takes a process-wide lock: called once per
    /// tracer core, and by the public `SpanRecord` initializer.
    package static func intern(_ scope: InstrumentationScope) -> Unmanaged<InternedScope> {
        let key = Key(name: Array(scope.name.utf8), version: Array(scope.version.utf8), schemaURL: Array(scope.schemaURL.utf8))
        let interned = registry.withLock { known in
            if let existing = known[key] { return existing }
            let made = InternedScope(scope)
            known[key] = made
            return made
        }
        return Unmanaged.passUnretained(interned)
    }
}

/// A span's data: everything an exporter needs.
///
/// The span API (`SpanBuilder` in MelleaTracing) fills the record while the span runs, from one
/// owner at a time, and hands it to a processor when the span ends; from then on it never changes
/// again, which is what makes it safe to share (`@unchecked Sendable`). Records made with the
/// public initializer are finished from the start.
///
/// A reference type so that the batch processor's queue moves one pointer per span, and so that
/// a span costs one allocation for its data (plus its attribute storage), not a builder and a copy.
public final class SpanRecord: @unchecked Sendable {
    // Stored properties in falling order of alignment, the one-byte ones last: no padding between.
    /// The trace the span belongs to.
    public let traceID: TraceID
    /// The span's own id.
    public let spanID: SpanID
    /// The parent span, or ``SpanID/invalid`` for a root span.
    public let parentSpanID: SpanID
    /// Start, in nanoseconds since the Unix epoch.
    public let startTimeUnixNano: UInt64
    /// End, in nanoseconds since the Unix epoch.
    @exclusivity(unchecked) public package(set) var endTimeUnixNano: UInt64
    /// W3C `tracestate` header value.
    public let traceState: String
    /// Span name.
    @exclusivity(unchecked) public package(set) var name: String
    /// Span attributes, in the order they were set (a copy; see ``withAttributes(_:)``).
    public var attributes: [Attribute] { attributeStorage.array }
    /// The attributes, stored in one block the record owns.
    @exclusivity(unchecked) @usableFromInline package var attributeStorage: AttributeStorage
    /// Span events, in the order they were added.
    public var events: [SpanEvent] { eventList.array }
    /// The events, stored without an array allocation for the first one.
    @exclusivity(unchecked) @usableFromInline package var eventList: SpanEventList
    /// Span links.
    @exclusivity(unchecked) public package(set) var links: [SpanLink]
    /// The library that produced the span.
    public var scope: InstrumentationScope { internedScope._withUnsafeGuaranteedRef { $0.scope } }
    /// The shared copy of the scope (kept by its registry for the life of the process).
    package let internedScope: Unmanaged<InternedScope>
    /// Final status.
    @exclusivity(unchecked) public package(set) var status: SpanStatus
    /// Attributes removed by the span limits.
    @exclusivity(unchecked) public package(set) var droppedAttributesCount: UInt32
    /// Events removed by the span limits.
    @exclusivity(unchecked) public package(set) var droppedEventsCount: UInt32
    /// Links removed by the span limits.
    @exclusivity(unchecked) public package(set) var droppedLinksCount: UInt32
    /// W3C trace flags (bit 0: sampled).
    public let traceFlags: UInt8
    /// Whether the parent span lives in another process (sets the OTLP span flags bits).
    public let parentIsRemote: Bool?
    /// Span kind.
    public let kind: SpanKind
    /// Whether the span has ended (always true for records made with the public initializer).
    public var hasEnded: Bool { ended.load(ordering: .acquiring) }
    /// Set exactly once, by the one `finish` that wins the compare-and-swap: two threads racing to
    /// end a span (a timeout path and a completion path) cannot both hand it to the processor.
    @usableFromInline package let ended: Atomic<Bool>

    /// Creates a finished span record. A record holds at most 65,535 attributes: any beyond are
    /// added to `droppedAttributesCount`. Finds the scope's shared copy under a process-wide lock
    /// (see ``InstrumentationScope``); spans made through a tracer do not take it.
    public convenience init(traceID: TraceID, spanID: SpanID, parentSpanID: SpanID = .invalid,
                            traceFlags: UInt8 = 1, traceState: String = "", parentIsRemote: Bool? = nil,
                            name: String, kind: SpanKind = .internal,
                            startTimeUnixNano: UInt64, endTimeUnixNano: UInt64,
                            attributes: [Attribute] = [], events: [SpanEvent] = [], links: [SpanLink] = [],
                            status: SpanStatus = .unset, scope: InstrumentationScope,
                            droppedAttributesCount: UInt32 = 0, droppedEventsCount: UInt32 = 0,
                            droppedLinksCount: UInt32 = 0) {
        self.init(traceID: traceID, spanID: spanID, parentSpanID: parentSpanID, traceFlags: traceFlags,
                  traceState: traceState, parentIsRemote: parentIsRemote, name: name, kind: kind,
                  startTimeUnixNano: startTimeUnixNano, scope: InternedScope.intern(scope), attributeCapacity: 0)
        self.endTimeUnixNano = endTimeUnixNano
        attributeStorage = AttributeStorage(copying: attributes)
        eventList = SpanEventList(events)
        self.links = links
        self.status = status
        let beyondStorage = UInt32(clamping: attributes.count - attributeStorage.count)
        let (total, overflow) = droppedAttributesCount.addingReportingOverflow(beyondStorage)
        self.droppedAttributesCount = overflow ? .max : total
        self.droppedEventsCount = droppedEventsCount
        self.droppedLinksCount = droppedLinksCount
        ended.store(true, ordering: .releasing)
    }

    /// A running span's record, filled by its builder until it ends.
    @usableFromInline
    package init(traceID: TraceID, spanID: SpanID, parentSpanID: SpanID, traceFlags: UInt8, traceState: String,
                 parentIsRemote: Bool?, name: String, kind: SpanKind, startTimeUnixNano: UInt64,
                 scope: Unmanaged<InternedScope>, attributeCapacity: Int) {
        self.traceID = traceID
        self.spanID = spanID
        self.parentSpanID = parentSpanID
        self.traceFlags = traceFlags
        self.traceState = traceState
        self.parentIsRemote = parentIsRemote
        self.name = name
        self.kind = kind
        self.startTimeUnixNano = startTimeUnixNano
        endTimeUnixNano = startTimeUnixNano
        attributeStorage = AttributeStorage(capacity: attributeCapacity)
        eventList = SpanEventList()
        links = []
        status = .unset
        internedScope = scope
        droppedAttributesCount = 0
        droppedEventsCount = 0
        droppedLinksCount = 0
        ended = Atomic(false)
    }

    /// Calls `body` with the span's attributes without copying them.
    public func withAttributes<R>(_ body: (UnsafeBufferPointer<Attribute>) throws -> R) rethrows -> R {
        try attributeStorage.withBuffer(body)
    }
}

/// A span's events: the first one inline, the rest in an array, so that the common span with
/// zero or one event allocates nothing for them.
@usableFromInline
package struct SpanEventList: Sendable {
    @usableFromInline var first: SpanEvent?
    /// Stored (in what would be padding after `first`) so that neither the count nor an append
    /// copies `first` to compare it with `nil`.
    @usableFromInline var storedCount: UInt32 = 0
    @usableFromInline var rest: [SpanEvent] = []

    package init() {}

    package init(_ events: [SpanEvent]) {
        first = events.first
        rest = Array(events.dropFirst())
        storedCount = UInt32(events.count)
    }

    /// Number of events.
    @inlinable
    package var count: Int { Int(storedCount) }

    @usableFromInline
    package mutating func append(_ event: consuming SpanEvent) {
        if storedCount == 0 { first = consume event } else { rest.append(event) }
        storedCount &+= 1
    }

    /// Calls `body` with each event and its index, in order.
    @inline(__always)
    package func forEach(_ body: (Int, SpanEvent) -> Void) {
        guard let first else { return }
        body(0, first)
        for (index, event) in rest.enumerated() { body(index + 1, event) }
    }

    /// The events as an array (allocates; for readers off the hot path).
    package var array: [SpanEvent] {
        guard let first else { return [] }
        return [first] + rest
    }
}
