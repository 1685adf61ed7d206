import CGRPC

/// The clock of span and event timestamps: nanoseconds since the Unix epoch.
///
/// It follows `CLOCK_REALTIME` to within a microsecond, but where the kernel keeps time with the
/// CPU's time-stamp counter it reads that counter instead of calling `clock_gettime`, at less than
/// half the cost, re-anchoring each thread on the wall clock every millisecond; it falls back to
/// `clock_gettime(CLOCK_REALTIME)` for good should the counter stop agreeing with the kernel (see
/// `cgrpc_clock.h`).
public enum WallClock {
    /// The current time.
    @inlinable
    public static func now() -> UInt64 { cgrpc_clock_now() }

    /// Whether the calling thread's timestamps come from the time-stamp counter right now (they do
    /// once its rate has been measured, 10 ms after the first timestamp, where the kernel's
    /// clocksource is `tsc`). Takes a fresh anchor: for tests and diagnostics, not hot paths.
    public static var usesTimeStampCounter: Bool { cgrpc_clock_uses_counter() != 0 }
}
