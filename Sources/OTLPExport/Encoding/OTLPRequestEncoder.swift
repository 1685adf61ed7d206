import CGRPC

/// One packed `ExportTraceServiceRequest`.
public struct EncodedRequest: Sendable {
    /// The serialized request.
    public let bytes: [UInt8]
    /// How many spans it carries.
    public let spanCount: Int
}

/// The requests a batch became, plus the spans too large for any request.
public struct EncodedBatch: Sendable {
    /// Requests, each within the size limit.
    public let requests: [EncodedRequest]
    /// Spans that alone exceed the size limit; they cannot be sent.
    public let oversizedSpans: Int
}

/// Encodes spans into OTLP `ExportTraceServiceRequest`s with protobuf-c.
///
/// Spans are grouped by instrumentation scope under one resource; a batch is split so that no
/// request exceeds `maxRequestBytes` before compression. All C structs of a request live in one
/// arena, freed in bulk after packing. Not thread-safe: use one encoder per thread.
public final class OTLPRequestEncoder {
    typealias Request = Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceRequest
    typealias ResourceSpans = Opentelemetry__Proto__Trace__V1__ResourceSpans
    typealias ScopeSpans = Opentelemetry__Proto__Trace__V1__ScopeSpans
    typealias CSpan = Opentelemetry__Proto__Trace__V1__Span
    typealias CEvent = Opentelemetry__Proto__Trace__V1__Span__Event
    typealias CLink = Opentelemetry__Proto__Trace__V1__Span__Link
    typealias CStatus = Opentelemetry__Proto__Trace__V1__Status
    typealias KeyValue = Opentelemetry__Proto__Common__V1__KeyValue
    typealias AnyValue = Opentelemetry__Proto__Common__V1__AnyValue
    typealias ArrayValue = Opentelemetry__Proto__Common__V1__ArrayValue
    typealias CScope = Opentelemetry__Proto__Common__V1__InstrumentationScope
    typealias CResource = Opentelemetry__Proto__Resource__V1__Resource

    private let arena = EncodingArena()
    private let resource: Resource
    private let maxRequestBytes: Int

    /// Creates an encoder for spans of `resource`.
    public init(resource: Resource, maxRequestBytes: Int = 4 * 1024 * 1024) {
        self.resource = resource
        self.maxRequestBytes = maxRequestBytes
    }

    /// Encodes `spans` into as many requests as the size limit needs, keeping span order within
    /// each scope.
    public func encode(_ spans: [SpanRecord]) -> EncodedBatch {
        // Few scopes per batch: a linear search beats hashing every span's scope.
        var groups: [(scope: InstrumentationScope, spans: [SpanRecord])] = []
        for span in spans {
            if let index = groups.firstIndex(where: { $0.scope == span.scope }) {
                groups[index].spans.append(span)
            } else {
                groups.append((span.scope, [span]))
            }
        }

        var requests: [EncodedRequest] = []
        var oversized = 0
        var builder = RequestBuilder(encoder: self)
        for (scope, members) in groups {
            for span in members {
                if builder.add(span, scope: scope) { continue }
                if builder.spanCount > 0 { requests.append(builder.finish()) }
                builder = RequestBuilder(encoder: self)
                if !builder.add(span, scope: scope) {
                    oversized += 1
                    builder = RequestBuilder(encoder: self)
                }
            }
        }
        if builder.spanCount > 0 { requests.append(builder.finish()) }
        arena.reset()
        return EncodedBatch(requests: requests, oversizedSpans: oversized)
    }

    /// Accumulates spans of one request until the next one would not fit.
    ///
    /// Each span is sized once and packed once by protobuf-c, straight into the request buffer;
    /// the three wrapper messages (request, resource spans, scope spans) are length-delimited
    /// headers written here, in the same field order protobuf-c uses, so the bytes are identical
    /// to packing the whole tree (protobuf-c would re-walk every span once per nesting level).
    private struct RequestBuilder {
        let encoder: OTLPRequestEncoder
        var scopes: [(scope: UnsafeMutablePointer<CScope>, name: InstrumentationScope, spans: [(UnsafeMutablePointer<CSpan>, Int)])] = []
        var spanCount = 0
        var estimatedBytes: Int

        init(encoder: OTLPRequestEncoder) {
            encoder.arena.reset()
            self.encoder = encoder
            estimatedBytes = 16 + packedSize(encoder.makeResource())
        }

        /// Adds the span if the request stays within the limit.
        mutating func add(_ span: SpanRecord, scope: InstrumentationScope) -> Bool {
            var extra = 0
            var cScope: UnsafeMutablePointer<CScope>?
            if scopes.last?.name != scope {
                cScope = encoder.makeScope(scope)
                extra += 16 + packedSize(cScope!)
            }
            let cSpan = encoder.makeSpan(span)
            let size = packedSize(cSpan)
            extra += size + 1 + varintLength(size)
            guard estimatedBytes + extra <= encoder.maxRequestBytes else { return false }
            estimatedBytes += extra
            if let cScope { scopes.append((cScope, scope, [])) }
            scopes[scopes.count - 1].spans.append((cSpan, size))
            spanCount += 1
            return true
        }

        func finish() -> EncodedRequest {
            let resource = encoder.makeResource()
            let resourceSize = packedSize(resource)
            var groupSizes: [(scope: Int, body: Int)] = []
            var resourceSpansBody = fieldLength(resourceSize)
            for group in scopes {
                let scopeSize = packedSize(group.scope)
                let body = fieldLength(scopeSize) + group.spans.reduce(0) { $0 + fieldLength($1.1) }
                groupSizes.append((scopeSize, body))
                resourceSpansBody += fieldLength(body)
            }
            let total = fieldLength(resourceSpansBody)
            let bytes = [UInt8](unsafeUninitializedCapacity: total) { buffer, count in
                var out = buffer.baseAddress!
                writeHeader(&out, field: 1, length: resourceSpansBody)        // request.resource_spans
                writeHeader(&out, field: 1, length: resourceSize)             // resource_spans.resource
                out += pack(resource, into: out)
                for (group, sizes) in zip(scopes, groupSizes) {
                    writeHeader(&out, field: 2, length: sizes.body)           // resource_spans.scope_spans
                    writeHeader(&out, field: 1, length: sizes.scope)          // scope_spans.scope
                    out += pack(group.scope, into: out)
                    for (span, size) in group.spans {
                        writeHeader(&out, field: 2, length: size)             // scope_spans.spans
                        out += pack(span, into: out)
                    }
                }
                count = out - buffer.baseAddress!
                precondition(count == total, "OTLP request size mismatch: \(count) != \(total)")
            }
            return EncodedRequest(bytes: bytes, spanCount: spanCount)
        }
    }

    // MARK: - Messages

    func makeResource() -> UnsafeMutablePointer<CResource> {
        let message = arena.allocate(CResource.self)
        opentelemetry__proto__resource__v1__resource__init(message)
        (message.pointee.n_attributes, message.pointee.attributes) = makeKeyValues(resource.attributes)
        return message
    }

    func makeScope(_ scope: InstrumentationScope) -> UnsafeMutablePointer<CScope> {
        let message = arena.allocate(CScope.self)
        opentelemetry__proto__common__v1__instrumentation_scope__init(message)
        message.pointee.name = arena.cString(scope.name)
        message.pointee.version = arena.cString(scope.version)
        return message
    }

    func makeSpan(_ span: SpanRecord) -> UnsafeMutablePointer<CSpan> {
        let message = arena.allocate(CSpan.self)
        opentelemetry__proto__trace__v1__span__init(message)
        let m = message
        m.pointee.trace_id = makeTraceID(span.traceID)
        m.pointee.span_id = makeSpanID(span.spanID)
        if span.parentSpanID.isValid { m.pointee.parent_span_id = makeSpanID(span.parentSpanID) }
        if !span.traceState.isEmpty { m.pointee.trace_state = arena.cString(span.traceState) }
        m.pointee.flags = Self.spanFlags(traceFlags: span.traceFlags, parentIsRemote: span.parentIsRemote)
        m.pointee.name = arena.cString(span.name)
        m.pointee.kind = Opentelemetry__Proto__Trace__V1__Span__SpanKind(rawValue: UInt32(span.kind.rawValue))
        m.pointee.start_time_unix_nano = span.startTimeUnixNano
        m.pointee.end_time_unix_nano = span.endTimeUnixNano
        (m.pointee.n_attributes, m.pointee.attributes) = makeKeyValues(span.attributes)
        m.pointee.dropped_attributes_count = span.droppedAttributesCount
        m.pointee.dropped_events_count = span.droppedEventsCount
        m.pointee.dropped_links_count = span.droppedLinksCount
        if !span.events.isEmpty {
            let list = arena.allocate(UnsafeMutablePointer<CEvent>?.self, count: span.events.count)
            let events = arena.allocate(CEvent.self, count: span.events.count)
            for (i, event) in span.events.enumerated() {
                let e = events + i
                opentelemetry__proto__trace__v1__span__event__init(e)
                e.pointee.time_unix_nano = event.timeUnixNano
                e.pointee.name = arena.cString(event.name)
                (e.pointee.n_attributes, e.pointee.attributes) = makeKeyValues(event.attributes)
                e.pointee.dropped_attributes_count = event.droppedAttributesCount
                list[i] = e
            }
            m.pointee.n_events = span.events.count
            m.pointee.events = list
        }
        if !span.links.isEmpty {
            let list = arena.allocate(UnsafeMutablePointer<CLink>?.self, count: span.links.count)
            let links = arena.allocate(CLink.self, count: span.links.count)
            for (i, link) in span.links.enumerated() {
                let l = links + i
                opentelemetry__proto__trace__v1__span__link__init(l)
                l.pointee.trace_id = makeTraceID(link.traceID)
                l.pointee.span_id = makeSpanID(link.spanID)
                if !link.traceState.isEmpty { l.pointee.trace_state = arena.cString(link.traceState) }
                l.pointee.flags = Self.spanFlags(traceFlags: link.traceFlags, parentIsRemote: nil)
                (l.pointee.n_attributes, l.pointee.attributes) = makeKeyValues(link.attributes)
                l.pointee.dropped_attributes_count = link.droppedAttributesCount
                list[i] = l
            }
            m.pointee.n_links = span.links.count
            m.pointee.links = list
        }
        if span.status != .unset {
            let status = arena.allocate(CStatus.self)
            opentelemetry__proto__trace__v1__status__init(status)
            switch span.status {
            case .ok: status.pointee.code = OPENTELEMETRY__PROTO__TRACE__V1__STATUS__STATUS_CODE__STATUS_CODE_OK
            case .error(let description):
                status.pointee.code = OPENTELEMETRY__PROTO__TRACE__V1__STATUS__STATUS_CODE__STATUS_CODE_ERROR
                status.pointee.message = arena.cString(description)
            case .unset: break
            }
            m.pointee.status = status
        }
        return message
    }

    /// OTLP span flags: the W3C trace flags in bits 0–7, and bits 8–9 saying whether the parent
    /// is known to be remote.
    static func spanFlags(traceFlags: UInt8, parentIsRemote: Bool?) -> UInt32 {
        var flags = UInt32(traceFlags)
        if let remote = parentIsRemote { flags |= 0x100 | (remote ? 0x200 : 0) }
        return flags
    }

    private func makeTraceID(_ id: TraceID) -> ProtobufCBinaryData {
        let bytes = arena.allocate(UInt8.self, count: 16)
        UnsafeMutableRawPointer(bytes).storeBytes(of: id.high.bigEndian, as: UInt64.self)
        UnsafeMutableRawPointer(bytes + 8).storeBytes(of: id.low.bigEndian, as: UInt64.self)
        return ProtobufCBinaryData(len: 16, data: bytes)
    }

    private func makeSpanID(_ id: SpanID) -> ProtobufCBinaryData {
        let bytes = arena.allocate(UInt8.self, count: 8)
        UnsafeMutableRawPointer(bytes).storeBytes(of: id.value.bigEndian, as: UInt64.self)
        return ProtobufCBinaryData(len: 8, data: bytes)
    }

    private func makeKeyValues(_ attributes: [Attribute]) -> (Int, UnsafeMutablePointer<UnsafeMutablePointer<KeyValue>?>?) {
        guard !attributes.isEmpty else { return (0, nil) }
        let list = arena.allocate(UnsafeMutablePointer<KeyValue>?.self, count: attributes.count)
        let pairs = arena.allocate(KeyValue.self, count: attributes.count)
        let values = arena.allocate(AnyValue.self, count: attributes.count)
        for (i, attribute) in attributes.enumerated() {
            let pair = pairs + i
            opentelemetry__proto__common__v1__key_value__init(pair)
            pair.pointee.key = arena.cString(attribute.key)
            fill(values + i, with: attribute.value)
            pair.pointee.value = values + i
            list[i] = pair
        }
        return (attributes.count, list)
    }

    private func fill(_ value: UnsafeMutablePointer<AnyValue>, with attribute: AttributeValue) {
        opentelemetry__proto__common__v1__any_value__init(value)
        switch attribute {
        case .string(let s):
            value.pointee.value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE
            value.pointee.string_value = arena.cString(s)
        case .bool(let b):
            value.pointee.value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_BOOL_VALUE
            value.pointee.bool_value = b ? 1 : 0
        case .int(let i):
            value.pointee.value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_INT_VALUE
            value.pointee.int_value = i
        case .double(let d):
            value.pointee.value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_DOUBLE_VALUE
            value.pointee.double_value = d
        case .bytes(let b):
            value.pointee.value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_BYTES_VALUE
            value.pointee.bytes_value = ProtobufCBinaryData(len: b.count, data: arena.bytes(b))
        case .stringArray(let a): fillArray(value, a.map(AttributeValue.string))
        case .boolArray(let a): fillArray(value, a.map(AttributeValue.bool))
        case .intArray(let a): fillArray(value, a.map(AttributeValue.int))
        case .doubleArray(let a): fillArray(value, a.map(AttributeValue.double))
        }
    }

    private func fillArray(_ value: UnsafeMutablePointer<AnyValue>, _ elements: [AttributeValue]) {
        let array = arena.allocate(ArrayValue.self)
        opentelemetry__proto__common__v1__array_value__init(array)
        let list = arena.allocate(UnsafeMutablePointer<AnyValue>?.self, count: elements.count)
        let items = arena.allocate(AnyValue.self, count: elements.count)
        for (i, element) in elements.enumerated() {
            fill(items + i, with: element)
            list[i] = items + i
        }
        array.pointee.n_values = elements.count
        array.pointee.values = list
        value.pointee.value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_ARRAY_VALUE
        value.pointee.array_value = array
    }
}

private func packedSize<T>(_ message: UnsafeMutablePointer<T>) -> Int {
    protobuf_c_message_get_packed_size(UnsafeRawPointer(message).assumingMemoryBound(to: ProtobufCMessage.self))
}

private func pack<T>(_ message: UnsafeMutablePointer<T>, into out: UnsafeMutablePointer<UInt8>) -> Int {
    protobuf_c_message_pack(UnsafeRawPointer(message).assumingMemoryBound(to: ProtobufCMessage.self), out)
}

/// Bytes a length-delimited field of `length` bytes takes: tag, length varint, payload.
private func fieldLength(_ length: Int) -> Int { 1 + varintLength(length) + length }

/// Writes the tag of length-delimited field `field` (< 16) and the varint `length`.
private func writeHeader(_ out: inout UnsafeMutablePointer<UInt8>, field: UInt8, length: Int) {
    out.pointee = field << 3 | 2
    out += 1
    var value = UInt64(length)
    while value >= 0x80 {
        out.pointee = UInt8(truncatingIfNeeded: value) | 0x80
        out += 1
        value >>= 7
    }
    out.pointee = UInt8(value)
    out += 1
}

private func varintLength(_ value: Int) -> Int {
    var length = 1
    var v = value >> 7
    while v > 0 { length += 1; v >>= 7 }
    return length
}
