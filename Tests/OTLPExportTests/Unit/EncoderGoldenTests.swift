import XCTest
@testable import OTLPExport

/// The encoder's bytes against goldens serialized by the official Python classes.
///
/// Both protobuf-c and Python's (upb) serializer write the fields of every message in field-number
/// order (Span: 1 trace_id, 2 span_id, 3 trace_state, 4 parent_span_id, 5 name, 6 kind,
/// 7 start, 8 end, 9 attributes, 10–14 dropped counts/events/links, 15 status, 16 flags; Status:
/// 2 message, 3 code; Event: 1 time, 2 name, 3 attributes), omit proto3 defaults (empty strings
/// and bytes, zero numbers) and keep a set sub-message even when it is empty, so the bytes must
/// be identical. Both goldens were also packed with the generated protobuf-c code of this package
/// (from C, mirroring the encoder's field assignments) and compared byte for byte with Python's.
///
/// Produced with the project venv (protobuf 7.36.2 (upb), opentelemetry-proto 1.45.2):
///
///     from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
///     from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span, Status
///     from opentelemetry.proto.common.v1.common_pb2 import AnyValue, ArrayValue, InstrumentationScope, KeyValue
///     from opentelemetry.proto.resource.v1.resource_pb2 import Resource
///
///     def kv(key, **value):
///         return KeyValue(key=key, value=AnyValue(**value))
///
///     # golden
///     span = Span(
///         trace_id=bytes.fromhex("0102030405060708090a0b0c0d0e0f10"),
///         span_id=bytes.fromhex("1112131415161718"),
///         parent_span_id=bytes.fromhex("2122232425262728"),
///         flags=1,                       # traceFlags 1; parentIsRemote nil sets no bits 8-9
///         name="chat m",
///         kind=Span.SPAN_KIND_CLIENT,
///         start_time_unix_nano=1000,
///         end_time_unix_nano=2000,
///         attributes=[
///             kv("gen_ai.request.model", string_value="m"),
///             kv("n", int_value=5),
///             kv("t", double_value=0.5),
///             kv("f", bool_value=True),
///             kv("r", array_value=ArrayValue(values=[AnyValue(string_value="stop")])),
///         ],
///         events=[Span.Event(time_unix_nano=1500, name="e", attributes=[kv("x", int_value=1)])],
///         status=Status(code=Status.STATUS_CODE_ERROR, message="bad"),
///     )
///     request = ExportTraceServiceRequest(resource_spans=[ResourceSpans(
///         resource=Resource(attributes=[kv("service.name", string_value="golden")]),
///         scope_spans=[ScopeSpans(scope=InstrumentationScope(name="scope", version="1"), spans=[span])],
///     )])
///     request.SerializeToString(deterministic=True)
///
///     # minimalGolden: empty resource, scope without version, remote parent, tracestate, OK status
///     span = Span(
///         trace_id=bytes.fromhex("000000000000000a000000000000000b"),
///         span_id=bytes.fromhex("000000000000000c"),
///         trace_state="k=v",
///         flags=0x301,                   # traceFlags 1 | parent known (0x100) | remote (0x200)
///         name="n",
///         kind=Span.SPAN_KIND_INTERNAL,
///         start_time_unix_nano=1,
///         end_time_unix_nano=2,
///         status=Status(code=Status.STATUS_CODE_OK),
///     )
///     request = ExportTraceServiceRequest(resource_spans=[ResourceSpans(
///         resource=Resource(),
///         scope_spans=[ScopeSpans(scope=InstrumentationScope(name="s"), spans=[span])],
///     )])
///     request.SerializeToString(deterministic=True)
final class EncoderGoldenTests: XCTestCase {
    private static let golden: [UInt8] = [
        0x0a, 0xe6, 0x01, 0x0a, 0x1a, 0x0a, 0x18, 0x0a, 0x0c, 0x73, 0x65, 0x72, 0x76, 0x69, 0x63, 0x65,
        0x2e, 0x6e, 0x61, 0x6d, 0x65, 0x12, 0x08, 0x0a, 0x06, 0x67, 0x6f, 0x6c, 0x64, 0x65, 0x6e, 0x12,
        0xc7, 0x01, 0x0a, 0x0a, 0x0a, 0x05, 0x73, 0x63, 0x6f, 0x70, 0x65, 0x12, 0x01, 0x31, 0x12, 0xb8,
        0x01, 0x0a, 0x10, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d,
        0x0e, 0x0f, 0x10, 0x12, 0x08, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x22, 0x08, 0x21,
        0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x2a, 0x06, 0x63, 0x68, 0x61, 0x74, 0x20, 0x6d, 0x30,
        0x03, 0x39, 0xe8, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x41, 0xd0, 0x07, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x4a, 0x1b, 0x0a, 0x14, 0x67, 0x65, 0x6e, 0x5f, 0x61, 0x69, 0x2e, 0x72, 0x65,
        0x71, 0x75, 0x65, 0x73, 0x74, 0x2e, 0x6d, 0x6f, 0x64, 0x65, 0x6c, 0x12, 0x03, 0x0a, 0x01, 0x6d,
        0x4a, 0x07, 0x0a, 0x01, 0x6e, 0x12, 0x02, 0x18, 0x05, 0x4a, 0x0e, 0x0a, 0x01, 0x74, 0x12, 0x09,
        0x21, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xe0, 0x3f, 0x4a, 0x07, 0x0a, 0x01, 0x66, 0x12, 0x02,
        0x10, 0x01, 0x4a, 0x0f, 0x0a, 0x01, 0x72, 0x12, 0x0a, 0x2a, 0x08, 0x0a, 0x06, 0x0a, 0x04, 0x73,
        0x74, 0x6f, 0x70, 0x5a, 0x15, 0x09, 0xdc, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x12, 0x01,
        0x65, 0x1a, 0x07, 0x0a, 0x01, 0x78, 0x12, 0x02, 0x18, 0x01, 0x7a, 0x07, 0x12, 0x03, 0x62, 0x61,
        0x64, 0x18, 0x02, 0x85, 0x01, 0x01, 0x00, 0x00, 0x00,
    ]

    private static let minimalGolden: [UInt8] = [
        0x0a, 0x4d, 0x0a, 0x00, 0x12, 0x49, 0x0a, 0x03, 0x0a, 0x01, 0x73, 0x12, 0x42, 0x0a, 0x10, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0b, 0x12,
        0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x1a, 0x03, 0x6b, 0x3d, 0x76, 0x2a, 0x01,
        0x6e, 0x30, 0x01, 0x39, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x41, 0x02, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x7a, 0x02, 0x18, 0x01, 0x85, 0x01, 0x01, 0x03, 0x00, 0x00,
    ]

    private static func goldenSpan() -> SpanRecord {
        SpanRecord(
            traceID: TraceID(high: 0x0102_0304_0506_0708, low: 0x090a_0b0c_0d0e_0f10),
            spanID: SpanID(0x1112_1314_1516_1718),
            parentSpanID: SpanID(0x2122_2324_2526_2728),
            traceFlags: 1, parentIsRemote: nil,
            name: "chat m", kind: .client,
            startTimeUnixNano: 1000, endTimeUnixNano: 2000,
            attributes: [
                Attribute("gen_ai.request.model", .string("m")),
                Attribute("n", .int(5)),
                Attribute("t", .double(0.5)),
                Attribute("f", .bool(true)),
                Attribute("r", .stringArray(["stop"])),
            ],
            events: [SpanEvent(name: "e", timeUnixNano: 1500, attributes: [Attribute("x", .int(1))])],
            status: .error(description: "bad"),
            scope: InstrumentationScope(name: "scope", version: "1"))
    }

    private static func minimalSpan() -> SpanRecord {
        SpanRecord(
            traceID: TraceID(high: 0xa, low: 0xb), spanID: SpanID(0xc),
            traceFlags: 1, traceState: "k=v", parentIsRemote: true,
            name: "n", kind: .internal, startTimeUnixNano: 1, endTimeUnixNano: 2,
            status: .ok, scope: InstrumentationScope(name: "s"))
    }

    private static func goldenEncoder() -> OTLPRequestEncoder {
        OTLPRequestEncoder(resource: Resource(attributes: [Attribute("service.name", "golden")]))
    }

    private static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    func testOneSpanEncodesToThePythonGolden() throws {
        let batch = Self.goldenEncoder().encode([Self.goldenSpan()])
        XCTAssertEqual(batch.requests.count, 1)
        XCTAssertEqual(batch.oversizedSpans, 0)
        let request = try XCTUnwrap(batch.requests.first)
        XCTAssertEqual(request.spanCount, 1)
        XCTAssertEqual(Self.hex(request.bytes), Self.hex(Self.golden))
        XCTAssertEqual(request.bytes, Self.golden)
    }

    func testMinimalSpanEncodesToThePythonGolden() throws {
        let encoder = OTLPRequestEncoder(resource: Resource(attributes: []))
        let request = try XCTUnwrap(encoder.encode([Self.minimalSpan()]).requests.first)
        XCTAssertEqual(Self.hex(request.bytes), Self.hex(Self.minimalGolden))
    }

    func testReusedEncoderProducesIdenticalBytes() {
        let encoder = Self.goldenEncoder()
        let first = encoder.encode([Self.goldenSpan()]).requests.first?.bytes
        _ = encoder.encode((0..<50).map { sampleSpan(index: $0) })
        let second = encoder.encode([Self.goldenSpan()]).requests.first?.bytes
        XCTAssertEqual(first, Self.golden)
        XCTAssertEqual(second, Self.golden)
    }

    // MARK: - Span flags

    func testSpanFlagsWithoutParentRemoteInformationAreTheTraceFlags() {
        XCTAssertEqual(OTLPRequestEncoder.spanFlags(traceFlags: 1, parentIsRemote: nil), 0x001)
        XCTAssertEqual(OTLPRequestEncoder.spanFlags(traceFlags: 0, parentIsRemote: nil), 0x000)
    }

    func testSpanFlagsForLocalParentSetTheKnownBitOnly() {
        XCTAssertEqual(OTLPRequestEncoder.spanFlags(traceFlags: 1, parentIsRemote: false), 0x101)
    }

    func testSpanFlagsForRemoteParentSetBothBits() {
        XCTAssertEqual(OTLPRequestEncoder.spanFlags(traceFlags: 1, parentIsRemote: true), 0x301)
    }

    func testSpanFlagsKeepAllEightTraceFlagBits() {
        XCTAssertEqual(OTLPRequestEncoder.spanFlags(traceFlags: 0xff, parentIsRemote: nil), 0xff)
    }
}
