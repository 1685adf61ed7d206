// A fast in-process OTLP/gRPC trace receiver for benchmarks and tests: it fully decodes every
// ExportTraceServiceRequest and counts the spans.
#ifndef CGRPC_COUNT_SERVER_H
#define CGRPC_COUNT_SERVER_H

#include <stddef.h>
#include <stdint.h>

typedef struct cgrpc_count_server cgrpc_count_server;

/// How requests are decoded.
typedef enum {
    /// The validating wire decoder of cgrpc_otlp_scan.h: every field checked, nothing allocated.
    CGRPC_COUNT_DECODER_SCAN = 0,
    /// protobuf-c's generated unpack into a per-thread bump arena.
    CGRPC_COUNT_DECODER_PROTOBUF_C = 1,
} cgrpc_count_decoder;

/// Starts serving opentelemetry.proto.collector.trace.v1.TraceService/Export on `address`
/// (e.g. "127.0.0.1:0"), plaintext, with `threads` poller threads (>= 1), each with its own
/// completion queue, decoding requests with `decoder`. gzip-compressed requests are accepted; requests may be up to 64 MiB.
/// Takes its own grpc_init() reference. Writes the bound port into `*bound_port` (may be NULL).
/// Returns NULL and writes a message into `error` (`error_len` bytes) on failure.
cgrpc_count_server *cgrpc_count_server_start(const char *address, int threads, cgrpc_count_decoder decoder,
                                             int *bound_port, char *error, size_t error_len);

/// Spans in requests that decoded and were answered OK. Counters are updated after decoding and
/// before the reply is sent, so they are final once the client holds its response.
uint64_t cgrpc_count_server_spans(const cgrpc_count_server *server);

/// Requests answered OK.
uint64_t cgrpc_count_server_requests(const cgrpc_count_server *server);

/// Requests that failed to decode (or carried no message); answered INVALID_ARGUMENT.
uint64_t cgrpc_count_server_failures(const cgrpc_count_server *server);

/// Total bytes of request messages handed to the decoder (after gzip decompression).
uint64_t cgrpc_count_server_bytes(const cgrpc_count_server *server);

/// Stops accepting, cancels calls in flight, joins the poller threads, destroys the server and its
/// queues, and drops the grpc_init() reference taken by start. Safe with calls in flight. NULL is ignored.
void cgrpc_count_server_stop(cgrpc_count_server *server);

#endif
