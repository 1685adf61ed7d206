import CGRPC
import XCTest
@testable import OTLPExport

/// Text that C strings cannot carry as is: protobuf-c ends strings at the first NUL.
final class EncoderTextTests: XCTestCase {
    func testANULInsideTextBecomesAReplacementCharacterInsteadOfCuttingTheText() throws {
        let span = SpanRecord(traceID: TraceID(high: 1, low: 2), spanID: SpanID(3), name: "a\0b",
                              startTimeUnixNano: 1, endTimeUnixNano: 2,
                              attributes: [Attribute("k\0", .string("\0x\0")), Attribute("list", .stringArray(["\0"]))],
                              scope: InstrumentationScope(name: "s"))
        let bytes = try XCTUnwrap(OTLPRequestEncoder(resource: Resource(attributes: [])).encode([span]).requests.first?.bytes)
        let request = try XCTUnwrap(bytes.withUnsafeBufferPointer {
            opentelemetry__proto__collector__trace__v1__export_trace_service_request__unpack(nil, $0.count, $0.baseAddress)
        })
        defer { opentelemetry__proto__collector__trace__v1__export_trace_service_request__free_unpacked(request, nil) }
        let decoded = request.pointee.resource_spans[0]!.pointee.scope_spans[0]!.pointee.spans[0]!.pointee
        XCTAssertEqual(String(cString: decoded.name), "a\u{FFFD}b")
        let first = decoded.attributes[0]!.pointee
        XCTAssertEqual(String(cString: first.key), "k\u{FFFD}")
        XCTAssertEqual(String(cString: first.value.pointee.string_value), "\u{FFFD}x\u{FFFD}")
        let list = decoded.attributes[1]!.pointee.value.pointee.array_value.pointee
        XCTAssertEqual(String(cString: list.values[0]!.pointee.string_value), "\u{FFFD}")

        var spans: UInt64 = 0
        XCTAssertEqual(bytes.withUnsafeBufferPointer { cgrpc_otlp_scan_request($0.baseAddress, $0.count, &spans) }, 1,
                       "still valid UTF-8")
    }
}
