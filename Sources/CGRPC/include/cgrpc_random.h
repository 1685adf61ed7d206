// Span and trace id randomness: xoshiro256** (Blackman and Vigna) with one state per thread,
// seeded from getrandom(2), so an id costs a few nanoseconds and no system call. A forked child
// reseeds the thread that survives the fork, so parent and child never share ids.
#ifndef CGRPC_RANDOM_H
#define CGRPC_RANDOM_H

#include <stdint.h>

typedef struct {
    uint64_t s[4];
    int seeded;
} cgrpc_random_state;

extern __thread cgrpc_random_state cgrpc_random_thread_state;

/// Seeds the calling thread's state from the system's secure generator.
void cgrpc_random_seed(void);

/// The next 64 random bits of the calling thread's generator.
static inline uint64_t cgrpc_random_next(void) {
    cgrpc_random_state *state = &cgrpc_random_thread_state;
    if (__builtin_expect(!state->seeded, 0)) cgrpc_random_seed();
    uint64_t *s = state->s;
    uint64_t x = s[1] * 5;
    uint64_t result = ((x << 7) | (x >> 57)) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = (s[3] << 45) | (s[3] >> 19);
    return result;
}

#endif
