import CGRPC

/// Fast random trace and span ids: a xoshiro256** generator per thread, seeded from the system's
/// secure generator (see `cgrpc_random.h`), so making an id costs a few nanoseconds and no system
/// call.
public enum IDGenerator {
    /// A random, valid trace id.
    @inlinable
    public static func traceID() -> TraceID {
        var id = TraceID(high: cgrpc_random_next(), low: cgrpc_random_next())
        while !id.isValid { id = TraceID(high: cgrpc_random_next(), low: cgrpc_random_next()) }
        return id
    }

    /// A random, valid span id.
    @inlinable
    public static func spanID() -> SpanID {
        var value = cgrpc_random_next()
        while value == 0 { value = cgrpc_random_next() }
        return SpanID(value)
    }
}
