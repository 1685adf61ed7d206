import Dispatch
import Foundation
import MelleaTracing
import XCTest
@testable import OTLPExport

/// What the collector receives for spans ended from racing threads and for invalid parents.
final class SpanIdentityEndToEndTests: XCTestCase {
    func testEndRacingOnFourThreadsExportsEverySpanExactlyOnce() throws {
        let receiver = try Receiver()
        let count = 20_000
        let pipeline = try ReceiverPipeline(receiver.endpoint, batch: { $0.maxQueueSize = 32_768 })
        let core = TracerCore(processor: pipeline.processor)
        for round in 0..<4 {
            let spans = (0..<count / 4).map { core.startSpan("race-\(round)-\($0)", parent: nil) }
            // A timeout path and a completion path (here four of them) end the same spans at once.
            DispatchQueue.concurrentPerform(iterations: 4) { _ in
                for span in spans { span.end() }
            }
        }
        XCTAssertTrue(pipeline.processor.shutdown(timeout: .seconds(30)), pipeline.messages.joined(separator: "\n"))
        let stats = pipeline.processor.statistics
        XCTAssertEqual(stats.produced, count, "\(stats)")
        XCTAssertEqual(stats.exported, count, "\(stats)")
        let ids = receiver.acceptedSpans().compactMap { $0["span_id"] as? String }
        XCTAssertEqual(ids.count, count)
        XCTAssertEqual(Set(ids).count, count, "the collector got duplicate span ids")
    }

    func testAParentWithAnAllZeroIdStartsANewTrace() throws {
        let receiver = try Receiver()
        let pipeline = try ReceiverPipeline(receiver.endpoint)
        let core = TracerCore(processor: pipeline.processor)
        let zeroTrace = SpanContext(traceID: .invalid, spanID: SpanID(0x1234), traceFlags: 1)
        let zeroSpan = SpanContext(traceID: TraceID(high: 7, low: 9), spanID: .invalid, traceFlags: 1)
        let valid = SpanContext(traceID: TraceID(high: 7, low: 9), spanID: SpanID(0x42), traceFlags: 1)
        core.startSpan("child-of-zero-trace", parent: zeroTrace).end()
        core.startSpan("child-of-zero-span", parent: zeroSpan).end()
        core.startSpan("child-of-valid", parent: valid).end()
        XCTAssertTrue(pipeline.processor.shutdown(timeout: .seconds(10)), pipeline.messages.joined(separator: "\n"))

        let spans = Dictionary(uniqueKeysWithValues: receiver.acceptedSpans().map { ($0["name"] as? String ?? "", $0) })
        for name in ["child-of-zero-trace", "child-of-zero-span"] {
            let span = try XCTUnwrap(spans[name], "\(spans.keys)")
            let traceID = try XCTUnwrap(span["trace_id"] as? String)
            XCTAssertNotEqual(traceID, String(repeating: "0", count: 32), name)
            XCTAssertNotEqual(traceID, "00000000000000070000000000000009", "\(name) joined the invalid parent's trace")
            XCTAssertNil(span["parent_span_id"], "\(name) points at an invalid parent")
        }
        let child = try XCTUnwrap(spans["child-of-valid"])
        XCTAssertEqual(child["trace_id"] as? String, "00000000000000070000000000000009")
        XCTAssertEqual(child["parent_span_id"] as? String, "0000000000000042")
    }
}
