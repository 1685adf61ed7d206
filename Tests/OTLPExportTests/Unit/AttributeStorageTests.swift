import XCTest
@testable import OTLPExport

/// The record's own attribute block: order, growth, in-place replacement, and no leak or double
/// release of the values it held.
final class AttributeStorageTests: XCTestCase {
    private func attribute(_ index: Int) -> Attribute {
        Attribute("key.\(index)", .string("a value long enough to live on the heap, number \(index)"))
    }

    func testGrowsPastItsFirstBlockAndKeepsTheOrder() {
        for initial in [0, 1, 3, 12] {
            var storage = AttributeStorage(capacity: initial)
            for index in 0..<100 { storage.append(attribute(index)) }
            XCTAssertEqual(storage.count, 100)
            XCTAssertEqual(storage.array, (0..<100).map(attribute), "initial capacity \(initial)")
        }
    }

    func testReplacesFindsAndRemovesInPlace() {
        var storage = AttributeStorage(copying: [attribute(0), attribute(1), attribute(2)])
        XCTAssertEqual(storage.firstIndex(of: "key.1"), 1)
        XCTAssertNil(storage.firstIndex(of: "absent"))
        storage[1] = Attribute("key.1", .int(7))
        XCTAssertEqual(storage.array, [attribute(0), Attribute("key.1", .int(7)), attribute(2)])
        storage.removeAll()
        XCTAssertEqual(storage.array, [])
        storage.append(attribute(9))
        XCTAssertEqual(storage.array, [attribute(9)])
    }

    func testARecordReleasesEveryValueItHeldExactlyOnce() {
        var payload = [UInt8](repeating: 7, count: 64)
        var names = ["one", "two"]
        var held = payload
        XCTAssertFalse(isKnownUniquelyReferencedArray(&held), "the check sees a second owner")
        held = []
        do {
            let record = SpanRecord(traceID: TraceID(high: 1, low: 2), spanID: SpanID(3), parentSpanID: .invalid,
                                    traceFlags: 1, traceState: "", parentIsRemote: nil, name: "s", kind: .internal,
                                    startTimeUnixNano: 1, scope: InternedScope.intern(InstrumentationScope(name: "t")), attributeCapacity: 1)
            for index in 0..<20 { record.appendAttribute("b\(index)", .bytes(payload), limit: 128) }
            record.setAttribute(Attribute("b3", .stringArray(names)), limit: 128)
            record.removeAllAttributes()
            for index in 0..<5 { record.appendAttribute("n\(index)", .stringArray(names), limit: 128) }
            XCTAssertEqual(record.attributes.count, 5)
        }
        XCTAssertTrue(isKnownUniquelyReferencedArray(&payload), "every copy of the bytes was released")
        XCTAssertTrue(isKnownUniquelyReferencedArray(&names), "every copy of the names was released")
        payload[0] = 1  // a double release would have freed the storage under us
        names[0] = "uno"
        XCTAssertEqual(payload[0], 1)
        XCTAssertEqual(names, ["uno", "two"])
    }

    func testOnlyInlineAndLiteralStringsCountAsExemptFromReferenceCounting() {
        let heap = String(repeating: "x", count: 40) + "y"
        XCTAssertTrue("gen_ai.conversation.id, a literal longer than fifteen bytes".isExemptFromReferenceCounting)
        XCTAssertTrue("chatcmpl-\(Int.random(in: 0..<999))".isExemptFromReferenceCounting, "inline")
        XCTAssertTrue("".isExemptFromReferenceCounting)
        XCTAssertFalse(heap.isExemptFromReferenceCounting)
        XCTAssertFalse(String(heap.dropFirst()).isExemptFromReferenceCounting)
        XCTAssertTrue(Attribute(heap, .int(1)).holdsReference, "a heap key holds a reference")
        XCTAssertFalse(Attribute("k", .double(1)).holdsReference)
        XCTAssertTrue(Attribute("k", .string(heap)).holdsReference)
        XCTAssertTrue(Attribute("k", .stringArray(["stop"])).holdsReference)
    }

    func testReleasesWhatItHoldsInEveryPositionAndAfterReplacement() {
        var payload = [UInt8](repeating: 7, count: 64)
        var names = ["one", "two"]
        do {
            var storage = AttributeStorage(capacity: 2)
            for index in 0..<40 {  // past the 32 positions the mask covers
                switch index % 3 {
                case 0: storage.append(Attribute("k\(index)", .int(Int64(index))))
                case 1: storage.append(Attribute("k", .bytes(payload)))
                default: storage.append(Attribute("k", .stringArray(names)))
                }
            }
            storage[0] = Attribute("k", .bytes(payload))  // nothing to release -> holds a reference
            storage[1] = Attribute("k", .int(0))          // holds a reference -> nothing to release
            storage[33] = Attribute("k", .int(0))
            XCTAssertEqual(storage.count, 40)
        }
        XCTAssertTrue(isKnownUniquelyReferencedArray(&payload), "every copy of the bytes was released")
        XCTAssertTrue(isKnownUniquelyReferencedArray(&names), "every copy of the names was released")
    }

    func testAPublicRecordCountsAttributesBeyondTheStorageAsDropped() {
        let many = (0..<(AttributeStorage.maximumCount + 5)).map { Attribute("k", .int(Int64($0))) }
        let record = SpanRecord(traceID: TraceID(high: 1, low: 2), spanID: SpanID(3), name: "s", startTimeUnixNano: 1,
                                endTimeUnixNano: 2, attributes: many, scope: InstrumentationScope(name: "t"),
                                droppedAttributesCount: 2)
        XCTAssertEqual(record.attributes.count, AttributeStorage.maximumCount)
        XCTAssertEqual(record.droppedAttributesCount, 7)
        let nearlyFull = SpanRecord(traceID: TraceID(high: 1, low: 2), spanID: SpanID(3), name: "s", startTimeUnixNano: 1,
                                    endTimeUnixNano: 2, attributes: many, scope: InstrumentationScope(name: "t"),
                                    droppedAttributesCount: .max - 1)
        XCTAssertEqual(nearlyFull.droppedAttributesCount, .max, "the count saturates instead of wrapping")
    }

    func testTheDroppedCountTakesOverAtTheLimit() {
        let record = SpanRecord(traceID: TraceID(high: 1, low: 2), spanID: SpanID(3), parentSpanID: .invalid,
                                traceFlags: 1, traceState: "", parentIsRemote: nil, name: "s", kind: .internal,
                                startTimeUnixNano: 1, scope: InternedScope.intern(InstrumentationScope(name: "t")), attributeCapacity: 2)
        for index in 0..<10 { record.appendAttribute("k\(index)", .int(Int64(index)), limit: 4) }
        XCTAssertEqual(record.attributes.map(\.key), ["k0", "k1", "k2", "k3"])
        XCTAssertEqual(record.droppedAttributesCount, 6)
        record.withAttributes { XCTAssertEqual($0.count, 4) }
    }
}

/// Whether the array's storage has no other owner: a mutable access copies shared storage first,
/// so its address changes only if someone else still holds it.
private func isKnownUniquelyReferencedArray<Element>(_ array: inout [Element]) -> Bool {
    let before = array.withUnsafeBufferPointer { $0.baseAddress }
    array.withUnsafeMutableBufferPointer { _ in }
    return array.withUnsafeBufferPointer { $0.baseAddress } == before
}
