import CGRPC
import XCTest
@testable import OTLPExport

/// Spans counted by the validating wire decoder, or nil if it refused the bytes.
private func scan(_ bytes: [UInt8]) -> UInt64? {
    var spans: UInt64 = 0
    let ok = bytes.withUnsafeBufferPointer { cgrpc_otlp_scan_request($0.baseAddress, $0.count, &spans) }
    return ok == 1 ? spans : nil
}

/// Spans counted by protobuf-c's generated decoder, or nil if it refused the bytes.
private func protobufCCount(_ bytes: [UInt8]) -> UInt64? {
    guard let request = bytes.withUnsafeBufferPointer({
        opentelemetry__proto__collector__trace__v1__export_trace_service_request__unpack(nil, $0.count, $0.baseAddress)
    }) else { return nil }
    defer { opentelemetry__proto__collector__trace__v1__export_trace_service_request__free_unpacked(request, nil) }
    var spans: UInt64 = 0
    for i in 0..<request.pointee.n_resource_spans {
        let resourceSpans = request.pointee.resource_spans[i]!.pointee
        for j in 0..<resourceSpans.n_scope_spans { spans += UInt64(resourceSpans.scope_spans[j]!.pointee.n_spans) }
    }
    return spans
}

private func varint<Value: BinaryInteger>(_ value: Value) -> [UInt8] {
    var value = UInt64(value)
    var out: [UInt8] = []
    while value >= 0x80 { out.append(UInt8(value & 0x7f) | 0x80); value >>= 7 }
    return out + [UInt8(value)]
}

/// The validating wire decoder of the native receiver: it must count exactly what protobuf-c
/// decodes, and refuse what is not a valid request.
final class OTLPScanTests: XCTestCase {
    private func request(spans: Int = 3, scopes: Int = 2) -> [UInt8] {
        let records = (0..<spans).map { sampleSpan(index: $0, scope: InstrumentationScope(name: "scope-\($0 % scopes)")) }
        let batch = OTLPRequestEncoder(resource: Resource(attributes: [Attribute("service.name", "scan")])).encode(records)
        XCTAssertEqual(batch.requests.count, 1)
        return batch.requests[0].bytes
    }

    func testCountsWhatProtobufCDecodes() {
        for (spans, scopes) in [(1, 1), (3, 2), (200, 7)] {
            let bytes = request(spans: spans, scopes: scopes)
            XCTAssertEqual(scan(bytes), UInt64(spans))
            XCTAssertEqual(protobufCCount(bytes), UInt64(spans))
        }
        XCTAssertEqual(scan([]), 0, "an empty request is valid and holds no spans")
    }

    func testRefusesEveryTruncation() {
        let bytes = request(spans: 2, scopes: 1)
        var refused = 0
        for length in 1..<bytes.count where scan(Array(bytes[0..<length])) == nil { refused += 1 }
        // Cutting inside a nested message always breaks a length; only cuts at a top-level field
        // boundary can leave a shorter valid request, and this request has one top-level field.
        XCTAssertEqual(refused, bytes.count - 1)
    }

    func testSkipsUnknownFieldsLikeAnyDecoder() {
        // Field 99 (varint) and field 100 (length-delimited) are unknown to the request message.
        let unknown: [UInt8] = [0x98, 0x06, 0x2a, 0xa2, 0x06, 0x02, 0xff, 0xff]
        let bytes = request(spans: 2) + unknown
        XCTAssertEqual(scan(bytes), 2)
        XCTAssertEqual(protobufCCount(bytes), 2)
    }

    func testRefusesAWrongWireType() {
        // request.resource_spans (field 1) as a varint instead of a message.
        XCTAssertNil(scan([0x08, 0x01]))
    }

    func testRefusesStringsThatAreNotUTF8AndIDsOfTheWrongLength() {
        let name = Array("chat granite-0".utf8)
        var bytes = request(spans: 1, scopes: 1)
        let at = try! XCTUnwrap(firstRange(of: name, in: bytes))
        XCTAssertNotNil(scan(bytes))
        bytes[at.lowerBound] = 0xc0  // an overlong UTF-8 lead byte
        XCTAssertNil(scan(bytes))

        // A span (inside request > resource_spans > scope_spans) whose trace id has 3 bytes.
        let span: [UInt8] = [0x0a, 0x03, 1, 2, 3]
        let scopeSpans: [UInt8] = [0x12, UInt8(span.count)] + span
        let resourceSpans: [UInt8] = [0x12, UInt8(scopeSpans.count)] + scopeSpans
        XCTAssertNil(scan([0x0a, UInt8(resourceSpans.count)] + resourceSpans))
    }

    func testRefusesNestingBeyondSixtyFourLevels() {
        // AnyValue.array_value > ArrayValue.values > AnyValue ... nested 40 times (80 levels).
        var value: [UInt8] = [0x18, 0x01]  // AnyValue.int_value = 1
        for _ in 0..<40 {
            let array: [UInt8] = [0x0a] + varint(value.count) + value      // ArrayValue.values
            value = [0x2a] + varint(array.count) + array                    // AnyValue.array_value
        }
        let keyValue: [UInt8] = [0x0a, 0x01, 0x6b, 0x12] + varint(value.count) + value
        let resource: [UInt8] = [0x0a] + varint(keyValue.count) + keyValue
        let resourceSpans: [UInt8] = [0x0a] + varint(resource.count) + resource
        XCTAssertNil(scan([0x0a] + varint(resourceSpans.count) + resourceSpans))
    }

    private func firstRange(of needle: [UInt8], in haystack: [UInt8]) -> Range<Int>? {
        guard needle.count <= haystack.count else { return nil }
        for start in 0...(haystack.count - needle.count) where Array(haystack[start..<start + needle.count]) == needle {
            return start..<start + needle.count
        }
        return nil
    }
}

/// Hand-built requests for what the encoder never emits, and malformed wire input.
final class OTLPScanEdgeTests: XCTestCase {
    private func field(_ number: UInt64, _ payload: [UInt8]) -> [UInt8] { varint(number << 3 | 2) + varint(UInt64(payload.count)) + payload }

    /// request > resource_spans > scope_spans (with `scopeSpansExtra`) > one span (with `spanFields`).
    private func request(spanFields: [UInt8] = [], scopeSpansExtra: [UInt8] = [], resourceSpansExtra: [UInt8] = []) -> [UInt8] {
        let scopeSpans = scopeSpansExtra + field(2, spanFields)
        return field(1, resourceSpansExtra + field(2, scopeSpans))
    }

    func testTheSchemaTableAgreesWithProtobufCsDescriptors() {
        // 52 fields in 13 messages, each compared from both sides.
        var mismatches = 0
        XCTAssertEqual(cgrpc_otlp_scan_schema_check(&mismatches), 104)
        XCTAssertEqual(mismatches, 0)
    }

    func testAcceptsEverySchemaFieldTheEncoderNeverWrites() {
        let keyValue = field(1, Array("k".utf8)) + field(2, [])                                 // key, an empty value
        let kvlist = field(6, field(1, keyValue))                                               // AnyValue.kvlist_value
        let attribute = field(1, Array("nested".utf8)) + field(2, kvlist)
        let scope = field(1, Array("s".utf8)) + field(2, Array("1".utf8)) + field(3, attribute) + [0x20, 0x05]
        let resource = field(1, attribute) + [0x10, 0x07]                                       // attributes, dropped count
        let body = request(spanFields: field(9, attribute),
                           scopeSpansExtra: field(1, scope) + field(3, Array("https://schema".utf8)),
                           resourceSpansExtra: field(1, resource) + field(3, Array("https://schema".utf8)))
        XCTAssertEqual(scan(body), 1)
    }

    func testRefusesMalformedVarintsFieldNumbersAndWireTypes() {
        XCTAssertNil(scan([0x08] + Array(repeating: 0xff, count: 10) + [0x01]), "an 11-byte varint")
        XCTAssertNil(scan([0x08] + Array(repeating: 0xff, count: 9) + [0x02]), "a varint beyond 64 bits")
        XCTAssertNotNil(scan([0xc8, 0x01] + Array(repeating: 0xff, count: 9) + [0x01]), "the largest 10-byte varint, unknown field 25")
        XCTAssertNil(scan([0x02, 0x00]), "field number 0")
        XCTAssertNil(scan([0xce, 0x01, 0x00]), "wire type 6 (field 25)")
        XCTAssertNil(scan([0xcf, 0x01, 0x00]), "wire type 7 (field 25)")
        XCTAssertNil(scan([0xcb, 0x01]), "a group start (field 25)")
        XCTAssertNil(scan([0x0a] + varint(UInt64(Int64.max))), "a length far beyond the input")
        XCTAssertNil(scan(request(spanFields: [0x39, 1, 2, 3])), "a fixed64 field cut short")
    }

    func testRefusesEveryKindOfInvalidUTF8() {
        func name(_ bytes: [UInt8]) -> UInt64? { scan(request(spanFields: field(5, bytes))) }
        XCTAssertEqual(name(Array("héllo ✓ 𝄞".utf8)), 1)
        XCTAssertEqual(name([0xf4, 0x8f, 0xbf, 0xbf]), 1, "U+10FFFF is the last code point")
        XCTAssertNil(name([0xc0, 0xaf]), "overlong 2-byte form")
        XCTAssertNil(name([0xe0, 0x80, 0xaf]), "overlong 3-byte form")
        XCTAssertNil(name([0xf0, 0x80, 0x80, 0xaf]), "overlong 4-byte form")
        XCTAssertNil(name([0xed, 0xa0, 0x80]), "a UTF-16 surrogate")
        XCTAssertNil(name([0xf4, 0x90, 0x80, 0x80]), "above U+10FFFF")
        XCTAssertNil(name([0xf5, 0x80, 0x80, 0x80]), "an invalid lead byte")
        XCTAssertNil(name([0x61, 0xe2, 0x9c]), "a sequence cut at the end")
        XCTAssertNil(name([0xe2, 0x28, 0xa1]), "a bad continuation byte")
        XCTAssertNil(name([0x80]), "a lone continuation byte")
    }

    func testNestingUpToTheLimitIsAccepted() {
        // The request, resource spans, resource and key/value take 4 levels; any value/array pairs add 2 each.
        func nested(_ pairs: Int) -> [UInt8] {
            var value: [UInt8] = [0x18, 0x01]
            for _ in 0..<pairs { value = field(5, field(1, value)) }
            return field(1, field(1, field(1, field(1, Array("k".utf8)) + field(2, value))))
        }
        XCTAssertEqual(scan(nested(29)), 0)
        XCTAssertNil(scan(nested(40)))
    }

    func testAgreesWithProtobufCOnMutatedRequests() {
        let records = (0..<3).map { sampleSpan(index: $0) }
        let valid = OTLPRequestEncoder(resource: Resource(attributes: [Attribute("service.name", "fuzz")])).encode(records).requests[0].bytes
        var generator = SplitMix64(seed: 7)
        var accepted = 0
        for _ in 0..<3_000 {
            var bytes = valid
            for _ in 0..<(1 + Int(generator.next() % 3)) {
                let at = Int(generator.next() % UInt64(bytes.count))
                switch generator.next() % 3 {
                case 0: bytes[at] = UInt8(truncatingIfNeeded: generator.next())
                case 1: bytes.removeSubrange(at...)
                default: bytes.insert(UInt8(truncatingIfNeeded: generator.next()), at: at)
                }
                if bytes.isEmpty { break }
            }
            guard let spans = scan(bytes) else { continue }
            accepted += 1
            // Whatever the validating decoder accepts, protobuf-c must decode to the same count.
            guard let count = protobufCCount(bytes) else { XCTFail("protobuf-c refused bytes the scan accepted: \(bytes)"); continue }
            XCTAssertEqual(count, spans)
        }
        XCTAssertGreaterThan(accepted, 10, "some mutations (inside values) stay valid")
    }
}
