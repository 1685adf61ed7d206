/// The OTLP retry rules: which gRPC status codes are retried, and how long to wait in between.
public struct RetryPolicy: Sendable, Equatable {
    /// First backoff delay.
    public var initialBackoff: Duration
    /// Largest backoff delay.
    public var maxBackoff: Duration
    /// Growth of the delay per attempt.
    public var multiplier: Double

    /// Creates a policy.
    public init(initialBackoff: Duration, maxBackoff: Duration, multiplier: Double) {
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        self.multiplier = multiplier
    }

    /// 250 ms doubling up to 5 s, each delay jittered; retries stop at the export timeout.
    public static let `default` = RetryPolicy(initialBackoff: .milliseconds(250), maxBackoff: .seconds(5), multiplier: 2)

    /// What to do after a failed attempt.
    public enum Decision: Sendable, Equatable {
        /// Try again after at least this delay.
        case retry(after: Duration)
        /// Give up: the code is not retryable.
        case giveUp
    }

    /// The OTLP specification's table: retryable codes, and RESOURCE_EXHAUSTED only with RetryInfo.
    public static func isRetryable(_ code: GRPCStatusCode, hasRetryInfo: Bool) -> Bool {
        switch code {
        case .cancelled, .deadlineExceeded, .aborted, .outOfRange, .unavailable, .dataLoss: return true
        case .resourceExhausted: return hasRetryInfo
        default: return false
        }
    }

    /// The decision after attempt number `attempt` (1-based) failed with `code`.
    ///
    /// The delay is a random point in the upper half of the exponential delay (jitter), and at
    /// least the server's `RetryInfo` delay when it sent one.
    public func decide<G: RandomNumberGenerator>(code: GRPCStatusCode, retryInfoDelay: Duration?,
                                                 attempt: Int, using generator: inout G) -> Decision {
        guard Self.isRetryable(code, hasRetryInfo: retryInfoDelay != nil) else { return .giveUp }
        // Grow in Double seconds and cap before converting back, so no attempt count overflows.
        let initial = Double(initialBackoff.components.seconds) + Double(initialBackoff.components.attoseconds) / 1e18
        let maximum = Double(maxBackoff.components.seconds) + Double(maxBackoff.components.attoseconds) / 1e18
        var exponential = initial
        for _ in 0..<min(max(0, attempt - 1), 64) where exponential < maximum { exponential *= multiplier }
        let capped = min(exponential, maximum)
        let jittered = Duration.seconds(capped * Double.random(in: 0.5...1.0, using: &generator))
        return .retry(after: max(jittered, retryInfoDelay ?? .zero))
    }
}

/// gRPC status codes.
public enum GRPCStatusCode: Int32, Sendable, CustomStringConvertible {
    case ok = 0, cancelled, unknown, invalidArgument, deadlineExceeded, notFound, alreadyExists,
         permissionDenied, resourceExhausted, failedPrecondition, aborted, outOfRange,
         unimplemented, `internal`, unavailable, dataLoss, unauthenticated

    /// The code's canonical upper-case name, e.g. `UNAVAILABLE`.
    public var description: String {
        switch self {
        case .ok: return "OK"
        case .cancelled: return "CANCELLED"
        case .unknown: return "UNKNOWN"
        case .invalidArgument: return "INVALID_ARGUMENT"
        case .deadlineExceeded: return "DEADLINE_EXCEEDED"
        case .notFound: return "NOT_FOUND"
        case .alreadyExists: return "ALREADY_EXISTS"
        case .permissionDenied: return "PERMISSION_DENIED"
        case .resourceExhausted: return "RESOURCE_EXHAUSTED"
        case .failedPrecondition: return "FAILED_PRECONDITION"
        case .aborted: return "ABORTED"
        case .outOfRange: return "OUT_OF_RANGE"
        case .unimplemented: return "UNIMPLEMENTED"
        case .internal: return "INTERNAL"
        case .unavailable: return "UNAVAILABLE"
        case .dataLoss: return "DATA_LOSS"
        case .unauthenticated: return "UNAUTHENTICATED"
        }
    }
}
