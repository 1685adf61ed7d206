import XCTest
@testable import OTLPExport

/// The OTLP retry table and the jittered exponential backoff.
final class RetryPolicyTests: XCTestCase {

    /// The OTLP/gRPC specification's table, every one of the 17 codes.
    private static let table: [(code: GRPCStatusCode, retryable: Bool)] = [
        (.ok, false),
        (.cancelled, true),
        (.unknown, false),
        (.invalidArgument, false),
        (.deadlineExceeded, true),
        (.notFound, false),
        (.alreadyExists, false),
        (.permissionDenied, false),
        (.resourceExhausted, false),  // only with RetryInfo
        (.failedPrecondition, false),
        (.aborted, true),
        (.outOfRange, true),
        (.unimplemented, false),
        (.internal, false),
        (.unavailable, true),
        (.dataLoss, true),
        (.unauthenticated, false),
    ]

    private static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    /// min(initial × multiplier^(attempt−1), max), in seconds.
    private static func cappedBackoff(_ policy: RetryPolicy, attempt: Int) -> Double {
        var delay = seconds(policy.initialBackoff)
        for _ in 1..<max(attempt, 1) { delay *= policy.multiplier }
        return min(delay, seconds(policy.maxBackoff))
    }

    private static func delay(_ decision: RetryPolicy.Decision) -> Duration? {
        if case .retry(let after) = decision { return after }
        return nil
    }

    // MARK: - The table

    func testTableCoversAllSeventeenCodes() {
        XCTAssertEqual(Self.table.count, 17)
        XCTAssertEqual(Self.table.map { $0.code.rawValue }, Array(Int32(0)...Int32(16)))
        XCTAssertNil(GRPCStatusCode(rawValue: 17))
    }

    func testRetryableCodesWithoutRetryInfoFollowTheOTLPTable() {
        for (code, retryable) in Self.table {
            XCTAssertEqual(RetryPolicy.isRetryable(code, hasRetryInfo: false), retryable, "\(code)")
        }
    }

    func testRetryInfoMakesOnlyResourceExhaustedRetryable() {
        for (code, retryable) in Self.table {
            let expected = retryable || code == .resourceExhausted
            XCTAssertEqual(RetryPolicy.isRetryable(code, hasRetryInfo: true), expected, "\(code)")
        }
    }

    func testResourceExhaustedWithoutRetryInfoIsNotRetryable() {
        XCTAssertFalse(RetryPolicy.isRetryable(.resourceExhausted, hasRetryInfo: false))
        XCTAssertTrue(RetryPolicy.isRetryable(.resourceExhausted, hasRetryInfo: true))
    }

    func testStatusCodeNamesAreCanonical() {
        XCTAssertEqual(GRPCStatusCode.resourceExhausted.description, "RESOURCE_EXHAUSTED")
        XCTAssertEqual(GRPCStatusCode.deadlineExceeded.description, "DEADLINE_EXCEEDED")
        XCTAssertEqual(GRPCStatusCode.unavailable.description, "UNAVAILABLE")
    }

    // MARK: - decide()

    func testDecideGivesUpForEveryNonRetryableCode() {
        var generator = SplitMix64(seed: 1)
        for (code, retryable) in Self.table where !retryable {
            let decision = RetryPolicy.default.decide(code: code, retryInfoDelay: nil, attempt: 1, using: &generator)
            XCTAssertEqual(decision, .giveUp, "\(code)")
        }
    }

    func testDecideGivesUpForNonRetryableCodeEvenWithRetryInfo() {
        var generator = SplitMix64(seed: 2)
        let decision = RetryPolicy.default.decide(code: .invalidArgument, retryInfoDelay: .seconds(1),
                                                  attempt: 1, using: &generator)
        XCTAssertEqual(decision, .giveUp)
    }

    func testDecideRetriesEveryRetryableCode() {
        var generator = SplitMix64(seed: 3)
        for (code, retryable) in Self.table where retryable {
            let decision = RetryPolicy.default.decide(code: code, retryInfoDelay: nil, attempt: 1, using: &generator)
            XCTAssertNotNil(Self.delay(decision), "\(code)")
        }
    }

    func testDecideRetriesResourceExhaustedWithRetryInfo() {
        var generator = SplitMix64(seed: 4)
        let decision = RetryPolicy.default.decide(code: .resourceExhausted, retryInfoDelay: .milliseconds(10),
                                                  attempt: 1, using: &generator)
        XCTAssertNotNil(Self.delay(decision))
    }

    // MARK: - Backoff

    func testDefaultPolicyIs250MillisecondsDoublingUpToFiveSeconds() {
        XCTAssertEqual(RetryPolicy.default.initialBackoff, .milliseconds(250))
        XCTAssertEqual(RetryPolicy.default.maxBackoff, .seconds(5))
        XCTAssertEqual(RetryPolicy.default.multiplier, 2)
    }

    func testDelayLiesInUpperHalfOfCappedExponentialForDefaultPolicy() {
        let policy = RetryPolicy.default
        for seed in UInt64(0)..<100 {
            var generator = SplitMix64(seed: seed)
            for attempt in 1...10 {
                let decision = policy.decide(code: .unavailable, retryInfoDelay: nil, attempt: attempt, using: &generator)
                guard let delay = Self.delay(decision) else { return XCTFail("attempt \(attempt) not retried") }
                let capped = Self.cappedBackoff(policy, attempt: attempt)
                let actual = Self.seconds(delay)
                XCTAssertGreaterThanOrEqual(actual, 0.5 * capped - 1e-9, "seed \(seed) attempt \(attempt)")
                XCTAssertLessThanOrEqual(actual, capped + 1e-9, "seed \(seed) attempt \(attempt)")
            }
        }
    }

    func testDelayLiesInUpperHalfOfCappedExponentialForCustomPolicy() {
        let policy = RetryPolicy(initialBackoff: .milliseconds(100), maxBackoff: .seconds(2), multiplier: 3)
        // Capped exponential: 0.1, 0.3, 0.9, 2 (2.7 capped), 2, 2 seconds.
        XCTAssertEqual(Self.cappedBackoff(policy, attempt: 3), 0.9, accuracy: 1e-12)
        XCTAssertEqual(Self.cappedBackoff(policy, attempt: 4), 2.0, accuracy: 1e-12)
        for seed in UInt64(100)..<200 {
            var generator = SplitMix64(seed: seed)
            for attempt in 1...6 {
                let decision = policy.decide(code: .deadlineExceeded, retryInfoDelay: nil, attempt: attempt, using: &generator)
                guard let delay = Self.delay(decision) else { return XCTFail("attempt \(attempt) not retried") }
                let capped = Self.cappedBackoff(policy, attempt: attempt)
                let actual = Self.seconds(delay)
                XCTAssertGreaterThanOrEqual(actual, 0.5 * capped - 1e-9, "seed \(seed) attempt \(attempt)")
                XCTAssertLessThanOrEqual(actual, capped + 1e-9, "seed \(seed) attempt \(attempt)")
            }
        }
    }

    func testFirstAttemptDelayIsAtMostTheInitialBackoff() {
        var generator = SplitMix64(seed: 7)
        for _ in 0..<200 {
            let decision = RetryPolicy.default.decide(code: .unavailable, retryInfoDelay: nil, attempt: 1, using: &generator)
            guard let delay = Self.delay(decision) else { return XCTFail("not retried") }
            XCTAssertLessThanOrEqual(delay, .milliseconds(250))
            XCTAssertGreaterThanOrEqual(delay, .milliseconds(125))
        }
    }

    func testDelayNeverExceedsMaxBackoff() {
        let policy = RetryPolicy.default
        var generator = SplitMix64(seed: 11)
        for attempt in 1...100 {
            for _ in 0..<20 {
                let decision = policy.decide(code: .unavailable, retryInfoDelay: nil, attempt: attempt, using: &generator)
                guard let delay = Self.delay(decision) else { return XCTFail("attempt \(attempt) not retried") }
                XCTAssertLessThanOrEqual(delay, policy.maxBackoff, "attempt \(attempt)")
            }
        }
    }

    func testLateAttemptsStayInUpperHalfOfMaxBackoff() {
        let policy = RetryPolicy.default
        var generator = SplitMix64(seed: 12)
        for attempt in 20...30 {
            let decision = policy.decide(code: .aborted, retryInfoDelay: nil, attempt: attempt, using: &generator)
            guard let delay = Self.delay(decision) else { return XCTFail("attempt \(attempt) not retried") }
            XCTAssertGreaterThanOrEqual(delay, .milliseconds(2500), "attempt \(attempt)")
        }
    }

    func testJitterSpreadsOverTheUpperHalf() {
        var generator = SplitMix64(seed: 13)
        var smallest = Double.infinity
        var largest = 0.0
        for _ in 0..<2000 {
            let decision = RetryPolicy.default.decide(code: .unavailable, retryInfoDelay: nil, attempt: 3, using: &generator)
            guard let delay = Self.delay(decision) else { return XCTFail("not retried") }
            smallest = min(smallest, Self.seconds(delay))
            largest = max(largest, Self.seconds(delay))
        }
        // Attempt 3 of the default policy: capped exponential 1 s, jitter range [0.5 s, 1 s].
        XCTAssertLessThan(smallest, 0.55)
        XCTAssertGreaterThan(largest, 0.95)
    }

    func testSameSeedGivesTheSameDelays() {
        var first = SplitMix64(seed: 42)
        var second = SplitMix64(seed: 42)
        let a = (1...8).map { RetryPolicy.default.decide(code: .unavailable, retryInfoDelay: nil, attempt: $0, using: &first) }
        let b = (1...8).map { RetryPolicy.default.decide(code: .unavailable, retryInfoDelay: nil, attempt: $0, using: &second) }
        XCTAssertEqual(a, b)
    }

    func testDifferentSeedsGiveDifferentDelays() {
        var delays: Set<Duration> = []
        for seed in UInt64(0)..<50 {
            var generator = SplitMix64(seed: seed)
            let decision = RetryPolicy.default.decide(code: .unavailable, retryInfoDelay: nil, attempt: 4, using: &generator)
            if let delay = Self.delay(decision) { delays.insert(delay) }
        }
        XCTAssertGreaterThan(delays.count, 1, "the delay is jittered")
    }

    // MARK: - RetryInfo

    func testRetryInfoLargerThanBackoffIsHonouredExactly() {
        for seed in UInt64(0)..<20 {
            var generator = SplitMix64(seed: seed)
            for attempt in 1...5 {
                let decision = RetryPolicy.default.decide(code: .resourceExhausted, retryInfoDelay: .seconds(30),
                                                          attempt: attempt, using: &generator)
                XCTAssertEqual(decision, .retry(after: .seconds(30)), "seed \(seed) attempt \(attempt)")
            }
        }
    }

    func testRetryInfoAboveMaxBackoffIsHonouredForRetryableCode() {
        var generator = SplitMix64(seed: 21)
        let delay = Duration.milliseconds(7_250)
        let decision = RetryPolicy.default.decide(code: .unavailable, retryInfoDelay: delay, attempt: 1, using: &generator)
        XCTAssertEqual(decision, .retry(after: delay))
    }

    func testRetryInfoSmallerThanBackoffLeavesTheJitteredBackoff() {
        var generator = SplitMix64(seed: 22)
        // Attempt 5 of the default policy: capped exponential 4 s, so the delay is at least 2 s.
        let decision = RetryPolicy.default.decide(code: .unavailable, retryInfoDelay: .milliseconds(1),
                                                  attempt: 5, using: &generator)
        guard let delay = Self.delay(decision) else { return XCTFail("not retried") }
        XCTAssertGreaterThanOrEqual(delay, .seconds(2))
        XCTAssertLessThanOrEqual(delay, .seconds(4))
    }

    func testZeroRetryInfoStillMakesResourceExhaustedRetryable() {
        var generator = SplitMix64(seed: 23)
        let decision = RetryPolicy.default.decide(code: .resourceExhausted, retryInfoDelay: .zero,
                                                  attempt: 1, using: &generator)
        guard let delay = Self.delay(decision) else { return XCTFail("not retried") }
        XCTAssertGreaterThanOrEqual(delay, .milliseconds(125))
    }
}
