// The span clock: see include/cgrpc_clock.h.
#include "cgrpc_clock.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#if defined(__x86_64__)
#include <x86intrin.h>
#endif

__thread cgrpc_clock_anchor cgrpc_clock_thread_anchor;

enum {
    window_ns = 1000000,            // a thread re-anchors after 1 ms
    first_baseline_ns = 10000000,   // the rate is first measured over 10 ms
};

// The rate: counter ticks measured against CLOCK_MONOTONIC_RAW from one baseline reading, measured
// again each time the time since the baseline has doubled, so its error keeps shrinking.
static pthread_mutex_t calibration_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic int counter_usable = -1;         // -1: not checked yet
static _Atomic uint64_t rate;                   // 32.32 ns per tick; 0: not measured yet
static _Atomic uint64_t next_measurement_ns;    // CLOCK_MONOTONIC_RAW time of the next measurement
static uint64_t baseline_ns, baseline_counter;  // under calibration_lock

static uint64_t read_ns(clockid_t clock) {
    struct timespec time;
    clock_gettime(clock, &time);
    return (uint64_t)time.tv_sec * 1000000000u + (uint64_t)time.tv_nsec;
}

#if defined(__x86_64__)
// The kernel keeps time with the counter only if it found it invariant and synchronized.
static int kernel_keeps_time_with_counter(void) {
    FILE *file = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "r");
    if (file == NULL) return 0;
    char name[16] = {0};
    int found = fgets(name, sizeof name, file) != NULL && strcmp(name, "tsc\n") == 0;
    fclose(file);
    return found;
}

// The current rate, measured (again) if due; 0 while the counter cannot or cannot yet be used.
static uint64_t current_rate(void) {
    int usable = atomic_load_explicit(&counter_usable, memory_order_relaxed);
    if (usable < 0) {
        usable = kernel_keeps_time_with_counter();
        atomic_store_explicit(&counter_usable, usable, memory_order_relaxed);
    }
    if (!usable) return 0;
    uint64_t now_ns = read_ns(CLOCK_MONOTONIC_RAW);
    if (now_ns < atomic_load_explicit(&next_measurement_ns, memory_order_relaxed)
        || pthread_mutex_trylock(&calibration_lock) != 0) {
        return atomic_load_explicit(&rate, memory_order_relaxed);
    }
    uint64_t counter = __rdtsc();
    now_ns = read_ns(CLOCK_MONOTONIC_RAW);
    if (baseline_ns == 0) {
        baseline_ns = now_ns;
        baseline_counter = counter;
        atomic_store_explicit(&next_measurement_ns, now_ns + first_baseline_ns, memory_order_relaxed);
    } else if (now_ns >= atomic_load_explicit(&next_measurement_ns, memory_order_relaxed)
               && counter > baseline_counter) {
        uint64_t elapsed_ns = now_ns - baseline_ns;
        uint64_t measured = (uint64_t)(((unsigned __int128)elapsed_ns << 32) / (counter - baseline_counter));
        atomic_store_explicit(&rate, measured, memory_order_relaxed);
        atomic_store_explicit(&next_measurement_ns, now_ns + elapsed_ns, memory_order_relaxed);
    }
    pthread_mutex_unlock(&calibration_lock);
    return atomic_load_explicit(&rate, memory_order_relaxed);
}
#endif

uint64_t cgrpc_clock_reanchor(void) {
#if defined(__x86_64__)
    uint64_t measured_rate = current_rate();
    cgrpc_clock_anchor *anchor = &cgrpc_clock_thread_anchor;
    if (measured_rate == 0) {
        anchor->window = 0;
        return read_ns(CLOCK_REALTIME);
    }
    // The wall clock between two counter readings: the anchor's counter is their midpoint.
    uint64_t before = __rdtsc();
    uint64_t wall = read_ns(CLOCK_REALTIME);
    uint64_t after = __rdtsc();
    anchor->counter = before + (after - before) / 2;
    anchor->wall = wall;
    anchor->rate = measured_rate;
    anchor->window = (uint64_t)(((unsigned __int128)window_ns << 32) / measured_rate);
    return wall;
#else
    return read_ns(CLOCK_REALTIME);
#endif
}

int cgrpc_clock_uses_counter(void) {
    cgrpc_clock_reanchor();
    return cgrpc_clock_thread_anchor.window != 0;
}
