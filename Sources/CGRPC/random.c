// Span and trace id randomness: see include/cgrpc_random.h.
#include "cgrpc_random.h"

#include <errno.h>
#include <pthread.h>
#include <sys/random.h>
#include <time.h>

__thread cgrpc_random_state cgrpc_random_thread_state;

static pthread_once_t fork_handler_once = PTHREAD_ONCE_INIT;

// Only the forking thread lives on in the child: make it draw a fresh seed.
static void reseed_after_fork(void) { cgrpc_random_thread_state.seeded = 0; }

static void install_fork_handler(void) { pthread_atfork(NULL, NULL, reseed_after_fork); }

void cgrpc_random_seed(void) {
    pthread_once(&fork_handler_once, install_fork_handler);
    cgrpc_random_state *state = &cgrpc_random_thread_state;
    unsigned char *bytes = (unsigned char *)state->s;
    size_t filled = 0;
    while (filled < sizeof state->s) {
        ssize_t got = getrandom(bytes + filled, sizeof state->s - filled, 0);
        if (got > 0) {
            filled += (size_t)got;
        } else if (got < 0 && errno != EINTR) {
            break;
        }
    }
    if (filled < sizeof state->s) {
        // No getrandom (a very old kernel): the clock, the state's address and the thread, mixed
        // by splitmix64. Not secure, but ids only need to be unique.
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        uint64_t z = (uint64_t)now.tv_nsec ^ ((uint64_t)now.tv_sec << 30) ^ (uint64_t)(uintptr_t)state
                     ^ (uint64_t)pthread_self();
        for (int i = 0; i < 4; i++) {
            z += 0x9e3779b97f4a7c15u;
            uint64_t m = z;
            m = (m ^ (m >> 30)) * 0xbf58476d1ce4e5b9u;
            m = (m ^ (m >> 27)) * 0x94d049bb133111ebu;
            state->s[i] = m ^ (m >> 31);
        }
    }
    if ((state->s[0] | state->s[1] | state->s[2] | state->s[3]) == 0) state->s[0] = 1;
    state->seeded = 1;
}
