import CGRPC
import XCTest
@testable import OTLPExport

/// How the encoder splits a batch into size-limited requests and groups spans by scope. The
/// requests are read back with the generated protobuf-c decoder.
final class EncoderSplittingTests: XCTestCase {
    struct DecodedScope {
        var name = ""
        var version = ""
        var spanIDs: [UInt64] = []
        var flags: [UInt32] = []
    }

    struct DecodedRequest {
        var resourceKeys: [String] = []
        var scopes: [DecodedScope] = []
        var spanIDs: [UInt64] { scopes.flatMap { $0.spanIDs } }
    }

    private static let scopeA = InstrumentationScope(name: "scope.a", version: "1")
    private static let scopeB = InstrumentationScope(name: "scope.b", version: "2")

    private static func encoder(maxRequestBytes: Int = 4 * 1024 * 1024) -> OTLPRequestEncoder {
        OTLPRequestEncoder(resource: Resource(attributes: [Attribute("service.name", "split")]),
                           maxRequestBytes: maxRequestBytes)
    }

    /// A span whose span id is `index + 1`, carrying a string attribute of `payloadBytes` bytes.
    private static func span(_ index: Int, payloadBytes: Int = 10, scope: InstrumentationScope? = nil,
                             parentIsRemote: Bool? = nil) -> SpanRecord {
        SpanRecord(
            traceID: TraceID(high: 1, low: UInt64(index) + 1), spanID: SpanID(UInt64(index) + 1),
            parentSpanID: SpanID(0xffff), traceFlags: 1, parentIsRemote: parentIsRemote,
            name: "span-\(index)", kind: .client,
            startTimeUnixNano: 1_000 + UInt64(index), endTimeUnixNano: 2_000 + UInt64(index),
            attributes: [Attribute("payload", .string(String(repeating: "x", count: payloadBytes)))],
            scope: scope ?? Self.scopeA)
    }

    private static func bigEndian(_ data: ProtobufCBinaryData) -> UInt64 {
        var value: UInt64 = 0
        for i in 0..<data.len { value = value << 8 | UInt64(data.data[i]) }
        return value
    }

    /// The request decoded by protobuf-c, or `nil` when the bytes are not a valid request.
    private static func decode(_ bytes: [UInt8]) -> DecodedRequest? {
        bytes.withUnsafeBufferPointer { buffer -> DecodedRequest? in
            guard let request = opentelemetry__proto__collector__trace__v1__export_trace_service_request__unpack(
                nil, buffer.count, buffer.baseAddress) else { return nil }
            defer { opentelemetry__proto__collector__trace__v1__export_trace_service_request__free_unpacked(request, nil) }
            var decoded = DecodedRequest()
            for r in 0..<request.pointee.n_resource_spans {
                guard let resourceSpans = request.pointee.resource_spans[r] else { continue }
                if let resource = resourceSpans.pointee.resource {
                    for a in 0..<resource.pointee.n_attributes {
                        if let pair = resource.pointee.attributes[a], let key = pair.pointee.key {
                            decoded.resourceKeys.append(String(cString: key))
                        }
                    }
                }
                for s in 0..<resourceSpans.pointee.n_scope_spans {
                    guard let scopeSpans = resourceSpans.pointee.scope_spans[s] else { continue }
                    var scope = DecodedScope()
                    if let cScope = scopeSpans.pointee.scope {
                        if let name = cScope.pointee.name { scope.name = String(cString: name) }
                        if let version = cScope.pointee.version { scope.version = String(cString: version) }
                    }
                    for i in 0..<scopeSpans.pointee.n_spans {
                        guard let span = scopeSpans.pointee.spans[i] else { continue }
                        scope.spanIDs.append(Self.bigEndian(span.pointee.span_id))
                        scope.flags.append(span.pointee.flags)
                    }
                    decoded.scopes.append(scope)
                }
            }
            return decoded
        }
    }

    private static func hundredSpansOf500Bytes() -> [SpanRecord] {
        (0..<100).map { Self.span($0, payloadBytes: 500) }
    }

    // MARK: - Splitting

    func testEverySplitRequestStaysWithinMaxRequestBytes() {
        let batch = Self.encoder(maxRequestBytes: 10_000).encode(Self.hundredSpansOf500Bytes())
        XCTAssertFalse(batch.requests.isEmpty)
        for (index, request) in batch.requests.enumerated() {
            XCTAssertLessThanOrEqual(request.bytes.count, 10_000, "request \(index)")
        }
    }

    func testSplitSpanCountsAddUpToTheBatch() {
        let batch = Self.encoder(maxRequestBytes: 10_000).encode(Self.hundredSpansOf500Bytes())
        XCTAssertEqual(batch.requests.map { $0.spanCount }.reduce(0, +), 100)
        XCTAssertEqual(batch.oversizedSpans, 0)
    }

    func testBatchLargerThanTheLimitBecomesSeveralRequests() {
        let batch = Self.encoder(maxRequestBytes: 10_000).encode(Self.hundredSpansOf500Bytes())
        XCTAssertGreaterThan(batch.requests.count, 1)
    }

    func testSplitRequestsAreFilledRatherThanOneSpanEach() {
        // Each span packs to about 590 bytes, so 16 fit in 10 000 bytes: 7 requests for 100 spans
        // (one span per request would be 100; a little slack is allowed for the size estimate).
        let batch = Self.encoder(maxRequestBytes: 10_000).encode(Self.hundredSpansOf500Bytes())
        XCTAssertLessThanOrEqual(batch.requests.count, 8)
        XCTAssertGreaterThanOrEqual(batch.requests.first?.spanCount ?? 0, 15)
    }

    func testSplitRequestsCarryEverySpanOnceInOrder() throws {
        let batch = Self.encoder(maxRequestBytes: 10_000).encode(Self.hundredSpansOf500Bytes())
        var ids: [UInt64] = []
        for request in batch.requests {
            let decoded = try XCTUnwrap(Self.decode(request.bytes))
            XCTAssertEqual(decoded.spanIDs.count, request.spanCount)
            ids += decoded.spanIDs
        }
        XCTAssertEqual(ids, Array(UInt64(1)...UInt64(100)))
    }

    func testEverySplitRequestCarriesTheResourceAndScope() throws {
        let batch = Self.encoder(maxRequestBytes: 10_000).encode(Self.hundredSpansOf500Bytes())
        for request in batch.requests {
            let decoded = try XCTUnwrap(Self.decode(request.bytes))
            XCTAssertEqual(decoded.resourceKeys, ["service.name"])
            XCTAssertEqual(decoded.scopes.map { $0.name }, ["scope.a"])
            XCTAssertEqual(decoded.scopes.map { $0.version }, ["1"])
        }
    }

    func testBatchWithinTheLimitIsOneRequest() {
        let batch = Self.encoder().encode(Self.hundredSpansOf500Bytes())
        XCTAssertEqual(batch.requests.count, 1)
        XCTAssertEqual(batch.requests.first?.spanCount, 100)
    }

    // MARK: - Oversized spans

    func testSpanLargerThanTheLimitIsCountedAsOversized() {
        let spans = [Self.span(0, payloadBytes: 100), Self.span(1, payloadBytes: 20_000), Self.span(2, payloadBytes: 100)]
        let batch = Self.encoder(maxRequestBytes: 10_000).encode(spans)
        XCTAssertEqual(batch.oversizedSpans, 1)
    }

    func testSpansAroundAnOversizedSpanAreStillEncoded() throws {
        let spans = [Self.span(0, payloadBytes: 100), Self.span(1, payloadBytes: 20_000), Self.span(2, payloadBytes: 100)]
        let batch = Self.encoder(maxRequestBytes: 10_000).encode(spans)
        XCTAssertEqual(batch.requests.map { $0.spanCount }.reduce(0, +), 2)
        var ids: [UInt64] = []
        for request in batch.requests {
            XCTAssertLessThanOrEqual(request.bytes.count, 10_000)
            let decoded = try XCTUnwrap(Self.decode(request.bytes))
            ids += decoded.spanIDs
        }
        XCTAssertEqual(ids, [1, 3])
    }

    func testOnlyOversizedSpansGiveNoRequests() {
        let batch = Self.encoder(maxRequestBytes: 10_000).encode([Self.span(0, payloadBytes: 20_000)])
        XCTAssertTrue(batch.requests.isEmpty)
        XCTAssertEqual(batch.oversizedSpans, 1)
    }

    func testOversizedSpanFirstDoesNotLoseTheRest() throws {
        let spans = [Self.span(0, payloadBytes: 20_000), Self.span(1), Self.span(2)]
        let batch = Self.encoder(maxRequestBytes: 10_000).encode(spans)
        XCTAssertEqual(batch.oversizedSpans, 1)
        XCTAssertEqual(batch.requests.count, 1)
        let request = try XCTUnwrap(batch.requests.first)
        let decoded = try XCTUnwrap(Self.decode(request.bytes))
        XCTAssertEqual(decoded.spanIDs, [2, 3])
    }

    // MARK: - Empty input

    func testEmptyInputGivesNoRequests() {
        let batch = Self.encoder().encode([])
        XCTAssertTrue(batch.requests.isEmpty)
        XCTAssertEqual(batch.oversizedSpans, 0)
    }

    // MARK: - Scopes

    func testSpansOfTwoScopesShareOneRequest() throws {
        let spans = [Self.span(0, scope: Self.scopeA), Self.span(1, scope: Self.scopeB), Self.span(2, scope: Self.scopeA)]
        let batch = Self.encoder().encode(spans)
        XCTAssertEqual(batch.requests.count, 1)
        XCTAssertEqual(batch.requests.first?.spanCount, 3)
        let request = try XCTUnwrap(batch.requests.first)
        let decoded = try XCTUnwrap(Self.decode(request.bytes))
        XCTAssertEqual(decoded.scopes.map { $0.name }, ["scope.a", "scope.b"])
        XCTAssertEqual(decoded.scopes.map { $0.version }, ["1", "2"])
    }

    func testSpansAreGroupedUnderTheirScopeKeepingOrder() throws {
        let spans = [Self.span(0, scope: Self.scopeA), Self.span(1, scope: Self.scopeB), Self.span(2, scope: Self.scopeA)]
        let batch = Self.encoder().encode(spans)
        let request = try XCTUnwrap(batch.requests.first)
        let decoded = try XCTUnwrap(Self.decode(request.bytes))
        XCTAssertEqual(decoded.scopes.map { $0.spanIDs }, [[1, 3], [2]])
    }

    func testSampleSpansOfTwoScopesDecode() throws {
        let a = InstrumentationScope(name: "mellea.backend", version: "1")
        let b = InstrumentationScope(name: "mellea.session", version: "")
        let batch = Self.encoder().encode([sampleSpan(index: 0, scope: a), sampleSpan(index: 1, scope: b)])
        let request = try XCTUnwrap(batch.requests.first)
        let decoded = try XCTUnwrap(Self.decode(request.bytes))
        XCTAssertEqual(decoded.scopes.map { $0.name }, ["mellea.backend", "mellea.session"])
        XCTAssertEqual(decoded.scopes.map { $0.version }, ["1", ""])
        XCTAssertEqual(decoded.spanIDs, [0x1112_1314_1516_1700, 0x1112_1314_1516_1701])
    }

    // MARK: - Span flags on the wire

    func testSpanFlagsOnTheWireCarryParentRemoteness() throws {
        let spans = [Self.span(0, parentIsRemote: nil), Self.span(1, parentIsRemote: false), Self.span(2, parentIsRemote: true)]
        let request = try XCTUnwrap(Self.encoder().encode(spans).requests.first)
        let decoded = try XCTUnwrap(Self.decode(request.bytes))
        XCTAssertEqual(decoded.scopes.first?.flags, [0x001, 0x101, 0x301])
    }
}
