import CGRPC

/// The spans of one `ExportTraceServiceRequest`, decoded with protobuf-c's generated unpack.
package struct ReceivedRequest: Sendable, Equatable {
    /// Every span in the request, in the order sent.
    package var spans: [ReceivedSpan]

    /// Decodes a serialized `ExportTraceServiceRequest`.
    package init(decoding bytes: UnsafeRawBufferPointer) throws(ReceivedRequestDecodingError) {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self),
              let request = opentelemetry__proto__collector__trace__v1__export_trace_service_request__unpack(nil, bytes.count, base)
        else {
            if bytes.isEmpty { spans = []; return }  // an empty message is a valid, empty request
            throw ReceivedRequestDecodingError(byteCount: bytes.count)
        }
        defer { opentelemetry__proto__collector__trace__v1__export_trace_service_request__free_unpacked(request, nil) }
        var spans: [ReceivedSpan] = []
        for resourceSpans in buffer(request.pointee.resource_spans, request.pointee.n_resource_spans) {
            let resource = ReceivedResource(
                attributes: keyValues(resourceSpans.pointee.resource?.pointee.attributes, resourceSpans.pointee.resource?.pointee.n_attributes ?? 0),
                droppedAttributesCount: resourceSpans.pointee.resource?.pointee.dropped_attributes_count ?? 0,
                schemaURL: string(resourceSpans.pointee.schema_url))
            for scopeSpans in buffer(resourceSpans.pointee.scope_spans, resourceSpans.pointee.n_scope_spans) {
                let scopePointer = scopeSpans.pointee.scope
                let scope = ReceivedScope(
                    name: string(scopePointer?.pointee.name), version: string(scopePointer?.pointee.version),
                    attributes: keyValues(scopePointer?.pointee.attributes, scopePointer?.pointee.n_attributes ?? 0),
                    droppedAttributesCount: scopePointer?.pointee.dropped_attributes_count ?? 0,
                    schemaURL: string(scopeSpans.pointee.schema_url))
                for span in buffer(scopeSpans.pointee.spans, scopeSpans.pointee.n_spans) {
                    spans.append(receivedSpan(span.pointee, resource: resource, scope: scope))
                }
            }
        }
        self.spans = spans
    }
}

/// A request that is not a valid `ExportTraceServiceRequest`.
package struct ReceivedRequestDecodingError: Error, Sendable, CustomStringConvertible {
    /// The request's size.
    package let byteCount: Int
    package var description: String { "request is not a valid ExportTraceServiceRequest (\(byteCount) bytes)" }
}

private typealias CSpan = Opentelemetry__Proto__Trace__V1__Span
private typealias CKeyValue = Opentelemetry__Proto__Common__V1__KeyValue
private typealias CAnyValue = Opentelemetry__Proto__Common__V1__AnyValue

private func receivedSpan(_ span: CSpan, resource: ReceivedResource, scope: ReceivedScope) -> ReceivedSpan {
    ReceivedSpan(
        resource: resource, scope: scope, traceID: bytes(span.trace_id), spanID: bytes(span.span_id),
        parentSpanID: bytes(span.parent_span_id), traceState: string(span.trace_state), flags: span.flags,
        name: string(span.name), kind: Int32(span.kind.rawValue),
        startTimeUnixNano: span.start_time_unix_nano, endTimeUnixNano: span.end_time_unix_nano,
        attributes: keyValues(span.attributes, span.n_attributes), droppedAttributesCount: span.dropped_attributes_count,
        events: buffer(span.events, span.n_events).map { event in
            ReceivedSpan.Event(timeUnixNano: event.pointee.time_unix_nano, name: string(event.pointee.name),
                               attributes: keyValues(event.pointee.attributes, event.pointee.n_attributes),
                               droppedAttributesCount: event.pointee.dropped_attributes_count)
        },
        droppedEventsCount: span.dropped_events_count,
        links: buffer(span.links, span.n_links).map { link in
            ReceivedSpan.Link(traceID: bytes(link.pointee.trace_id), spanID: bytes(link.pointee.span_id),
                              traceState: string(link.pointee.trace_state),
                              attributes: keyValues(link.pointee.attributes, link.pointee.n_attributes),
                              droppedAttributesCount: link.pointee.dropped_attributes_count, flags: link.pointee.flags)
        },
        droppedLinksCount: span.dropped_links_count,
        status: ReceivedSpan.Status(code: Int32(span.status?.pointee.code.rawValue ?? 0),
                                    message: string(span.status?.pointee.message)))
}

private func buffer<T>(_ pointer: UnsafeMutablePointer<UnsafeMutablePointer<T>?>?, _ count: Int) -> [UnsafeMutablePointer<T>] {
    guard let pointer, count > 0 else { return [] }
    return UnsafeBufferPointer(start: pointer, count: count).compactMap { $0 }
}

private func string(_ pointer: UnsafeMutablePointer<CChar>?) -> String {
    pointer.map { String(cString: $0) } ?? ""
}

private func bytes(_ data: ProtobufCBinaryData) -> [UInt8] {
    guard let base = data.data, data.len > 0 else { return [] }
    return Array(UnsafeBufferPointer(start: base, count: data.len))
}

private func keyValues(_ pointer: UnsafeMutablePointer<UnsafeMutablePointer<CKeyValue>?>?, _ count: Int) -> [KeyValue] {
    buffer(pointer, count).map { KeyValue(string($0.pointee.key), anyValue($0.pointee.value)) }
}

private func anyValue(_ pointer: UnsafeMutablePointer<CAnyValue>?) -> AnyValue {
    guard let value = pointer?.pointee else { return .empty }
    switch value.value_case {
    case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE: return .string(string(value.string_value))
    case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_BOOL_VALUE: return .bool(value.bool_value != 0)
    case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_INT_VALUE: return .int(value.int_value)
    case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_DOUBLE_VALUE: return .double(value.double_value)
    case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_ARRAY_VALUE:
        return .array(buffer(value.array_value?.pointee.values, value.array_value?.pointee.n_values ?? 0).map { anyValue($0) })
    case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_KVLIST_VALUE:
        return .keyValues(keyValues(value.kvlist_value?.pointee.values, value.kvlist_value?.pointee.n_values ?? 0))
    case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_BYTES_VALUE: return .bytes(bytes(value.bytes_value))
    default: return .empty
    }
}
