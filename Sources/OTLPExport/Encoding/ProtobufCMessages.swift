import CGRPC

/// Builds the protobuf-c message structs of a span's parts, a scope or a resource in a bump arena,
/// ready for `protobuf_c_message_pack`. Strings are copied into the arena (protobuf-c wants them
/// NUL-terminated); nothing is allocated on the heap per attribute. Not thread-safe.
///
/// A span is built in three parts that pack to consecutive pieces of its message: the head
/// (fields 1–8: ids, trace state, name, kind, times), each attribute as a `KeyValue` (field 9),
/// and the tail (fields 10–16: dropped counts, events, links, status, flags). protobuf-c writes
/// fields in field-number order and leaves unset ones out, so the pieces joined equal the whole
/// span packed at once. While it builds a part it adds up ``sizeBound`` from the very values it
/// copies, so the part can be packed straight into a buffer of that size without protobuf-c
/// sizing it first.
final class ProtobufCMessages {
    typealias CSpan = Opentelemetry__Proto__Trace__V1__Span
    typealias CEvent = Opentelemetry__Proto__Trace__V1__Span__Event
    typealias CLink = Opentelemetry__Proto__Trace__V1__Span__Link
    typealias CStatus = Opentelemetry__Proto__Trace__V1__Status
    typealias KeyValue = Opentelemetry__Proto__Common__V1__KeyValue
    typealias AnyValue = Opentelemetry__Proto__Common__V1__AnyValue
    typealias ArrayValue = Opentelemetry__Proto__Common__V1__ArrayValue
    typealias CScope = Opentelemetry__Proto__Common__V1__InstrumentationScope
    typealias CResource = Opentelemetry__Proto__Resource__V1__Resource

    /// Where every struct and string lives until ``reset()``.
    let arena = EncodingArena()

    /// At least the bytes protobuf-c writes when packing the part last built by ``makeSpanHead(_:)``,
    /// ``makeSpanTail(_:)`` or ``makeKeyValue(_:)``. Every field is charged its worst case: a tag of
    /// at most 2 bytes (field numbers < 2048), a length or varint of at most 10, plus its payload.
    @exclusivity(unchecked) private(set) var sizeBound = 0
    private static let field = 12
    /// A boolean field: a tag of at most 2 bytes and a 1-byte value.
    private static let boolField = 3

    /// Forgets every message built so far.
    func reset() { arena.reset() }

    func makeResource(_ resource: Resource) -> UnsafeMutablePointer<CResource> {
        let message = arena.allocate(CResource.self)
        opentelemetry__proto__resource__v1__resource__init(message)
        (message.pointee.n_attributes, message.pointee.attributes) = makeKeyValues(resource.attributes)
        return message
    }

    func makeScope(_ scope: InstrumentationScope) -> UnsafeMutablePointer<CScope> {
        let message = arena.allocate(CScope.self)
        opentelemetry__proto__common__v1__instrumentation_scope__init(message)
        message.pointee.name = arena.cString(scope.name).pointer
        message.pointee.version = arena.cString(scope.version).pointer
        return message
    }

    /// Span fields 1–8: trace and span ids, trace state, parent id, name, kind, start and end times.
    func makeSpanHead(_ span: SpanRecord) -> UnsafeMutablePointer<CSpan> {
        sizeBound = 8 * Self.field + 16 + 8 + 8 + 8 + 8 + 4
        let message = arena.allocate(CSpan.self)
        opentelemetry__proto__trace__v1__span__init(message)
        let m = message
        m.pointee.trace_id = makeTraceID(span.traceID)
        m.pointee.span_id = makeSpanID(span.spanID)
        if span.parentSpanID.isValid { m.pointee.parent_span_id = makeSpanID(span.parentSpanID) }
        let traceState = span.traceState
        if !traceState.isEmpty { m.pointee.trace_state = text(traceState) }
        m.pointee.name = text(span.name)
        m.pointee.kind = Opentelemetry__Proto__Trace__V1__Span__SpanKind(rawValue: UInt32(span.kind.rawValue))
        m.pointee.start_time_unix_nano = span.startTimeUnixNano
        m.pointee.end_time_unix_nano = span.endTimeUnixNano
        return message
    }

    /// One span attribute (span field 9) as a `KeyValue` message.
    func makeKeyValue(_ attribute: Attribute) -> UnsafeMutablePointer<KeyValue> {
        sizeBound = 0
        let pair = arena.allocate(KeyValue.self)
        fill(pair, with: attribute, value: arena.allocate(AnyValue.self))
        return pair
    }

    /// Span fields 10–16: dropped counts, events, links, status and flags.
    func makeSpanTail(_ span: SpanRecord) -> UnsafeMutablePointer<CSpan> {
        sizeBound = 8 * Self.field + 4
        let message = arena.allocate(CSpan.self)
        opentelemetry__proto__trace__v1__span__init(message)
        let m = message
        m.pointee.flags = OTLPRequestEncoder.spanFlags(traceFlags: span.traceFlags, parentIsRemote: span.parentIsRemote)
        m.pointee.dropped_attributes_count = span.droppedAttributesCount
        m.pointee.dropped_events_count = span.droppedEventsCount
        m.pointee.dropped_links_count = span.droppedLinksCount
        let eventList = span.eventList
        if eventList.count > 0 {
            let list = arena.allocate(UnsafeMutablePointer<CEvent>?.self, count: eventList.count)
            let events = arena.allocate(CEvent.self, count: eventList.count)
            eventList.forEach { i, event in
                sizeBound += 3 * Self.field + 8  // event field, time, dropped count
                let e = events + i
                opentelemetry__proto__trace__v1__span__event__init(e)
                e.pointee.time_unix_nano = event.timeUnixNano
                e.pointee.name = text(event.name)
                (e.pointee.n_attributes, e.pointee.attributes) = makeKeyValues(event.attributes)
                e.pointee.dropped_attributes_count = event.droppedAttributesCount
                list[i] = e
            }
            m.pointee.n_events = eventList.count
            m.pointee.events = list
        }
        let spanLinks = span.links
        if !spanLinks.isEmpty {
            let list = arena.allocate(UnsafeMutablePointer<CLink>?.self, count: spanLinks.count)
            let links = arena.allocate(CLink.self, count: spanLinks.count)
            for (i, link) in spanLinks.enumerated() {
                sizeBound += 5 * Self.field + 16 + 8 + 4  // link field, ids, dropped count, flags
                let l = links + i
                opentelemetry__proto__trace__v1__span__link__init(l)
                l.pointee.trace_id = makeTraceID(link.traceID)
                l.pointee.span_id = makeSpanID(link.spanID)
                if !link.traceState.isEmpty { l.pointee.trace_state = text(link.traceState) }
                l.pointee.flags = OTLPRequestEncoder.spanFlags(traceFlags: link.traceFlags, parentIsRemote: nil)
                (l.pointee.n_attributes, l.pointee.attributes) = makeKeyValues(link.attributes)
                l.pointee.dropped_attributes_count = link.droppedAttributesCount
                list[i] = l
            }
            m.pointee.n_links = spanLinks.count
            m.pointee.links = list
        }
        let spanStatus = span.status
        if spanStatus != .unset {
            let status = arena.allocate(CStatus.self)
            opentelemetry__proto__trace__v1__status__init(status)
            switch spanStatus {
            case .ok: status.pointee.code = OPENTELEMETRY__PROTO__TRACE__V1__STATUS__STATUS_CODE__STATUS_CODE_OK
            case .error(let description):
                status.pointee.code = OPENTELEMETRY__PROTO__TRACE__V1__STATUS__STATUS_CODE__STATUS_CODE_ERROR
                status.pointee.message = text(description)
            case .unset: break
            }
            m.pointee.status = status
        }
        return message
    }

    /// A NUL-terminated copy of `string` in the arena, charged to the size bound as a field.
    private func text(_ string: String) -> UnsafeMutablePointer<CChar> {
        let copy = arena.cString(string)
        sizeBound += Self.field + copy.length
        return copy.pointer
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

    func makeKeyValues(_ attributes: some RandomAccessCollection<Attribute>) -> (Int, UnsafeMutablePointer<UnsafeMutablePointer<KeyValue>?>?) {
        guard !attributes.isEmpty else { return (0, nil) }
        let list = arena.allocate(UnsafeMutablePointer<KeyValue>?.self, count: attributes.count)
        let pairs = arena.allocate(KeyValue.self, count: attributes.count)
        let values = arena.allocate(AnyValue.self, count: attributes.count)
        for (i, attribute) in attributes.enumerated() {
            fill(pairs + i, with: attribute, value: values + i)
            list[i] = pairs + i
        }
        return (attributes.count, list)
    }

    /// Makes `pair` hold `attribute`, its value in `value`.
    private func fill(_ pair: UnsafeMutablePointer<KeyValue>, with attribute: Attribute, value: UnsafeMutablePointer<AnyValue>) {
        sizeBound += 2 * Self.field  // key/value field, any-value field
        opentelemetry__proto__common__v1__key_value__init(pair)
        pair.pointee.key = text(attribute.key)
        fill(value, with: attribute.value)
        pair.pointee.value = value
    }

    private func fill(_ value: UnsafeMutablePointer<AnyValue>, with attribute: AttributeValue) {
        opentelemetry__proto__common__v1__any_value__init(value)
        switch attribute {
        case .string(let s):
            value.pointee.value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE
            value.pointee.string_value = text(s)
        case .bool(let b):
            sizeBound += Self.boolField
            value.pointee.value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_BOOL_VALUE
            value.pointee.bool_value = b ? 1 : 0
        case .int(let i):
            sizeBound += Self.field
            value.pointee.value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_INT_VALUE
            value.pointee.int_value = i
        case .double(let d):
            sizeBound += Self.field + 8
            value.pointee.value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_DOUBLE_VALUE
            value.pointee.double_value = d
        case .bytes(let b):
            sizeBound += Self.field + b.count
            value.pointee.value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_BYTES_VALUE
            value.pointee.bytes_value = ProtobufCBinaryData(len: b.count, data: arena.bytes(b))
        case .stringArray(let a): fillArray(value, a) { $0.pointee.string_value = text($1); return OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE }
        case .boolArray(let a): fillArray(value, a) { sizeBound += Self.boolField; $0.pointee.bool_value = $1 ? 1 : 0; return OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_BOOL_VALUE }
        case .intArray(let a): fillArray(value, a) { sizeBound += Self.field; $0.pointee.int_value = $1; return OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_INT_VALUE }
        case .doubleArray(let a): fillArray(value, a) { sizeBound += Self.field + 8; $0.pointee.double_value = $1; return OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_DOUBLE_VALUE }
        }
    }

    /// An `ArrayValue` whose elements `set` fills, returning the element's value case.
    @inline(__always)
    private func fillArray<Element>(_ value: UnsafeMutablePointer<AnyValue>, _ elements: [Element],
                                    _ set: (UnsafeMutablePointer<AnyValue>, Element) -> Opentelemetry__Proto__Common__V1__AnyValue__ValueCase) {
        sizeBound += Self.field * (1 + elements.count)  // array field, an any-value field per element
        let array = arena.allocate(ArrayValue.self)
        opentelemetry__proto__common__v1__array_value__init(array)
        let list = arena.allocate(UnsafeMutablePointer<AnyValue>?.self, count: elements.count)
        let items = arena.allocate(AnyValue.self, count: elements.count)
        for index in elements.indices {
            let item = items + index
            opentelemetry__proto__common__v1__any_value__init(item)
            item.pointee.value_case = set(item, elements[index])
            list[index] = item
        }
        array.pointee.n_values = elements.count
        array.pointee.values = list
        value.pointee.value_case = OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_ARRAY_VALUE
        value.pointee.array_value = array
    }
}
