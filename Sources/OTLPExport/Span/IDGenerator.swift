#if canImport(Glibc)
import Glibc
#endif

/// Fast random trace and span ids: a xoshiro256** generator per thread, seeded from the system's
/// secure generator, so making an id costs a few nanoseconds and no system call.
public enum IDGenerator {
    /// A random, valid trace id.
    @inline(__always)
    public static func traceID() -> TraceID {
        let state = threadState()
        var id = TraceID(high: state.pointee.next(), low: state.pointee.next())
        while !id.isValid { id = TraceID(high: state.pointee.next(), low: state.pointee.next()) }
        return id
    }

    /// A random, valid span id.
    @inline(__always)
    public static func spanID() -> SpanID {
        let state = threadState()
        var value = state.pointee.next()
        while value == 0 { value = state.pointee.next() }
        return SpanID(value)
    }

    @inline(__always)
    private static func threadState() -> UnsafeMutablePointer<Xoshiro256> {
        if let existing = pthread_getspecific(key) {
            return existing.assumingMemoryBound(to: Xoshiro256.self)
        }
        let state = UnsafeMutablePointer<Xoshiro256>.allocate(capacity: 1)
        var seed = SystemRandomNumberGenerator()
        state.initialize(to: Xoshiro256(seed: &seed))
        pthread_setspecific(key, state)
        return state
    }

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { pointer in
            pointer?.assumingMemoryBound(to: Xoshiro256.self).deallocate()
        }
        return key
    }()
}

/// xoshiro256** (Blackman and Vigna): fast, with 256 bits of state.
struct Xoshiro256 {
    private var s0, s1, s2, s3: UInt64

    init<G: RandomNumberGenerator>(seed: inout G) {
        repeat {
            s0 = seed.next(); s1 = seed.next(); s2 = seed.next(); s3 = seed.next()
        } while s0 | s1 | s2 | s3 == 0
    }

    @inline(__always)
    mutating func next() -> UInt64 {
        let result = rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        return result
    }

    @inline(__always)
    private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
}
