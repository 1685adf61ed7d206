import CGRPC
import Foundation
import Synchronization
import XCTest
@testable import OTLPExport

/// W3C trace and span ids: hex form, validity and random generation.
final class IdentifierTests: XCTestCase {

    /// Returns zero a given number of times, then counts up from 1.
    struct ZerosFirstGenerator: RandomNumberGenerator {
        var zeros: Int
        var counter: UInt64 = 0
        mutating func next() -> UInt64 {
            if zeros > 0 { zeros -= 1; return 0 }
            counter += 1
            return counter
        }
    }

    // MARK: - TraceID

    func testTraceIDHexIsThirtyTwoLowercaseDigits() {
        let id = TraceID(high: 0x0102_0304_0506_0708, low: 0x090a_0b0c_0d0e_0f10)
        XCTAssertEqual(id.description, "0102030405060708090a0b0c0d0e0f10")
    }

    func testTraceIDHexIsZeroPadded() {
        XCTAssertEqual(TraceID(high: 0, low: 1).description, "00000000000000000000000000000001")
    }

    func testTraceIDParsesItsHex() {
        XCTAssertEqual(TraceID(hex: "0102030405060708090a0b0c0d0e0f10"),
                       TraceID(high: 0x0102_0304_0506_0708, low: 0x090a_0b0c_0d0e_0f10))
    }

    func testTraceIDHexRoundTrips() {
        var generator = SplitMix64(seed: 1)
        for _ in 0..<100 {
            let id = TraceID.random(using: &generator)
            XCTAssertEqual(TraceID(hex: id.description), id)
        }
    }

    func testTraceIDRejectsWrongLength() {
        XCTAssertNil(TraceID(hex: "0102030405060708090a0b0c0d0e0f1"))
        XCTAssertNil(TraceID(hex: "0102030405060708090a0b0c0d0e0f1011"))
        XCTAssertNil(TraceID(hex: ""))
    }

    func testTraceIDRejectsNonHexDigits() {
        XCTAssertNil(TraceID(hex: "0102030405060708090a0b0c0d0e0fzz"))
        XCTAssertNil(TraceID(hex: "g102030405060708090a0b0c0d0e0f10"))
    }

    func testAllZeroTraceIDIsInvalid() {
        XCTAssertFalse(TraceID.invalid.isValid)
        XCTAssertFalse(TraceID(high: 0, low: 0).isValid)
        XCTAssertTrue(TraceID(high: 0, low: 1).isValid)
        XCTAssertTrue(TraceID(high: 1, low: 0).isValid)
    }

    func testRandomTraceIDIsValid() {
        for _ in 0..<100 { XCTAssertTrue(TraceID.random().isValid) }
    }

    func testRandomTraceIDsDiffer() {
        XCTAssertNotEqual(TraceID.random(), TraceID.random())
    }

    func testSeededRandomTraceIDIsDeterministic() {
        var first = SplitMix64(seed: 99)
        var second = SplitMix64(seed: 99)
        XCTAssertEqual(TraceID.random(using: &first), TraceID.random(using: &second))
    }

    func testRandomTraceIDSkipsTheAllZeroDraw() {
        var generator = ZerosFirstGenerator(zeros: 2)
        let id = TraceID.random(using: &generator)
        XCTAssertTrue(id.isValid)
        XCTAssertEqual(id, TraceID(high: 1, low: 2))
    }

    // MARK: - SpanID

    func testSpanIDHexIsSixteenLowercaseDigits() {
        XCTAssertEqual(SpanID(0x1112_1314_1516_17ab).description, "11121314151617ab")
    }

    func testSpanIDHexIsZeroPadded() {
        XCTAssertEqual(SpanID(0xff).description, "00000000000000ff")
    }

    func testSpanIDParsesItsHex() {
        XCTAssertEqual(SpanID(hex: "1112131415161718"), SpanID(0x1112_1314_1516_1718))
    }

    func testSpanIDHexRoundTrips() {
        var generator = SplitMix64(seed: 2)
        for _ in 0..<100 {
            let id = SpanID.random(using: &generator)
            XCTAssertEqual(SpanID(hex: id.description), id)
        }
    }

    func testSpanIDRejectsWrongLengthAndNonHex() {
        XCTAssertNil(SpanID(hex: "111213141516171"))
        XCTAssertNil(SpanID(hex: "11121314151617181"))
        XCTAssertNil(SpanID(hex: "111213141516171z"))
    }

    func testZeroSpanIDIsInvalid() {
        XCTAssertFalse(SpanID.invalid.isValid)
        XCTAssertTrue(SpanID(1).isValid)
    }

    func testRandomSpanIDIsValid() {
        for _ in 0..<100 { XCTAssertTrue(SpanID.random().isValid) }
    }

    func testRandomSpanIDSkipsZero() {
        var generator = ZerosFirstGenerator(zeros: 3)
        XCTAssertEqual(SpanID.random(using: &generator), SpanID(1))
    }
}

/// The per-thread generator production uses for ids.
final class IDGeneratorTests: XCTestCase {
    func testIDsAreValidAndDistinctAcrossThreads() {
        let results = Locked<Set<UInt64>>([])
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            var local: Set<UInt64> = []
            for _ in 0..<50_000 {
                let span = IDGenerator.spanID()
                let trace = IDGenerator.traceID()
                XCTAssertTrue(span.isValid && trace.isValid)
                local.insert(span.value)
            }
            results.withLock { $0.formUnion(local) }
        }
        XCTAssertEqual(results.withLock { $0.count }, 200_000, "two threads produced the same span id")
    }

    func testAForkedChildDrawsOtherIDsThanItsParent() throws {
        _ = cgrpc_random_next()  // this thread's generator seeded, the fork handler installed
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else { return XCTFail("pipe failed: errno \(errno)") }
        let child = fork()
        if child == 0 {
            // The child: only C calls until _exit (the other threads of this process are gone).
            var drawn = cgrpc_random_next()
            _ = write(pipeEnds[1], &drawn, 8)
            _exit(0)
        }
        close(pipeEnds[1])
        defer { close(pipeEnds[0]) }
        guard child > 0 else { return XCTFail("fork failed: errno \(errno)") }
        let parentDraw = cgrpc_random_next()
        var childDraw: UInt64 = 0
        var got = 0
        while got < 8 {  // an 8-byte pipe write arrives whole; a signal may interrupt the read
            let n = withUnsafeMutableBytes(of: &childDraw) { Foundation.read(pipeEnds[0], $0.baseAddress! + got, 8 - got) }
            if n > 0 { got += n } else if n < 0 && errno == EINTR { continue } else { break }
        }
        var status: Int32 = 0
        while waitpid(child, &status, 0) < 0 && errno == EINTR {}
        XCTAssertEqual(got, 8, "the child reported its draw")
        XCTAssertEqual(status & 0x7f, 0, "the child exited normally")
        XCTAssertEqual((status >> 8) & 0xff, 0, "the child exited with status 0")
        XCTAssertNotEqual(childDraw, parentDraw, "without a reseed the child repeats the parent's next id")
    }
}
