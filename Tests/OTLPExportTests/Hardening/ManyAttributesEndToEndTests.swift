import Foundation
import MelleaTracing
import XCTest
@testable import OTLPExport

/// Setting attributes by key stays linear with the count limit raised, up to the storage's cap
/// and past it, and what the collector receives is exact.
final class ManyAttributesEndToEndTests: XCTestCase {
    func testHundredThousandSetAttributeCallsStayLinearAndArriveExactly() throws {
        let receiver = try Receiver()
        let pipeline = try ReceiverPipeline(receiver.endpoint)
        var limits = SpanLimits()
        limits.attributeCount = 200_000
        let core = TracerCore(processor: pipeline.processor, limits: limits)
        let span = core.startSpan("many-attributes", parent: nil)
        let calls = 100_000
        let start = ContinuousClock.now
        for i in 0..<calls { span.setAttribute("key.\(i)", .int(Int64(i))) }
        // Replacing keys set long ago, below and past the cap, must find them (or not) at once too.
        span.setAttribute("key.10", .int(-10))
        span.setAttribute("key.70000", .int(-70000))
        let elapsed = ContinuousClock.now - start
        span.end()
        // Quadratic scanning took 16.7 s in a release build for these calls; linear takes milliseconds.
        XCTAssertLessThan(elapsed, .seconds(5), "setAttribute scans every stored attribute")
        XCTAssertTrue(pipeline.processor.shutdown(timeout: .seconds(20)), pipeline.messages.joined(separator: "\n"))

        let exported = try XCTUnwrap(receiver.acceptedSpans().first)
        let attributes = try XCTUnwrap(exported["attributes"] as? [[String: Any]])
        let cap = AttributeStorage.maximumCount
        XCTAssertEqual(attributes.count, cap)
        // Every call past the cap is one dropped attribute; replacing a stored key is not a drop.
        XCTAssertEqual(exported["dropped_attributes_count"] as? Int, calls - cap + 1)
        XCTAssertEqual(attributes[10]["key"] as? String, "key.10")
        XCTAssertEqual((attributes[10]["value"] as? [String: Any])?["int_value"] as? Int, -10)
        XCTAssertEqual(attributes[cap - 1]["key"] as? String, "key.\(cap - 1)")
        XCTAssertEqual((attributes[cap - 1]["value"] as? [String: Any])?["int_value"] as? Int, cap - 1)
    }

    func testIndexedLookupFollowsAppendsRemovalsAndGrowth() {
        var storage = AttributeStorage(capacity: 0)
        for i in 0..<(AttributeStorage.indexedCapacity + 10) { storage.append("k\(i)", .int(Int64(i))) }
        XCTAssertEqual(storage.firstIndex(of: "k3"), 3)
        // Appended after the index was built, a duplicate key and a key that forces growth.
        storage.append("k3", .int(-3))
        for i in 200..<400 { storage.append("k\(i)", .int(Int64(i))) }
        XCTAssertEqual(storage.firstIndex(of: "k3"), 3, "the first of two equal keys")
        XCTAssertEqual(storage.firstIndex(of: "k399"), storage.count - 1)
        XCTAssertNil(storage.firstIndex(of: "absent"))
        storage[5] = Attribute("renamed", .int(5))
        XCTAssertEqual(storage.firstIndex(of: "renamed"), 5)
        XCTAssertNil(storage.firstIndex(of: "k5"))
        storage.removeAll()
        XCTAssertNil(storage.firstIndex(of: "k3"))
        for i in 0..<(AttributeStorage.indexedCapacity + 1) { storage.append("n\(i)", .bool(true)) }
        XCTAssertEqual(storage.firstIndex(of: "n64"), 64)
    }
}
