// The span clock: nanoseconds since the Unix epoch, for span and event timestamps, at the cost of
// one `rdtsc` instead of one `clock_gettime` (about 10 ns against 25 on the machines we measured).
//
// Each thread keeps an anchor: a CLOCK_REALTIME reading and the time-stamp counter read with it.
// A timestamp is the anchor plus the counter's advance since, converted with a process-wide rate;
// after 1 ms the thread takes a fresh anchor, so neither the rate's error nor the wall clock's NTP
// slewing can move a timestamp by more than a few nanoseconds from what clock_gettime would say
// (NTP slews by at most 500 ppm: 0.5 us per window). Like the wall clock, it is not monotonic: at a
// re-anchor a thread's next timestamp may fall that little below what the old anchor would have said.
//
// The counter is used only where the kernel itself keeps time with it (its clocksource is "tsc",
// which the kernel selects only for an invariant counter synchronized across CPUs), and only
// once the rate has been measured over at least 10 ms. Until then, and everywhere else, every
// timestamp is a plain clock_gettime(CLOCK_REALTIME).
#ifndef CGRPC_CLOCK_H
#define CGRPC_CLOCK_H

#include <stdint.h>

typedef struct {
    uint64_t counter;   // time-stamp counter at the anchor
    uint64_t wall;      // CLOCK_REALTIME nanoseconds at the anchor
    uint64_t window;    // counter ticks the anchor is used for; 0: always read the wall clock
    uint64_t rate;      // nanoseconds per tick, 32.32 fixed point
} cgrpc_clock_anchor;

extern __thread cgrpc_clock_anchor cgrpc_clock_thread_anchor;

/// Reads the wall clock, takes a new anchor for this thread, and returns the wall-clock time.
uint64_t cgrpc_clock_reanchor(void);

/// Whether timestamps come from the time-stamp counter in this process (1) or from
/// clock_gettime only (0). Calibrates first if it has not yet.
int cgrpc_clock_uses_counter(void);

static inline uint64_t cgrpc_clock_now(void) {
#if defined(__x86_64__)
    cgrpc_clock_anchor *anchor = &cgrpc_clock_thread_anchor;
    uint64_t elapsed = __builtin_ia32_rdtsc() - anchor->counter;
    if (__builtin_expect(elapsed < anchor->window, 1)) {
        return anchor->wall + (uint64_t)(((unsigned __int128)elapsed * anchor->rate) >> 32);
    }
#endif
    return cgrpc_clock_reanchor();
}

#endif
