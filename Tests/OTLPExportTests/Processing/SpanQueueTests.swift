import Foundation
import XCTest
@testable import OTLPExport

final class SpanQueueTests: XCTestCase {
    func testPopsInPushOrder() {
        let queue = SpanQueue(capacity: 8)
        for i in 0..<5 { XCTAssertEqual(queue.push(tinySpan(i)), i) }
        XCTAssertEqual((0..<5).compactMap { _ in queue.pop()?.name }, ["s0", "s1", "s2", "s3", "s4"])
        XCTAssertNil(queue.pop())
    }

    func testRefusesSpansWhenFull() {
        let queue = SpanQueue(capacity: 3)
        for i in 0..<3 { XCTAssertNotNil(queue.push(tinySpan(i))) }
        XCTAssertNil(queue.push(tinySpan(3)))
        XCTAssertEqual(queue.count, 3)
        XCTAssertEqual(queue.pop()?.name, "s0")
        XCTAssertNotNil(queue.push(tinySpan(4)))
    }

    func testACapacityOfOneHoldsExactlyOneSpan() {
        let queue = SpanQueue(capacity: 1)
        for round in 0..<100 {
            XCTAssertNotNil(queue.push(tinySpan(round)))
            XCTAssertNil(queue.push(tinySpan(1000 + round)), "full after one span")
            XCTAssertEqual(queue.count, 1)
            XCTAssertEqual(queue.pop()?.name, "s\(round)")
            XCTAssertNil(queue.pop())
        }
    }

    func testWrapsAroundManyTimesWithAnOddCapacity() {
        let queue = SpanQueue(capacity: 7)
        var next = 0
        for round in 0..<1000 {
            for i in 0..<(round % 7 + 1) { XCTAssertNotNil(queue.push(tinySpan(round * 10 + i))) }
            for i in 0..<(round % 7 + 1) { XCTAssertEqual(queue.pop()?.name, "s\(round * 10 + i)") }
            next += 1
        }
        XCTAssertEqual(queue.count, 0)
        XCTAssertEqual(queue.totalPushed, queue.totalPopped)
    }

    func testReleasesSpansLeftInTheQueue() {
        weak var leftover: SpanRecord?
        do {
            let queue = SpanQueue(capacity: 4)
            let span = tinySpan(1)
            leftover = span
            XCTAssertNotNil(queue.push(span))
        }
        XCTAssertNil(leftover, "a span left in a destroyed queue must be released")
    }

    /// Four producers and one concurrent consumer: every span comes out exactly once.
    func testStressManyProducersOneConsumerLoseNothing() {
        let queue = SpanQueue(capacity: 1024)
        let producers = 4, perProducer = 100_000
        let spans = (0..<producers).map { p in (0..<perProducer).map { tinySpan(p * perProducer + $0) } }
        let group = DispatchGroup()
        for p in 0..<producers {
            DispatchQueue.global().async(group: group) {
                for span in spans[p] { while queue.push(span) == nil { sched_yield() } }
            }
        }
        var seen = [Bool](repeating: false, count: producers * perProducer)
        var lastPerProducer = [Int](repeating: -1, count: producers)
        var received = 0
        while received < producers * perProducer {
            guard let span = queue.pop() else { sched_yield(); continue }
            let index = Int(span.traceID.low)
            XCTAssertFalse(seen[index], "span \(index) came out twice")
            seen[index] = true
            let producer = index / perProducer
            XCTAssertGreaterThan(index, lastPerProducer[producer], "one producer's spans came out of order")
            lastPerProducer[producer] = index
            received += 1
        }
        group.wait()
        XCTAssertNil(queue.pop())
        XCTAssertTrue(seen.allSatisfy { $0 })
    }
}
