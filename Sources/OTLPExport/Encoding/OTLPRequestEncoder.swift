import CGRPC

/// One packed `ExportTraceServiceRequest`.
public struct EncodedRequest: Sendable {
    /// The serialized request, in the gRPC slice every attempt sends.
    package let payload: RequestPayload
    /// How many spans it carries.
    public let spanCount: Int

    /// The serialized request (a copy).
    public var bytes: [UInt8] { payload.withBytes { Array($0) } }
}

/// A request's bytes in a reference-counted gRPC slice (`cgrpc_payload`), written once and never
/// changed afterwards; each call attempt sends it without copying.
package final class RequestPayload: @unchecked Sendable {
    private let payload: OpaquePointer
    private let buffer: UnsafeBufferPointer<UInt8>
    /// Number of bytes.
    package var count: Int { buffer.count }

    /// A payload of `count` bytes that `write` fills completely, returning how many it wrote.
    package init(count: Int, write: (UnsafeMutablePointer<UInt8>) -> Int) {
        guard let payload = cgrpc_payload_create(count) else {
            fatalError("out of memory for a \(count)-byte OTLP request")
        }
        self.payload = payload
        let start = cgrpc_payload_bytes(payload)!
        let written = write(start)
        precondition(written == count, "OTLP request size mismatch: \(written) != \(count)")
        buffer = UnsafeBufferPointer(start: start, count: count)
    }

    deinit { cgrpc_payload_destroy(payload) }

    /// Calls `body` with the bytes; they live in a recycled buffer, so the pointer must not escape.
    package func withBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try withExtendedLifetime(self) { try body(buffer) }
    }

    /// The payload as the C call takes it.
    package var cPayload: OpaquePointer { payload }
}

/// The requests a batch became, plus the spans too large for any request.
public struct EncodedBatch: Sendable {
    /// Requests, each within the size limit.
    public let requests: [EncodedRequest]
    /// Spans that alone exceed the size limit; they cannot be sent.
    public let oversizedSpans: Int
    /// Where the bytes of the first oversized span are, for the report that says what to limit.
    package var firstOversized: SpanSize? = nil
}

/// The packed size of a span by part: what made a span too large to send.
package struct SpanSize: Sendable, Equatable {
    /// Ids, name, kind, times (the name is the only part that can be large).
    package var head: Int
    /// Its attributes.
    package var attributes: Int
    /// Its events, links, status and dropped counts.
    package var eventsAndLinks: Int
    /// Its events and links.
    package var eventCount: Int
    package var linkCount: Int

    package var total: Int { head + attributes + eventsAndLinks }

    /// What to change so that such a span fits: the largest part, and the variable that bounds it.
    package var advice: String {
        if eventsAndLinks >= attributes && eventsAndLinks >= head {
            return "its \(eventCount) events and \(linkCount) links take \(eventsAndLinks) bytes: lower OTEL_SPAN_EVENT_COUNT_LIMIT "
                + "or OTEL_SPAN_LINK_COUNT_LIMIT, or record smaller events"
        }
        if attributes >= head {
            return "its attributes take \(attributes) bytes: set OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT "
                + "(or OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT) to bound them"
        }
        return "its name and ids take \(head) bytes: use a shorter span name"
    }
}

/// Encodes spans into OTLP `ExportTraceServiceRequest`s with protobuf-c.
///
/// Spans are grouped by instrumentation scope under one resource; a batch is split so that no
/// request exceeds `maxRequestBytes` before compression. Each span is packed by protobuf-c in
/// consecutive pieces (``ProtobufCMessages``): its head, each attribute, its tail, each straight
/// into a buffer of the size bound counted while building it. An attribute whose key and value
/// identify themselves (literals, short strings, numbers) is packed once and its bytes reused by
/// later spans (``PackedAttributeCache``). The resource is packed once per encoder. The wrapper
/// messages (request, resource spans, scope spans) are length-delimited headers written here, in
/// the field order protobuf-c uses, so the bytes equal packing the whole tree — without protobuf-c
/// sizing every span once per nesting level. Not thread-safe: use one encoder per thread.
public final class OTLPRequestEncoder {
    private let messages = ProtobufCMessages()
    let attributeCache = PackedAttributeCache()  // internal for tests
    /// The span being packed, and separately the attribute being packed (its length prefix goes
    /// before it in `span`).
    private let span = PackingBuffer()
    private let attribute = PackingBuffer()
    private let request: RequestAssembly

    /// Creates an encoder for spans of `resource`.
    public init(resource: Resource, maxRequestBytes: Int = 4 * 1024 * 1024) {
        let resourceBytes = Self.pack(messages.makeResource(resource))
        messages.reset()
        request = RequestAssembly(resource: resourceBytes, limit: maxRequestBytes)
    }

    /// OTLP span flags: the W3C trace flags in bits 0–7, and bits 8–9 saying whether the parent
    /// is known to be remote.
    static func spanFlags(traceFlags: UInt8, parentIsRemote: Bool?) -> UInt32 {
        var flags = UInt32(traceFlags)
        if let remote = parentIsRemote { flags |= 0x100 | (remote ? 0x200 : 0) }
        return flags
    }

    /// Encodes `spans` into as many requests as the size limit needs, keeping span order within
    /// each scope.
    public func encode(_ spans: [SpanRecord]) -> EncodedBatch {
        // Few scopes per batch: a linear search beats hashing; scopes are shared, compared by address.
        var groups: [(scope: UnsafeMutableRawPointer, spans: [SpanRecord])] = []
        for span in spans {
            let scope = span.internedScope.toOpaque()
            if let index = groups.firstIndex(where: { $0.scope == scope }) {
                groups[index].spans.append(span)
            } else {
                groups.append((scope, [span]))
            }
        }

        var requests: [EncodedRequest] = []
        var oversized = 0
        var firstOversized: SpanSize?
        request.reset()
        for (_, members) in groups {
            let scopeBytes = Self.scopeFields(packedScope: Self.pack(messages.makeScope(members[0].scope)),
                                              schemaURL: members[0].scope.schemaURL)
            messages.reset()
            request.startScope(scopeBytes)
            for span in members {
                let packed = packSpan(span)
                if request.add(packed) { continue }
                if request.spanCount > 0 { requests.append(request.finish()) }
                request.reset()
                request.startScope(scopeBytes)
                if !request.add(packed) {
                    oversized += 1
                    if firstOversized == nil { firstOversized = lastSpanSize(of: span) }
                }
            }
        }
        if request.spanCount > 0 { requests.append(request.finish()) }
        return EncodedBatch(requests: requests, oversizedSpans: oversized, firstOversized: firstOversized)
    }

    /// Where the parts of the span packed last end (head, attributes), to size them when the
    /// span turns out too large.
    private var partEnds = (head: 0, attributes: 0)

    private func lastSpanSize(of record: SpanRecord) -> SpanSize {
        SpanSize(head: partEnds.head, attributes: partEnds.attributes - partEnds.head,
                 eventsAndLinks: span.count - partEnds.attributes, eventCount: record.eventList.count, linkCount: record.links.count)
    }

    /// `scope_spans.scope` and, when there is one, `scope_spans.schema_url`, as ready fields.
    private static func scopeFields(packedScope: [UInt8], schemaURL: String) -> [UInt8] {
        var fields: [UInt8] = []
        packedScope.withUnsafeBytes { WireFormat.appendField(1, $0, to: &fields) }  // scope_spans.scope
        if !schemaURL.isEmpty {
            Array(schemaURL.utf8).withUnsafeBytes { WireFormat.appendField(3, $0, to: &fields) }  // scope_spans.schema_url
        }
        return fields
    }

    /// The span's packed message, valid until the next call.
    private func packSpan(_ record: SpanRecord) -> UnsafeRawBufferPointer {
        span.clear()
        pack(messages.makeSpanHead(record), into: span)
        partEnds.head = span.count
        record.withAttributes { attributes in
            for index in attributes.indices { appendAttribute(attributes[index]) }
        }
        partEnds.attributes = span.count
        pack(messages.makeSpanTail(record), into: span)
        messages.reset()
        return span.bytes
    }

    /// Appends `value` as span field 9, from the cache or packed now (and cached if it can be).
    private func appendAttribute(_ value: borrowing Attribute) {
        let identity = PackedAttributeCache.Identity(value)
        var packed: UnsafeRawBufferPointer
        if let identity, let cached = attributeCache.lookup(identity) {
            packed = cached
        } else {
            attribute.clear()
            pack(messages.makeKeyValue(value), into: attribute)
            packed = attribute.bytes
            if let identity { attributeCache.store(identity, packed) }
        }
        span.appendField(9, packed)
    }

    /// Packs `message`, built last by `messages` (whose size bound holds for it), at the end of `buffer`.
    private func pack<Message>(_ message: UnsafeMutablePointer<Message>, into buffer: PackingBuffer) {
        let bound = messages.sizeBound
        buffer.reserve(bound)
        let size = protobuf_c_message_pack(UnsafeRawPointer(message).assumingMemoryBound(to: ProtobufCMessage.self),
                                           buffer.end.assumingMemoryBound(to: UInt8.self))
        precondition(size <= bound, "OTLP message of \(size) bytes exceeded its size bound \(bound)")
        buffer.count += size
    }

    private static func pack<Message>(_ message: UnsafeMutablePointer<Message>) -> [UInt8] {
        let cMessage = UnsafeRawPointer(message).assumingMemoryBound(to: ProtobufCMessage.self)
        let size = protobuf_c_message_get_packed_size(cMessage)
        return [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            count = protobuf_c_message_pack(cMessage, buffer.baseAddress!)
        }
    }
}

/// Bytes being packed, in one growing block kept from span to span. One owner (an encoder) and
/// one thread: no run-time exclusivity checks.
private final class PackingBuffer {
    @exclusivity(unchecked) private var base = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 16)
    @exclusivity(unchecked) private var capacity = 4096
    @exclusivity(unchecked) var count = 0

    deinit { base.deallocate() }

    /// Where the next byte goes.
    var end: UnsafeMutableRawPointer { base + count }
    /// The bytes so far, valid until the buffer next grows or is cleared.
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    func clear() { count = 0 }

    /// Makes room for `extra` more bytes.
    func reserve(_ extra: Int) {
        guard count + extra > capacity else { return }
        capacity = max(count + extra, 2 * capacity)
        let grown = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        grown.copyMemory(from: base, byteCount: count)
        base.deallocate()
        base = grown
    }

    /// Appends `payload` as length-delimited field `field`.
    func appendField(_ field: UInt8, _ payload: UnsafeRawBufferPointer) {
        reserve(11 + payload.count)  // tag, a length of up to 10 bytes, the payload
        WireFormat.header(field: field, length: payload.count) { byte in
            base.storeBytes(of: byte, toByteOffset: count, as: UInt8.self)
            count += 1
        }
        guard let source = payload.baseAddress else { return }
        (base + count).copyMemory(from: source, byteCount: payload.count)
        count += payload.count
    }
}

/// The bytes of one request being assembled: the packed resource, and per scope its ready scope
/// fields (scope and schema URL) and its spans as ready `scope_spans.spans` fields, all in one buffer reused from request
/// to request (so steady state allocates only each finished request).
private final class RequestAssembly {
    let resource: [UInt8]
    let limit: Int
    @exclusivity(unchecked) private var spans: [UInt8] = []
    @exclusivity(unchecked) private var groups: [(scope: [UInt8], start: Int)] = []
    @exclusivity(unchecked) private var pendingScope: [UInt8]?
    @exclusivity(unchecked) private(set) var spanCount = 0

    init(resource: [UInt8], limit: Int) {
        self.resource = resource
        self.limit = limit
    }

    /// Starts an empty request.
    func reset() {
        spans.removeAll(keepingCapacity: spans.capacity <= 2 * limit)
        groups.removeAll(keepingCapacity: true)
        pendingScope = nil
        spanCount = 0
    }

    /// The spans added next belong to the scope whose `scope_spans` fields are `scope`.
    func startScope(_ scope: [UInt8]) { pendingScope = scope }

    /// Adds a packed span if the request stays within the limit.
    func add(_ span: UnsafeRawBufferPointer) -> Bool {
        let field = WireFormat.fieldLength(span.count)
        let growth: Int
        if let pending = pendingScope {
            growth = WireFormat.fieldLength(pending.count + field)
        } else {
            let body = scopeSpansBody(groups.count - 1)
            growth = WireFormat.fieldLength(body + field) - WireFormat.fieldLength(body)
        }
        guard WireFormat.fieldLength(resourceSpansBody() + growth) <= limit else { return false }
        if let pending = pendingScope {
            groups.append((pending, spans.count))
            pendingScope = nil
        }
        WireFormat.appendField(2, span, to: &spans)  // scope_spans.spans
        spanCount += 1
        return true
    }

    private func spanBytes(_ group: Int) -> Range<Int> {
        groups[group].start..<(group + 1 < groups.count ? groups[group + 1].start : spans.count)
    }

    private func scopeSpansBody(_ group: Int) -> Int {
        groups[group].scope.count + spanBytes(group).count
    }

    private func resourceSpansBody() -> Int {
        groups.indices.reduce(WireFormat.fieldLength(resource.count)) { $0 + WireFormat.fieldLength(scopeSpansBody($1)) }
    }

    func finish() -> EncodedRequest {
        let body = resourceSpansBody()
        let payload = RequestPayload(count: WireFormat.fieldLength(body)) { start in
            var out = start
            WireFormat.writeHeader(&out, field: 1, length: body)                 // request.resource_spans
            WireFormat.writeField(&out, field: 1, resource[...])                  // resource_spans.resource
            for group in groups.indices {
                WireFormat.writeHeader(&out, field: 2, length: scopeSpansBody(group))  // resource_spans.scope_spans
                WireFormat.writeBytes(&out, groups[group].scope[...])                // scope_spans.scope, .schema_url
                WireFormat.writeBytes(&out, spans[spanBytes(group)])                 // scope_spans.spans, packed
            }
            return out - start
        }
        return EncodedRequest(payload: payload, spanCount: spanCount)
    }
}
