#if canImport(Glibc)
import Glibc
#endif

/// Nanoseconds since the Unix epoch.
public enum WallClock {
    /// The current time.
    @inlinable
    public static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
    }
}
