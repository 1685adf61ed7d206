// A gRPC client channel made from plain values, so Swift never builds grpc_arg arrays.
#ifndef CGRPC_CHANNEL_H
#define CGRPC_CHANNEL_H

#include <grpc/grpc.h>
#include <stdint.h>

typedef struct {
    const char *target;          ///< gRPC target: "host:port", "dns:///h:p", "ipv4:a:p,b:p"
    int use_tls;                 ///< 0 = plaintext, 1 = TLS
    const char *root_certs_pem;  ///< NULL = gRPC's default roots
    const char *client_key_pem;  ///< mTLS private key (PEM) or NULL
    const char *client_cert_pem; ///< mTLS certificate chain (PEM) or NULL
    int gzip;                    ///< 1 = compress every message with gzip
    const char *user_agent;      ///< primary user agent, prepended to gRPC's own
    int round_robin;             ///< 1 = round_robin load balancing over resolved addresses
    int max_send_bytes;          ///< largest message the channel may send (-1 = unlimited)
    int reconnect_backoff_ms;    ///< initial and minimum reconnect backoff (0 = gRPC default)
    int max_reconnect_backoff_ms;///< cap of the reconnect backoff (0 = gRPC default)
} cgrpc_channel_options;

/// Creates a channel, or returns NULL and writes a message into `error` (`error_len` bytes).
grpc_channel *cgrpc_channel_create(const cgrpc_channel_options *options, char *error, size_t error_len);

/// Name of the `grpc_connectivity_state`, for diagnostics.
const char *cgrpc_connectivity_state_name(grpc_connectivity_state state);

#endif
