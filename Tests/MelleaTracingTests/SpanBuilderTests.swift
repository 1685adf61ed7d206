import MelleaTracing
import OTLPExport
import XCTest

/// The fast span API: limits, and a record that never changes once the span has ended.
final class SpanBuilderTests: XCTestCase {
    func testNothingChangesAfterEnd() throws {
        let collector = CollectingProcessor()
        let core = TracerCore(processor: collector)
        let span = core.startSpan("chat", kind: .client, parent: nil, at: 7)
        span.setAttribute("a", .int(1))
        span.addEvent("e")
        span.end(at: 42)
        let copy = span  // a copy of the handle is the same span
        copy.setAttribute("a", .int(2))
        copy.appendAttribute("b", .int(3))
        copy.replaceAttributes([Attribute("c", .int(4))])
        copy.addEvent("late")
        copy.addLink(SpanContext(traceID: TraceID(high: 1, low: 2), spanID: SpanID(3), traceFlags: 1))
        copy.name = "renamed"
        copy.setStatus(.error(description: "late"))
        copy.end(at: 99)

        let record = try XCTUnwrap(collector.spans.withLock { $0 }.first)
        XCTAssertEqual(collector.spans.withLock { $0.count }, 1, "ended once")
        XCTAssertEqual(record.name, "chat")
        XCTAssertEqual(record.attributes, [Attribute("a", .int(1))])
        XCTAssertEqual(record.events.map(\.name), ["e"])
        XCTAssertTrue(record.links.isEmpty)
        XCTAssertEqual(record.status, .unset)
        XCTAssertEqual(record.endTimeUnixNano, 42)
        XCTAssertTrue(span.hasEnded)
    }

    func testLimitsDropAndCountAttributesEventsAndLinks() throws {
        let collector = CollectingProcessor()
        var limits = SpanLimits()
        limits.attributeCount = 2
        limits.eventCount = 1
        limits.linkCount = 1
        let core = TracerCore(processor: collector, limits: limits)
        let span = core.startSpan("s", parent: nil)
        for i in 0..<4 { span.appendAttribute("k\(i)", .int(Int64(i))) }
        span.setAttribute("k0", .int(10))  // replacing does not count against the limit
        for i in 0..<3 { span.addEvent("e\(i)") }
        let other = SpanContext(traceID: TraceID(high: 1, low: 2), spanID: SpanID(3), traceFlags: 1)
        for _ in 0..<3 { span.addLink(other) }
        span.end()

        let record = try XCTUnwrap(collector.spans.withLock { $0 }.first)
        XCTAssertEqual(record.attributes, [Attribute("k0", .int(10)), Attribute("k1", .int(1))])
        XCTAssertEqual(record.droppedAttributesCount, 2)
        XCTAssertEqual(record.events.map(\.name), ["e0"])
        XCTAssertEqual(record.droppedEventsCount, 2)
        XCTAssertEqual(record.links.count, 1)
        XCTAssertEqual(record.droppedLinksCount, 2)
    }
}

/// `WallClock` resolves for code that imports both modules (it is one type under two names).
final class WallClockNameTests: XCTestCase {
    func testWallClockIsUsableWithBothModulesImported() {
        let before = WallClock.now()
        XCTAssertGreaterThan(before, 1_700_000_000_000_000_000)
        XCTAssertGreaterThanOrEqual(MelleaTracing.WallClock.now() &+ 1_000_000, OTLPExport.WallClock.now())
    }
}
