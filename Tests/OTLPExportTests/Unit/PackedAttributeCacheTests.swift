import CGRPC
import XCTest
@testable import OTLPExport

/// Attributes packed once and reused: what a decoder reads back must be exactly what each span
/// held, whether its bytes came from the cache, replaced another entry in its slot, or could not
/// be cached at all.
final class PackedAttributeCacheTests: XCTestCase {
    /// Decoded (key, value description) pairs of every span in `request`.
    private func decodedAttributes(_ bytes: [UInt8]) throws -> [[String]] {
        let request = try XCTUnwrap(bytes.withUnsafeBufferPointer {
            opentelemetry__proto__collector__trace__v1__export_trace_service_request__unpack(nil, $0.count, $0.baseAddress)
        })
        defer { opentelemetry__proto__collector__trace__v1__export_trace_service_request__free_unpacked(request, nil) }
        let scope = request.pointee.resource_spans[0]!.pointee.scope_spans[0]!.pointee
        return (0..<scope.n_spans).map { spanIndex in
            let span = scope.spans[spanIndex]!.pointee
            return (0..<span.n_attributes).map { index in
                let pair = span.attributes[index]!.pointee
                let value = pair.value.pointee
                let text: String
                switch value.value_case {
                case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE: text = "s:" + String(cString: value.string_value)
                case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_INT_VALUE: text = "i:\(value.int_value)"
                case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_DOUBLE_VALUE: text = "d:\(value.double_value.bitPattern)"
                case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_BOOL_VALUE: text = "b:\(value.bool_value != 0)"
                case OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_ARRAY_VALUE:
                    let array = value.array_value.pointee
                    text = "a:" + (0..<array.n_values).map { String(cString: array.values[$0]!.pointee.string_value) }.joined(separator: ",")
                default: text = "?"
                }
                return String(cString: pair.key) + "=" + text
            }
        }
    }

    private func expected(_ attribute: Attribute) -> String {
        switch attribute.value {
        case .string(let s): return attribute.key + "=s:" + s
        case .int(let i): return attribute.key + "=i:\(i)"
        case .double(let d): return attribute.key + "=d:\(d.bitPattern)"
        case .bool(let b): return attribute.key + "=b:\(b)"
        case .stringArray(let a): return attribute.key + "=a:" + a.joined(separator: ",")
        default: return "unexpected"
        }
    }

    func testEveryAttributeDecodesAsItsSpanHeldItThroughHitsEvictionsAndUncachedValues() throws {
        let long = String(repeating: "long value on the heap ", count: 3)  // never cached
        var random = SplitMix64(seed: 7)
        // Up to 3,000 short keys and values over 512 slots: many collisions and replacements, and
        // a few dozen that come back often enough to be found.
        let spans: [SpanRecord] = (0..<300).map { spanIndex in
            let attributes: [Attribute] = (0..<10).map { slot in
                let pick = Int(random.next() % (slot < 5 ? 3_000 : 30))
                switch pick % 6 {
                case 0: return Attribute("k\(pick)", .string("v\(pick)"))
                case 1: return Attribute("k\(pick)", .int(Int64(pick) - 1_500))
                case 2: return Attribute("k\(pick)", .double(Double(pick) / 7))
                case 3: return Attribute("k\(pick)", .bool(pick % 4 == 1))
                case 4: return Attribute("gen_ai.response.finish_reasons", .stringArray(["s\(pick)"]))
                default: return Attribute(slot == 0 ? long : "k\(pick)", .string(slot == 1 ? long : "0.0"))
                }
            } + [Attribute("k1", .double(-0.0)), Attribute("k1", .double(0.0))]  // same key, bits differ
            return SpanRecord(traceID: TraceID(high: 1, low: UInt64(spanIndex + 1)), spanID: SpanID(UInt64(spanIndex + 1)),
                              name: "s", startTimeUnixNano: 1, endTimeUnixNano: 2, attributes: attributes,
                              scope: InstrumentationScope(name: "scope"))
        }
        let encoder = OTLPRequestEncoder(resource: Resource(attributes: []))
        for round in 0..<2 {  // the second round starts with a full cache
            let batch = encoder.encode(spans)
            XCTAssertEqual(batch.requests.count, 1)
            let decoded = try decodedAttributes(batch.requests[0].bytes)
            XCTAssertEqual(decoded.count, spans.count)
            for (span, attributes) in zip(spans, decoded) {
                XCTAssertEqual(attributes, span.attributes.map(expected), "round \(round)")
            }
        }
        XCTAssertGreaterThan(encoder.attributeCache.hits, 1_000)
        XCTAssertGreaterThan(encoder.attributeCache.replacements, 500)
    }

    func testOnlyAttributesWhoseBitsAreTheirContentHaveAnIdentity() {
        let heap = String(repeating: "x", count: 40)
        XCTAssertNotNil(PackedAttributeCache.Identity(Attribute("gen_ai.request.model", .string("granite-3.3-8b"))))
        XCTAssertNotNil(PackedAttributeCache.Identity(Attribute("k", .int(1))))
        XCTAssertNotNil(PackedAttributeCache.Identity(Attribute("k", .stringArray(["stop"]))))
        XCTAssertNil(PackedAttributeCache.Identity(Attribute(heap, .int(1))))
        XCTAssertNil(PackedAttributeCache.Identity(Attribute("k", .string(heap))))
        XCTAssertNil(PackedAttributeCache.Identity(Attribute("k", .stringArray([heap]))))
        XCTAssertNil(PackedAttributeCache.Identity(Attribute("k", .stringArray(["a", "b"]))))
        XCTAssertNil(PackedAttributeCache.Identity(Attribute("k", .bytes([1]))))
        XCTAssertNotEqual(PackedAttributeCache.Identity(Attribute("k", .double(0.0))),
                          PackedAttributeCache.Identity(Attribute("k", .double(-0.0))))
        XCTAssertNotEqual(PackedAttributeCache.Identity(Attribute("k", .string("1"))),
                          PackedAttributeCache.Identity(Attribute("k", .stringArray(["1"]))))
        // Literals longer than 15 bytes, of one length: their bits differ by the text's address.
        let literals: [Attribute] = [
            Attribute("gen_ai.request.model", .string("granite-3.3-8b-instruct")),
            Attribute("gen_ai.request.mode!", .string("granite-3.3-8b-instruct")),
            Attribute("gen_ai.request.model", .string("granite-3.3-2b-instruct")),
        ]
        let identities = literals.map { PackedAttributeCache.Identity($0) }
        XCTAssertFalse(identities.contains(nil), "literals have an identity")
        XCTAssertNotEqual(identities[0], identities[1])
        XCTAssertNotEqual(identities[0], identities[2])
    }
}
