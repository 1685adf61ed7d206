// gRPC core's log hook (gpr_set_log_function) behind a plain C signature, so that gRPC's log
// header (which pulls in <stdlib.h>) stays out of the module Swift imports.
#ifndef CGRPC_LOG_H
#define CGRPC_LOG_H

/// Severity of a gRPC core log line (the values of gpr_log_severity).
typedef enum {
    CGRPC_LOG_DEBUG = 0,
    CGRPC_LOG_INFO = 1,
    CGRPC_LOG_ERROR = 2,
} cgrpc_log_severity;

/// Receives one gRPC core log line; called on gRPC's threads.
typedef void (*cgrpc_log_sink)(cgrpc_log_severity severity, const char *file, int line, const char *message);

/// Routes every line gRPC core logs (at the verbosity GRPC_VERBOSITY allows) to `sink`.
void cgrpc_set_log_sink(cgrpc_log_sink sink);

#endif
