// The span clock: nanoseconds since the Unix epoch, for span and event timestamps, at the cost of
// one `rdtsc` instead of one `clock_gettime` (about 11 ns against 25 on the machines we measured).
//
// Each thread keeps an anchor: a CLOCK_REALTIME reading and the time-stamp counter at that moment
// (the midpoint of the narrowest of three counter brackets around the reading, used only if it is
// under 2 us wide). A timestamp is the anchor plus the counter's advance since, converted with a
// process-wide rate measured against CLOCK_MONOTONIC, which runs at CLOCK_REALTIME's NTP-adjusted
// rate but is never stepped. After 1 ms the thread takes a fresh anchor. A timestamp therefore
// differs from clock_gettime(CLOCK_REALTIME) by at most the anchor's bracket (1 us) plus, over that
// millisecond, the difference between the measured rate (an average since the baseline) and the
// wall clock's current rate: nanoseconds with a steady NTP correction, up to 0.5 us while ntpd
// slews at its fastest (500 ppm); chrony, correcting a large offset, may slew at up to 8%, and
// then up to that fraction of a millisecond (a rate that moves that much is caught at the next
// measurement, which turns the counter off). Like the wall clock, it is not monotonic: at a re-anchor a thread's next
// timestamp may fall that little below what the old anchor would have said. Span ends and event
// times are clamped to the span's start.
//
// The counter is used only where the kernel itself keeps time with it (its clocksource is "tsc",
// which the kernel selects only for an invariant counter synchronized across CPUs, and leaves when
// its watchdog finds otherwise), once the rate has been measured over at least 10 ms, and for as
// long as that holds: the rate is measured again each time the time since the baseline doubles
// and at least every 10 s, with the clocksource read again; a clocksource other than tsc, a counter
// that went back, or a rate that changed by more than 0.1% turns the counter off for the rest of
// the process (live anchors expire within 1 ms). Until then, and everywhere else, every timestamp
// is a plain clock_gettime(CLOCK_REALTIME).
//
// cgrpc_clock_now is not async-signal-safe while it re-anchors (a measurement reads /sys); a
// signal handler that interrupts a re-anchor of its own thread gets clock_gettime's answer.
//
// Fork: a child keeps its parent's rate; if another thread held the calibration lock at the fork,
// the child never measures again (it keeps using the known rate, or clock_gettime if none). Like
// gRPC itself, the library is not meant to keep exporting in a forked child.
#ifndef CGRPC_CLOCK_H
#define CGRPC_CLOCK_H

#include <stdint.h>

typedef struct {
    uint64_t counter;   // time-stamp counter at the anchor
    uint64_t wall;      // CLOCK_REALTIME nanoseconds at the anchor
    uint64_t window;    // counter ticks the anchor is used for; 0: always read the wall clock
    uint64_t rate;      // nanoseconds per tick, 32.32 fixed point
    int busy;           // a re-anchor is under way on this thread
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
