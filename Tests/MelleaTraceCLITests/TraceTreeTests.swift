@testable import OTLPReceiver
import XCTest

/// A handmade span of trace `t1` (ids are one byte, enough for a tree).
func treeSpan(_ name: String, id: UInt8, parent: UInt8? = nil, start: UInt64, end: UInt64, kind: Int32 = 1,
              status: Int32 = 0, attributes: [KeyValue] = [], trace: UInt8 = 1) -> ReceivedSpan {
    ReceivedSpan(
        resource: ReceivedResource(attributes: [KeyValue("service.name", .string("svc"))], droppedAttributesCount: 0, schemaURL: ""),
        scope: ReceivedScope(name: "scope", version: "", attributes: [], droppedAttributesCount: 0, schemaURL: ""),
        traceID: Array(repeating: trace, count: 16), spanID: Array(repeating: id, count: 8),
        parentSpanID: parent.map { Array(repeating: $0, count: 8) } ?? [], traceState: "", flags: 0, name: name, kind: kind,
        startTimeUnixNano: start, endTimeUnixNano: end, attributes: attributes, droppedAttributesCount: 0,
        events: [], droppedEventsCount: 0, links: [], droppedLinksCount: 0, status: ReceivedSpan.Status(code: status, message: ""))
}

final class TraceTreeTests: XCTestCase {
    private let ms: UInt64 = 1_000_000

    func testSpansAreIndentedByParentageInStartOrderWithKindDurationStatusBarAndKeyAttributes() {
        let spans = [  // out of order on purpose: the tree orders by start time
            treeSpan("execute_tool lookup", id: 4, parent: 1, start: 6 * ms, end: 8 * ms, status: 2,
                     attributes: [KeyValue("gen_ai.tool.name", .string("lookup")), KeyValue("error.type", .string("Timeout"))]),
            treeSpan("chat m", id: 3, parent: 2, start: 1 * ms, end: 5 * ms, kind: 3, status: 1, attributes: [
                KeyValue("gen_ai.request.model", .string("m")), KeyValue("gen_ai.usage.input_tokens", .int(10)),
                KeyValue("gen_ai.usage.output_tokens", .int(2)), KeyValue("gen_ai.response.finish_reasons", .array([.string("stop")])),
            ]),
            treeSpan("invoke_agent session", id: 1, start: 0, end: 8 * ms),
            treeSpan("sampling", id: 2, parent: 1, start: 1 * ms, end: 5 * ms),
        ]
        XCTAssertEqual(TraceTree(colour: false, barWidth: 8).render(spans), """
            trace 01010101010101010101010101010101  svc · 4 spans · 8.00 ms
            invoke_agent session    internal  8.00 ms  unset  ████████
            ├─ sampling             internal  4.00 ms  unset  ·████···
            │  └─ chat m            client    4.00 ms  ok     ·████···  model=m tokens=10 in/2 out finish=stop
            └─ execute_tool lookup  internal  2.00 ms  error  ······██  tool=lookup error=Timeout

            """)
    }

    func testASpanWhoseParentNeverArrivedIsShownAsARootAndTracesAreSeparate() {
        let text = TraceTree(colour: false, barWidth: 4).render([
            treeSpan("late child", id: 5, parent: 9, start: 2 * ms, end: 3 * ms),
            treeSpan("other trace", id: 1, start: 0, end: 1 * ms, trace: 2),
        ])
        let lines = text.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.filter { $0.hasPrefix("trace ") }.count, 2, text)
        XCTAssertTrue(lines.contains { $0.hasPrefix("late child ") }, "an orphan is drawn as a root:\n\(text)")
    }

    func testColourOnlyWhenAskedAndNeverWithNoColor() {
        let spans = [treeSpan("root", id: 1, start: 0, end: ms, status: 2)]
        XCTAssertTrue(TraceTree(colour: true).render(spans).contains("\u{1B}[31merror"))
        XCTAssertFalse(TraceTree(colour: false).render(spans).contains("\u{1B}"))
        XCTAssertFalse(TerminalColour.isEnabled(descriptor: 1, environment: ["NO_COLOR": "1"]))
        let pipe = Pipe()
        XCTAssertFalse(TerminalColour.isEnabled(descriptor: pipe.fileHandleForWriting.fileDescriptor, environment: [:]),
                       "a pipe is no terminal")
    }
}

final class TraceAssemblerTests: XCTestCase {
    func testATraceIsGivenBackOnlyOnceQuietAndAllAtTheEnd() {
        let assembler = TraceAssembler(quietTime: .seconds(1))
        let start = ContinuousClock.now
        assembler.add([treeSpan("a", id: 1, start: 0, end: 1)], now: start)
        assembler.add([treeSpan("b", id: 2, start: 0, end: 1, trace: 2)], now: start + .milliseconds(900))
        assembler.add([treeSpan("a2", id: 3, parent: 1, start: 0, end: 1)], now: start + .milliseconds(500))
        XCTAssertEqual(assembler.takeQuiet(now: start + .milliseconds(1_200)), [], "trace 1's last span came 700 ms ago")
        XCTAssertEqual(assembler.takeQuiet(now: start + .milliseconds(1_500)).map { $0.map(\.name) }, [["a", "a2"]])
        XCTAssertEqual(assembler.takeAll().map { $0.map(\.name) }, [["b"]])
        XCTAssertEqual(assembler.takeAll(), [])
        XCTAssertEqual(assembler.traceCount, 2)
    }
}

final class OTLPJSONLineTests: XCTestCase {
    func testALineIsAResourceSpansInTheOTLPJSONEncoding() {
        var span = treeSpan("chat m", id: 0xab, parent: 0x01, start: 5, end: 9, kind: 3, status: 2, attributes: [
            KeyValue("i", .int(-3)), KeyValue("d", .double(2)), KeyValue("n", .double(.nan)), KeyValue("b", .bytes([0xff])),
            KeyValue("kv", .keyValues([KeyValue("x", .bool(false))])), KeyValue("s", .string("a\"\u{1}")),
        ])
        span.status.message = "bad"
        span.resource.schemaURL = "https://example.com/r"
        XCTAssertEqual(OTLPJSONLine.encode(span), #"""
            {"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}]},"scopeSpans":[{"scope":{"name":"scope"},"spans":[{"traceId":"01010101010101010101010101010101","spanId":"abababababababab","parentSpanId":"0101010101010101","name":"chat m","kind":3,"startTimeUnixNano":"5","endTimeUnixNano":"9","attributes":[{"key":"i","value":{"intValue":"-3"}},{"key":"d","value":{"doubleValue":2}},{"key":"n","value":{"doubleValue":"NaN"}},{"key":"b","value":{"bytesValue":"/w=="}},{"key":"kv","value":{"kvlistValue":{"values":[{"key":"x","value":{"boolValue":false}}]}}},{"key":"s","value":{"stringValue":"a\"\u0001"}}],"status":{"message":"bad","code":2}}]}],"schemaUrl":"https://example.com/r"}
            """#)
    }
}
