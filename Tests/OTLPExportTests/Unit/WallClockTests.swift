import Foundation
import XCTest
@testable import OTLPExport

/// The span clock must say what `clock_gettime(CLOCK_REALTIME)` says, on every thread, whether it
/// reads the time-stamp counter or not.
final class WallClockTests: XCTestCase {
    /// Past the first measurement of the rate (10 ms), and until the counter is in use: a loaded
    /// machine may preempt several readings in a row, each retried a millisecond later.
    private func calibrated() {
        let start = realtime()
        while realtime() - start < 30_000_000
            || (Self.kernelUsesCounter && !WallClock.usesTimeStampCounter && realtime() - start < 2_000_000_000) {
            _ = WallClock.now()
        }
    }

    private static let clocksource = try? String(
        contentsOfFile: "/sys/devices/system/clocksource/clocksource0/current_clocksource", encoding: .utf8)
    private static var kernelUsesCounter: Bool { clocksource == "tsc\n" }

    func testUsesTheCounterExactlyWhereTheKernelKeepsTimeWithIt() throws {
        calibrated()
        #if arch(x86_64)
        XCTAssertEqual(WallClock.usesTimeStampCounter, Self.kernelUsesCounter, "clocksource: \(Self.clocksource ?? "unreadable")")
        #else
        XCTAssertFalse(WallClock.usesTimeStampCounter)
        #endif
    }

    /// Each reading lies between two wall-clock readings taken around it (a few microseconds of
    /// slack for a re-anchor's rounding), across many re-anchors and on four threads at once.
    func testEveryReadingFallsBetweenTheWallClockReadingsAroundIt() {
        calibrated()
        let slack: UInt64 = 5_000
        let failures = Locked(0)
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            for round in 0..<3_000 {
                let before = realtime()
                let reading = WallClock.now()
                let after = realtime()
                if reading + slack < before || reading > after + slack { failures.withLock { $0 += 1 } }
                if round % 100 == 0 { usleep(300) }  // spans several 1 ms anchor windows
            }
        }
        XCTAssertEqual(failures.withLock { $0 }, 0)
    }

    func testIntervalsMatchTheWallClockOverLongAndShortSpans() {
        calibrated()
        for sleep in [0, 50, 2_000, 25_000] as [UInt32] {
            let wallStart = realtime(), start = WallClock.now()
            usleep(sleep)
            let end = WallClock.now(), wallEnd = realtime()
            let measured = Int64(bitPattern: end &- start), expected = Int64(bitPattern: wallEnd &- wallStart)
            XCTAssertLessThan(abs(measured - expected), 10_000, "slept \(sleep) us")
        }
    }

    func testASpanNeverEndsBeforeItStarts() {
        let record = SpanRecord(traceID: TraceID(high: 1, low: 1), spanID: SpanID(1), parentSpanID: .invalid,
                                traceFlags: 1, traceState: "", parentIsRemote: nil, name: "s", kind: .internal,
                                startTimeUnixNano: 5_000, scope: InternedScope.intern(InstrumentationScope(name: "t")), attributeCapacity: 0)
        XCTAssertTrue(record.finish(at: 4_000))
        XCTAssertEqual(record.endTimeUnixNano, 5_000)
    }
}

private func realtime() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_REALTIME, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}

/// The clock's anchor and the id generator live in C thread-local storage, read from code inlined
/// into async functions: a task that resumes on another thread must use that thread's state, never
/// an address computed before it suspended (under ThreadSanitizer, two threads writing one state
/// would be reported).
final class WallClockAndIDsAcrossSuspensionTests: XCTestCase {
    func testTasksThatHopThreadsKeepDrawingUniqueIdsAndSaneTimes() async {
        let perTask = 2_000
        let results = await withTaskGroup(of: (ids: [UInt64], ordered: Bool).self) { group in
            for _ in 0..<8 {
                group.addTask {
                    var ids: [UInt64] = []
                    var ordered = true
                    for _ in 0..<perTask {
                        let before = realtime()
                        ids.append(IDGenerator.spanID().value)
                        let time = WallClock.now()
                        await Task.yield()
                        ids.append(IDGenerator.spanID().value)
                        if time + 5_000 < before || time > realtime() + 5_000 { ordered = false }
                    }
                    return (ids, ordered)
                }
            }
            var all: [(ids: [UInt64], ordered: Bool)] = []
            for await result in group { all.append(result) }
            return all
        }
        let ids = results.flatMap(\.ids)
        XCTAssertEqual(ids.count, 8 * perTask * 2)
        XCTAssertEqual(Set(ids).count, ids.count, "no id drawn twice")
        XCTAssertTrue(results.allSatisfy(\.ordered), "every reading lies between the wall-clock readings around it")
    }
}
