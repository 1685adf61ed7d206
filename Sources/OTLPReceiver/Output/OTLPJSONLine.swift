import Foundation
import OTLPExport

/// One span as one line of JSON in the OTLP/JSON encoding (the protobuf JSON mapping with OTLP's
/// exceptions: lowerCamelCase keys, trace and span ids as hex, enums as integers, 64-bit integers
/// as decimal strings, bytes as base64, fields with default values left out).
///
/// A line is a `ResourceSpans` holding one `ScopeSpans` holding the one span, so it keeps its
/// resource and scope, and `jq -s '{resourceSpans: .}'` turns a file of lines into a valid
/// OTLP/JSON `ExportTraceServiceRequest`.
package enum OTLPJSONLine {
    /// The line for `span`, without its newline.
    package static func encode(_ span: ReceivedSpan) -> String {
        var resource = JSONObject()
        resource.add("attributes", keyValues(span.resource.attributes))
        resource.add("droppedAttributesCount", count: span.resource.droppedAttributesCount)
        var scope = JSONObject()
        scope.add("name", string: span.scope.name)
        scope.add("version", string: span.scope.version)
        scope.add("attributes", keyValues(span.scope.attributes))
        scope.add("droppedAttributesCount", count: span.scope.droppedAttributesCount)

        var object = JSONObject()
        object.add("traceId", string: span.traceIDHex)
        object.add("spanId", string: span.spanIDHex)
        object.add("traceState", string: span.traceState)
        object.add("parentSpanId", string: span.parentSpanIDHex)
        object.add("flags", count: span.flags)
        object.add("name", string: span.name)
        object.add("kind", count: UInt32(bitPattern: span.kind))
        object.add("startTimeUnixNano", uint64: span.startTimeUnixNano)
        object.add("endTimeUnixNano", uint64: span.endTimeUnixNano)
        object.add("attributes", keyValues(span.attributes))
        object.add("droppedAttributesCount", count: span.droppedAttributesCount)
        object.add("events", array(span.events.map { event in
            var json = JSONObject()
            json.add("timeUnixNano", uint64: event.timeUnixNano)
            json.add("name", string: event.name)
            json.add("attributes", keyValues(event.attributes))
            json.add("droppedAttributesCount", count: event.droppedAttributesCount)
            return json.text
        }))
        object.add("droppedEventsCount", count: span.droppedEventsCount)
        object.add("links", array(span.links.map { link in
            var json = JSONObject()
            json.add("traceId", string: hex(link.traceID))
            json.add("spanId", string: hex(link.spanID))
            json.add("traceState", string: link.traceState)
            json.add("attributes", keyValues(link.attributes))
            json.add("droppedAttributesCount", count: link.droppedAttributesCount)
            json.add("flags", count: link.flags)
            return json.text
        }))
        object.add("droppedLinksCount", count: span.droppedLinksCount)
        var status = JSONObject()
        status.add("message", string: span.status.message)
        status.add("code", count: UInt32(bitPattern: span.status.code))
        object.add("status", status.text)  // always present, like the collector's file exporter

        var scopeSpans = JSONObject()
        scopeSpans.add("scope", scope.text)
        scopeSpans.add("spans", "[" + object.text + "]")
        scopeSpans.add("schemaUrl", string: span.scope.schemaURL)
        var line = JSONObject()
        line.add("resource", resource.text)
        line.add("scopeSpans", "[" + scopeSpans.text + "]")
        line.add("schemaUrl", string: span.resource.schemaURL)
        return line.text
    }

    private static func keyValues(_ values: [KeyValue]) -> String? {
        array(values.map { keyValue($0) })
    }

    private static func keyValue(_ value: KeyValue) -> String {
        var json = JSONObject()
        json.add("key", string: value.key)
        json.add("value", anyValue(value.value))
        return json.text
    }

    private static func anyValue(_ value: AnyValue) -> String {
        var json = JSONObject()
        switch value {
        case .empty: break
        case .string(let text): json.add("stringValue", jsonStringLiteral(text))
        case .bool(let flag): json.add("boolValue", flag ? "true" : "false")
        case .int(let number): json.add("intValue", jsonStringLiteral(String(number)))
        case .double(let number): json.add("doubleValue", double(number))
        case .array(let values):
            var inner = JSONObject()
            inner.add("values", array(values.map(anyValue)))
            json.add("arrayValue", inner.text)
        case .keyValues(let values):
            var inner = JSONObject()
            inner.add("values", keyValues(values))
            json.add("kvlistValue", inner.text)
        case .bytes(let data): json.add("bytesValue", jsonStringLiteral(Data(data).base64EncodedString()))
        }
        return json.text
    }

    /// A JSON number, or the proto3 JSON strings for the values JSON has no number for.
    private static func double(_ number: Double) -> String {
        if number.isNaN { return "\"NaN\"" }
        if number.isInfinite { return number < 0 ? "\"-Infinity\"" : "\"Infinity\"" }
        if number == number.rounded(), abs(number) < 1e15 { return String(Int64(number)) }
        return "\(number)"
    }

    private static func array(_ items: [String]) -> String? {
        items.isEmpty ? nil : "[" + items.joined(separator: ",") + "]"
    }
}

/// A JSON object built field by field, in order; fields with default values are left out.
private struct JSONObject {
    private var fields: [String] = []

    mutating func add(_ key: String, _ json: String?) {
        guard let json else { return }
        fields.append(jsonStringLiteral(key) + ":" + json)
    }

    mutating func add(_ key: String, string: String) {
        if !string.isEmpty { add(key, jsonStringLiteral(string)) }
    }

    mutating func add(_ key: String, count: UInt32) {
        if count != 0 { add(key, String(count)) }
    }

    mutating func add(_ key: String, uint64: UInt64) {
        if uint64 != 0 { add(key, jsonStringLiteral(String(uint64))) }
    }

    var text: String { "{" + fields.joined(separator: ",") + "}" }
}
