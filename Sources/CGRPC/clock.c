// The span clock: see include/cgrpc_clock.h.
#include "cgrpc_clock.h"

#include <time.h>

__thread cgrpc_clock_anchor cgrpc_clock_thread_anchor;

static int read_ns(clockid_t clock, uint64_t *ns) {
    struct timespec time;
    if (clock_gettime(clock, &time) != 0) return 0;
    *ns = (uint64_t)time.tv_sec * 1000000000u + (uint64_t)time.tv_nsec;
    return 1;
}

static uint64_t realtime_ns(void) {
    uint64_t ns = 0;
    read_ns(CLOCK_REALTIME, &ns);
    return ns;
}

#if defined(__x86_64__)
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <x86intrin.h>

enum {
    window_ns = 1000000,              // a thread re-anchors after 1 ms
    first_baseline_ns = 10000000,     // the rate is first measured over 10 ms
    longest_interval_ns = 1000000000, // then again each time the baseline doubles, and at least every 10 s
    widest_bracket_ns = 20000,        // a reading bracketed by counter values further apart is not used
    largest_drift_ns = 100000,        // an anchor this far off the wall clock turns the counter off
};

// The rate: counter ticks against CLOCK_MONOTONIC from one baseline reading, measured again each
// time the time since the baseline has doubled (its error shrinks as 1/t), and at least every 10 s,
// when the clocksource is checked again too.
static pthread_mutex_t calibration_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic int counter_usable = -1;          // -1: not checked yet; 0: never again
static _Atomic uint64_t rate;                    // 32.32 ns per tick; 0: not measured yet
static _Atomic uint64_t window_ticks;            // window_ns in ticks at `rate`
static _Atomic uint64_t next_measurement_counter; // counter value at which a measurement is due
static uint64_t baseline_ns, baseline_counter;   // under calibration_lock
static uint64_t next_measurement_ns;             // under calibration_lock

// The kernel keeps time with the counter only if it found it invariant and synchronized.
static int kernel_keeps_time_with_counter(void) {
    FILE *file = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "r");
    if (file == NULL) return 0;
    char name[16] = {0};
    int found = fgets(name, sizeof name, file) != NULL && strcmp(name, "tsc\n") == 0;
    fclose(file);
    return found;
}

// A CLOCK_MONOTONIC reading and the counter at that moment: the midpoint of two counter readings
// around it, if they are close enough together.
static int bracketed_monotonic(uint64_t *ns, uint64_t *counter) {
    uint64_t ticks_limit = atomic_load_explicit(&window_ticks, memory_order_relaxed) / (window_ns / widest_bracket_ns);
    for (int attempt = 0; attempt < 3; attempt++) {
        uint64_t before = __rdtsc();
        if (!read_ns(CLOCK_MONOTONIC, ns)) return 0;
        uint64_t after = __rdtsc();
        // Before the first rate there is no tick limit: 64k ticks is ~20 us at 3 GHz.
        if (after - before <= (ticks_limit ? ticks_limit : 65536)) {
            *counter = before + (after - before) / 2;
            return 1;
        }
    }
    return 0;
}

static void stop_using_counter(void) {
    atomic_store_explicit(&counter_usable, 0, memory_order_relaxed);
    atomic_store_explicit(&rate, 0, memory_order_relaxed);
}

// Measures the rate (again) if a measurement is due. Called at most once per anchor window per
// thread, and cheap when nothing is due: one atomic load and a comparison.
static void measure_if_due(uint64_t counter) {
    if (counter < atomic_load_explicit(&next_measurement_counter, memory_order_relaxed)) return;
    if (pthread_mutex_trylock(&calibration_lock) != 0) return;
    uint64_t now_ns = 0, now_counter = 0;
    int measured_now = atomic_load_explicit(&counter_usable, memory_order_relaxed) != 0
                       && bracketed_monotonic(&now_ns, &now_counter);
    if (measured_now) {
        if (baseline_ns == 0) {
            if (kernel_keeps_time_with_counter()) {
                baseline_ns = now_ns;
                baseline_counter = now_counter;
                next_measurement_ns = now_ns + first_baseline_ns;
                atomic_store_explicit(&counter_usable, 1, memory_order_relaxed);
            } else {
                stop_using_counter();
            }
        } else if (now_ns >= next_measurement_ns && now_counter > baseline_counter) {
            if (!kernel_keeps_time_with_counter()) {
                stop_using_counter();
            } else {
                uint64_t elapsed_ns = now_ns - baseline_ns;
                uint64_t measured = (uint64_t)(((unsigned __int128)elapsed_ns << 32) / (now_counter - baseline_counter));
                if (measured > 0) {
                    atomic_store_explicit(&window_ticks, (uint64_t)(((unsigned __int128)window_ns << 32) / measured),
                                          memory_order_relaxed);
                    atomic_store_explicit(&rate, measured, memory_order_relaxed);
                }
                uint64_t interval = elapsed_ns < longest_interval_ns ? elapsed_ns : longest_interval_ns;
                next_measurement_ns = now_ns + interval;
            }
        }
    }
    // The next measurement in counter ticks (roughly: 1 tick per ns until the rate is known); no
    // reading now (preempted three times, or no CLOCK_MONOTONIC): try again in a window.
    uint64_t current = atomic_load_explicit(&rate, memory_order_relaxed);
    uint64_t wait_ns = !measured_now ? window_ns : next_measurement_ns > now_ns ? next_measurement_ns - now_ns : 0;
    uint64_t wait_ticks = current ? (uint64_t)(((unsigned __int128)wait_ns << 32) / current) : wait_ns;
    atomic_store_explicit(&next_measurement_counter, __rdtsc() + wait_ticks, memory_order_relaxed);
    pthread_mutex_unlock(&calibration_lock);
}
#endif

uint64_t cgrpc_clock_reanchor(void) {
#if defined(__x86_64__)
    cgrpc_clock_anchor *anchor = &cgrpc_clock_thread_anchor;
    uint64_t old_window = anchor->window;
    // A signal handler on this thread must never see half an anchor: no window while it changes.
    anchor->window = 0;
    atomic_signal_fence(memory_order_seq_cst);
    if (atomic_load_explicit(&counter_usable, memory_order_relaxed) == 0) return realtime_ns();
    measure_if_due(__rdtsc());
    uint64_t measured_rate = atomic_load_explicit(&rate, memory_order_relaxed);
    if (measured_rate == 0) return realtime_ns();
    uint64_t ticks_limit = atomic_load_explicit(&window_ticks, memory_order_relaxed) / (window_ns / widest_bracket_ns);
    for (int attempt = 0; attempt < 3; attempt++) {
        uint64_t before = __rdtsc();
        uint64_t wall = realtime_ns();
        uint64_t after = __rdtsc();
        if (after - before > ticks_limit) continue;  // preempted in between: not a usable anchor
        uint64_t counter = before + (after - before) / 2;
        if (old_window != 0 && counter - anchor->counter < 10 * old_window) {
            // What the old anchor says now, against the wall clock: the counter and the kernel's
            // clock must agree, or the counter is not to be trusted.
            uint64_t predicted = anchor->wall + (uint64_t)(((unsigned __int128)(counter - anchor->counter) * anchor->rate) >> 32);
            uint64_t drift = predicted > wall ? predicted - wall : wall - predicted;
            if (drift > largest_drift_ns) {
                stop_using_counter();
                return wall;
            }
        }
        anchor->counter = counter;
        anchor->wall = wall;
        anchor->rate = measured_rate;
        atomic_signal_fence(memory_order_seq_cst);
        anchor->window = atomic_load_explicit(&window_ticks, memory_order_relaxed);
        return wall;
    }
#endif
    return realtime_ns();
}

int cgrpc_clock_uses_counter(void) {
    cgrpc_clock_reanchor();
    return cgrpc_clock_thread_anchor.window != 0;
}
