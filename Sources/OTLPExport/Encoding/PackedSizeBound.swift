/// An upper bound on the bytes protobuf-c writes for a span, computed from the record alone, so a
/// span can be packed straight into a buffer of that size without asking protobuf-c to size it
/// first (which would walk every nested message a second time).
///
/// Every field is charged its worst case: a tag of at most 2 bytes (field numbers < 2048), a length
/// or varint of at most 10 bytes, plus its payload. ``OTLPRequestEncoder`` checks each packed span
/// against its bound.
enum PackedSizeBound {
    /// Worst case of one field's tag and length (or whole varint) prefix.
    static let field = 12

    static func span(_ span: SpanRecord) -> Int {
        var bytes = 16 * field + 16 + 8 + 8 + 8 + 8 + 4   // scalar fields, ids, times, flags, status
        bytes += span.traceState.utf8.count + span.name.utf8.count
        bytes += attributes(span.attributes)
        span.eventList.forEach { _, event in
            bytes += 4 * field + 8 + event.name.utf8.count + attributes(event.attributes)
        }
        for link in span.links {
            bytes += 7 * field + 16 + 8 + 4 + link.traceState.utf8.count + attributes(link.attributes)
        }
        if case .error(let description) = span.status { bytes += description.utf8.count }
        return bytes
    }

    static func attributes(_ attributes: [Attribute]) -> Int {
        var bytes = 0
        for index in attributes.indices {
            // KeyValue field, key field, AnyValue field, then the value.
            bytes += 3 * field + attributes[index].key.utf8.count + value(attributes[index].value)
        }
        return bytes
    }

    static func value(_ value: AttributeValue) -> Int {
        switch value {
        case .string(let s): return field + s.utf8.count
        case .bytes(let b): return field + b.count
        case .bool, .int, .double: return field + 8
        // ArrayValue field, then per element an AnyValue field and the element's own field.
        case .stringArray(let a): return field + a.reduce(0) { $0 + 2 * field + $1.utf8.count }
        case .boolArray(let a): return field + a.count * (3 * field)
        case .intArray(let a): return field + a.count * (3 * field)
        case .doubleArray(let a): return field + a.count * (2 * field + 8)
        }
    }
}
