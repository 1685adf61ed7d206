// The span clock: nanoseconds since the Unix epoch, for span and event timestamps, at the cost of
// one `rdtsc` instead of one `clock_gettime` (about 10 ns against 25 on the machines we measured).
//
// Each thread keeps an anchor: a CLOCK_REALTIME reading and the time-stamp counter read around it
// (an anchor whose two counter readings are more than 20 us apart, because the thread was
// preempted, is not taken). A timestamp is the anchor plus the counter's advance since, converted
// with a process-wide rate measured against CLOCK_MONOTONIC (which runs at the same, NTP-adjusted
// rate as CLOCK_REALTIME). After 1 ms the thread takes a fresh anchor. A timestamp therefore
// differs from clock_gettime(CLOCK_REALTIME) by the rate's error over at most 1 ms (well under a
// microsecond once the rate has been measured over 10 ms, nanoseconds after a few seconds) plus any
// change of NTP's frequency correction within that millisecond. Like the wall clock, it is not
// monotonic: at a re-anchor a thread's next timestamp may fall that little below what the old
// anchor would have said. Span ends and event times are clamped to the span's start.
//
// The counter is used only where the kernel itself keeps time with it (its clocksource is "tsc",
// which the kernel selects only for an invariant counter synchronized across CPUs), once the rate
// has been measured over at least 10 ms, and for as long as the two agree: the clocksource is read
// again at every measurement of the rate (at least every 10 s), and a re-anchor that finds the
// old anchor more than 100 us off the wall clock turns the counter off for the rest of the process.
// Until then, and everywhere else, every timestamp is a plain clock_gettime(CLOCK_REALTIME).
//
// Fork: a child forked while another thread held the calibration lock never measures the rate
// again and keeps using clock_gettime (as gRPC itself, the library is not meant to survive fork).
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

/// Whether the calling thread's timestamps come from the time-stamp counter right now (1) or from
/// clock_gettime (0). Takes a fresh anchor for the thread (and so may start or advance the rate's
/// measurement, which reads /sys): for tests and diagnostics, not for hot paths.
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
