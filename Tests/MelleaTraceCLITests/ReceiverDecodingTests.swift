import OTLPExport
@testable import OTLPReceiver
import XCTest

/// The receiver's handler gets every field the exporter sent, decoded.
final class ReceiverDecodingTests: XCTestCase {
    func testEveryFieldSentArrivesDecoded() async throws {
        let received = Locked<[ReceivedSpan]>([])
        let receiver = try OTLPReceiver { request in received.withLock { $0.append(contentsOf: request.spans) } }
        defer { receiver.stop() }
        let exporter = try exporter(to: "http://127.0.0.1:\(receiver.port)", service: "decoding")
        let result = await exporter.export([exampleSpan(index: 0), exampleSpan(index: 1, parent: 0)])
        await exporter.shutdown(timeout: .seconds(5))
        XCTAssertEqual(result, .success(2))

        let spans = received.withLock { $0 }
        XCTAssertEqual(spans.map(\.name), ["chat model-0", "chat model-1"])
        let child = try XCTUnwrap(spans.last)
        XCTAssertEqual(child.traceIDHex, "0102030405060708090a0b0c0d0e0f10")
        XCTAssertEqual(child.spanIDHex, "1112131415161701")
        XCTAssertEqual(child.parentSpanIDHex, "1112131415161700")
        XCTAssertEqual(spans[0].parentSpanID, [], "a root has no parent id")
        XCTAssertEqual(child.traceState, "vendor=value")
        XCTAssertEqual(child.kind, 3)
        XCTAssertEqual(child.startTimeUnixNano, 1_700_000_000_001_000_000)
        XCTAssertEqual(child.endTimeUnixNano, 1_700_000_000_001_500_000)
        XCTAssertEqual(child.attributes, [
            KeyValue("s", .string("héllo \"quoted\"\n")), KeyValue("b", .bool(true)),
            KeyValue("i", .int(-9_223_372_036_854_775_807)), KeyValue("d", .double(0.7)),
            KeyValue("sa", .array([.string("stop"), .string("length")])), KeyValue("by", .bytes([0, 1, 0xfe, 0xff])),
        ])
        XCTAssertEqual(child.droppedAttributesCount, 2)
        XCTAssertEqual(child.events, [ReceivedSpan.Event(timeUnixNano: 1_700_000_000_001_000_100, name: "first_chunk",
                                                         attributes: [KeyValue("ttft", .double(0.042))], droppedAttributesCount: 1)])
        XCTAssertEqual(child.droppedEventsCount, 3)
        XCTAssertEqual(child.links.map { hex($0.traceID) }, ["fefefefefefefefefefefefefefefefe"])
        XCTAssertEqual(child.links.first?.traceState, "lk=lv")
        XCTAssertEqual(child.links.first?.attributes, [KeyValue("link.i", .int(7))])
        XCTAssertEqual(child.droppedLinksCount, 4)
        XCTAssertEqual(child.status, ReceivedSpan.Status(code: 2, message: "boom"))
        XCTAssertEqual(child.scope.name, "test.scope")
        XCTAssertEqual(child.scope.version, "1.2.3")
        XCTAssertEqual(child.resource.attributes.first { $0.key == "service.name" }?.value, .string("decoding"))
    }

    func testBytesThatAreNoRequestAreAnError() {
        let garbage: [UInt8] = [0xde, 0xad, 0xbe, 0xef]
        XCTAssertThrowsError(try garbage.withUnsafeBytes { try ReceivedRequest(decoding: $0) }) { error in
            XCTAssertEqual(String(describing: error), "request is not a valid ExportTraceServiceRequest (4 bytes)")
        }
        XCTAssertEqual(try [UInt8]().withUnsafeBytes { try ReceivedRequest(decoding: $0) }.spans, [],
                       "an empty message is an empty request")
    }
}
