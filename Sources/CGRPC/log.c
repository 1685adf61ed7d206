#include "cgrpc_log.h"

#include <grpc/support/log.h>

// Read on gRPC's threads, possibly while set: atomic.
static cgrpc_log_sink g_sink;

static void forward(gpr_log_func_args *args) {
    cgrpc_log_sink sink = __atomic_load_n(&g_sink, __ATOMIC_ACQUIRE);
    if (sink != NULL && args != NULL) sink((cgrpc_log_severity)args->severity, args->file, args->line, args->message);
}

void cgrpc_set_log_sink(cgrpc_log_sink sink) {
    __atomic_store_n(&g_sink, sink, __ATOMIC_RELEASE);
    gpr_set_log_function(forward);
}
