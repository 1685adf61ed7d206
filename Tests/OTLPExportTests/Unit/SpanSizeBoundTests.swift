import CGRPC
import XCTest
@testable import OTLPExport

/// The encoder packs each part of a span (head, each attribute, tail) into a buffer of the size
/// bound counted while building its message: the bound must never be less than what protobuf-c
/// writes, whatever the span holds.
final class SpanSizeBoundTests: XCTestCase {
    private func assertBoundCovers(_ span: SpanRecord, file: StaticString = #filePath, line: UInt = #line) {
        let messages = ProtobufCMessages()
        func check<Message>(_ message: UnsafeMutablePointer<Message>, _ part: String) {
            let size = protobuf_c_message_get_packed_size(UnsafeRawPointer(message).assumingMemoryBound(to: ProtobufCMessage.self))
            XCTAssertGreaterThanOrEqual(messages.sizeBound, size, part, file: file, line: line)
            XCTAssertLessThan(messages.sizeBound, 4 * size + 1024, "a bound this loose would waste memory (\(part))",
                              file: file, line: line)
        }
        check(messages.makeSpanHead(span), "head")
        for attribute in span.attributes { check(messages.makeKeyValue(attribute), "attribute \(attribute.key.prefix(20))") }
        check(messages.makeSpanTail(span), "tail")
    }

    func testBoundCoversTheSampleSpanWithEveryAttributeType() {
        assertBoundCovers(sampleSpan())
    }

    func testBoundCoversWorstCaseScalarsAndLongContent() {
        let long = String(repeating: "é", count: 70_000)  // 140,000 UTF-8 bytes: a 3-byte length
        let attributes: [Attribute] = [
            Attribute("negative", .int(Int64.min)), Attribute("max", .int(Int64.max)),
            Attribute(long, .string(long)), Attribute("bytes", .bytes(Array(repeating: 0xff, count: 20_000))),
            Attribute("ints", .intArray(Array(repeating: -1, count: 1_000))),
            Attribute("bools", .boolArray(Array(repeating: true, count: 1_000))),
            Attribute("doubles", .doubleArray(Array(repeating: -0.0, count: 1_000))),
            Attribute("strings", .stringArray(Array(repeating: "", count: 1_000) + [long])),
            Attribute("", .string("")),
        ]
        let events = (0..<50).map { SpanEvent(name: "e\($0)", timeUnixNano: .max, attributes: attributes,
                                              droppedAttributesCount: .max) }
        let links = (0..<20).map { _ in SpanLink(traceID: TraceID(high: .max, low: .max), spanID: SpanID(.max),
                                                 traceFlags: 0xff, traceState: long, attributes: attributes,
                                                 droppedAttributesCount: .max) }
        let span = SpanRecord(traceID: TraceID(high: .max, low: .max), spanID: SpanID(.max), parentSpanID: SpanID(.max),
                              traceFlags: 0xff, traceState: long, parentIsRemote: true, name: long, kind: .consumer,
                              startTimeUnixNano: .max, endTimeUnixNano: .max, attributes: attributes,
                              events: events, links: links, status: .error(description: long),
                              scope: InstrumentationScope(name: "s"), droppedAttributesCount: .max,
                              droppedEventsCount: .max, droppedLinksCount: .max)
        assertBoundCovers(span)
    }

    func testBoundCoversAnEmptySpan() {
        let span = SpanRecord(traceID: TraceID(high: 0, low: 1), spanID: SpanID(1), name: "", startTimeUnixNano: 0,
                              endTimeUnixNano: 0, scope: InstrumentationScope(name: ""))
        assertBoundCovers(span)
    }
}
