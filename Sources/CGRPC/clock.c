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
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <x86intrin.h>

static const uint64_t window_ns = 1000000;               // a thread re-anchors after 1 ms
static const uint64_t first_baseline_ns = 10000000;      // the rate is first measured over 10 ms
static const uint64_t longest_interval_ns = 10000000000; // and again at least every 10 s
static const uint64_t widest_bracket_ns = 2000;          // readings bracketed wider are not used
static const uint64_t widest_bracket_ticks_unknown_rate = 8192;  // ~2-4 us before the rate is known
// A new measurement of the rate more than 0.1% off the last means the counter cannot be trusted.
static const uint64_t largest_rate_change_divisor = 1000;

// The rate: counter ticks against CLOCK_MONOTONIC (same rate as CLOCK_REALTIME, never stepped)
// from one baseline reading, measured again each time the time since the baseline has doubled
// (its error shrinks as 1/t) and at least every 10 s, when the clocksource is checked again too.
// Nanoseconds as counter ticks at `rate_32_32` (32.32 ns per tick, not 0).
static uint64_t ns_to_ticks(uint64_t ns, uint64_t rate_32_32) {
    return (uint64_t)(((unsigned __int128)ns << 32) / rate_32_32);
}

static pthread_mutex_t calibration_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic int counter_usable = -1;             // -1: not checked yet; 0: never again
static _Atomic uint64_t rate;                       // 32.32 ns per tick; 0: not measured yet
static _Atomic uint64_t window_ticks;               // window_ns in ticks at `rate`
static _Atomic uint64_t next_measurement_counter;   // counter value at which a measurement is due
static _Atomic uint64_t measurement_set_counter;    // counter value when that was decided
static uint64_t baseline_ns, baseline_counter;      // under calibration_lock
static uint64_t next_measurement_ns;                // under calibration_lock

// The kernel keeps time with the counter only if it found it invariant and synchronized, and its
// watchdog switches away from it when it stops being so.
static int kernel_keeps_time_with_counter(void) {
    FILE *file = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "r");
    if (file == NULL) return 0;
    char name[16] = {0};
    int found = fgets(name, sizeof name, file) != NULL && strcmp(name, "tsc\n") == 0;
    fclose(file);
    return found;
}

static uint64_t bracket_limit_ticks(void) {
    uint64_t window = atomic_load_explicit(&window_ticks, memory_order_relaxed);
    return window ? window / (window_ns / widest_bracket_ns) : widest_bracket_ticks_unknown_rate;
}

// Reads `clock` between two counter readings, three times, and keeps the narrowest bracket:
// the counter at the reading is its midpoint. Fails if even that bracket is too wide.
static int bracketed_read(clockid_t clock, uint64_t *ns, uint64_t *counter) {
    uint64_t limit = bracket_limit_ticks(), best = UINT64_MAX;
    for (int attempt = 0; attempt < 3; attempt++) {
        uint64_t reading;
        uint64_t before = __rdtsc();
        if (!read_ns(clock, &reading)) return 0;
        uint64_t after = __rdtsc();
        if (after >= before && after - before < best) {
            best = after - before;
            *ns = reading;
            *counter = before + best / 2;
        }
    }
    return best <= limit;
}

// Under calibration_lock: anchors stop being taken (live ones expire within a window).
static void stop_using_counter(void) {
    atomic_store_explicit(&counter_usable, 0, memory_order_relaxed);
    atomic_store_explicit(&rate, 0, memory_order_relaxed);
    atomic_store_explicit(&window_ticks, 0, memory_order_relaxed);
}

// Measures the rate (again) if a measurement is due. While the rate is unknown it is called on
// every timestamp; afterwards at most once per anchor window per thread. When nothing is due it
// costs two atomic loads and comparisons.
static void measure_if_due(uint64_t counter) {
    // A counter below the one at which the deadline was set has jumped back: due at once.
    if (counter < atomic_load_explicit(&next_measurement_counter, memory_order_relaxed)
        && counter >= atomic_load_explicit(&measurement_set_counter, memory_order_relaxed)) {
        return;
    }
    if (pthread_mutex_trylock(&calibration_lock) != 0) return;
    uint64_t now_ns = 0, now_counter = 0, wait_ns = window_ns;
    if (atomic_load_explicit(&counter_usable, memory_order_relaxed) != 0
        && bracketed_read(CLOCK_MONOTONIC, &now_ns, &now_counter)) {
        if (baseline_ns == 0) {
            if (kernel_keeps_time_with_counter()) {
                baseline_ns = now_ns;
                baseline_counter = now_counter;
                next_measurement_ns = now_ns + first_baseline_ns;
                atomic_store_explicit(&counter_usable, 1, memory_order_relaxed);
            } else {
                stop_using_counter();
            }
        } else if (now_ns >= next_measurement_ns) {
            uint64_t previous = atomic_load_explicit(&rate, memory_order_relaxed);
            uint64_t measured = 0;
            if (now_counter > baseline_counter && now_ns > baseline_ns) {
                measured = (uint64_t)(((unsigned __int128)(now_ns - baseline_ns) << 32) / (now_counter - baseline_counter));
            }
            uint64_t change = previous > measured ? previous - measured : measured - previous;
            if (measured == 0 || (previous != 0 && change > previous / largest_rate_change_divisor)
                || !kernel_keeps_time_with_counter()) {
                stop_using_counter();
            } else {
                atomic_store_explicit(&window_ticks, ns_to_ticks(window_ns, measured), memory_order_relaxed);
                atomic_store_explicit(&rate, measured, memory_order_relaxed);
                uint64_t elapsed = now_ns - baseline_ns;
                next_measurement_ns = now_ns + (elapsed < longest_interval_ns ? elapsed : longest_interval_ns);
            }
        }
        if (next_measurement_ns > now_ns) wait_ns = next_measurement_ns - now_ns;
    }
    // The next measurement in counter ticks; before the rate is known, as if the counter ran at
    // 4 GHz (faster than any: the first measurement comes a little late, never many times early).
    uint64_t current = atomic_load_explicit(&rate, memory_order_relaxed);
    uint64_t wait_ticks = current ? ns_to_ticks(wait_ns, current) : 4 * wait_ns;
    uint64_t at = __rdtsc();
    atomic_store_explicit(&measurement_set_counter, at, memory_order_relaxed);
    atomic_store_explicit(&next_measurement_counter, at + wait_ticks, memory_order_relaxed);
    pthread_mutex_unlock(&calibration_lock);
}
#endif

uint64_t cgrpc_clock_reanchor(void) {
#if defined(__x86_64__)
    cgrpc_clock_anchor *anchor = &cgrpc_clock_thread_anchor;
    // A signal handler that interrupts a re-anchor gets the wall clock and leaves the anchor alone.
    if (anchor->busy) return realtime_ns();
    anchor->busy = 1;
    anchor->window = 0;
    atomic_signal_fence(memory_order_seq_cst);
    uint64_t wall = 0;
    int anchored = 0;
    if (atomic_load_explicit(&counter_usable, memory_order_relaxed) != 0) {
        measure_if_due(__rdtsc());
        uint64_t measured_rate = atomic_load_explicit(&rate, memory_order_relaxed);
        uint64_t counter = 0;
        if (measured_rate != 0 && bracketed_read(CLOCK_REALTIME, &wall, &counter)) {
            anchor->counter = counter;
            anchor->wall = wall;
            anchor->rate = measured_rate;
            anchored = 1;
            atomic_signal_fence(memory_order_seq_cst);
            anchor->window = atomic_load_explicit(&window_ticks, memory_order_relaxed);
        }
    }
    if (!anchored) wall = realtime_ns();
    atomic_signal_fence(memory_order_seq_cst);
    anchor->busy = 0;
    return wall;
#else
    return realtime_ns();
#endif
}

int cgrpc_clock_uses_counter(void) {
    cgrpc_clock_reanchor();
    return cgrpc_clock_thread_anchor.window != 0;
}
