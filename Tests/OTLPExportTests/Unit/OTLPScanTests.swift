import CGRPC
import XCTest
@testable import OTLPExport

/// The validating wire decoder of the native receiver: it must count exactly what protobuf-c
/// decodes, and refuse what is not a valid request.
final class OTLPScanTests: XCTestCase {
    private func scan(_ bytes: [UInt8]) -> UInt64? {
        var spans: UInt64 = 0
        let ok = bytes.withUnsafeBufferPointer { cgrpc_otlp_scan_request($0.baseAddress, $0.count, &spans) }
        return ok == 1 ? spans : nil
    }

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

    private func varint(_ value: Int) -> [UInt8] {
        var value = UInt64(value)
        var out: [UInt8] = []
        while value >= 0x80 { out.append(UInt8(value & 0x7f) | 0x80); value >>= 7 }
        return out + [UInt8(value)]
    }

    private func firstRange(of needle: [UInt8], in haystack: [UInt8]) -> Range<Int>? {
        guard needle.count <= haystack.count else { return nil }
        for start in 0...(haystack.count - needle.count) where Array(haystack[start..<start + needle.count]) == needle {
            return start..<start + needle.count
        }
        return nil
    }
}
