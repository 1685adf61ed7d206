// An OTLP/gRPC trace receiver on gRPC core's server API, for development tools, benchmarks and
// tests (never linked into the exporter): it validates every ExportTraceServiceRequest in full,
// counts its spans, optionally hands its bytes to a handler, and answers it.
#ifndef COTLP_RECEIVER_H
#define COTLP_RECEIVER_H

#include <stddef.h>
#include <stdint.h>

typedef struct cotlp_receiver cotlp_receiver;

/// How requests are validated.
typedef enum {
    /// The validating wire decoder of cgrpc_otlp_scan.h: every field checked, nothing allocated.
    COTLP_DECODER_SCAN = 0,
    /// protobuf-c's generated unpack into a per-thread bump arena.
    COTLP_DECODER_PROTOBUF_C = 1,
} cotlp_decoder;

/// Called on a poller thread with each request that validated, before it is answered (so whatever
/// it records is in place once the client holds its response). `data` is valid during the call
/// only. Returns the gRPC status code to answer with (0: OK); `details` (NUL-terminated, at most
/// `details_len` bytes) explains any other status.
typedef int (*cotlp_request_handler)(void *context, const uint8_t *data, size_t len, uint64_t spans,
                                     char *details, size_t details_len);

/// What to start.
typedef struct {
    /// Where to listen, e.g. "127.0.0.1:0" (port 0 picks a free one).
    const char *address;
    /// Poller threads (>= 1), each with its own completion queue.
    int threads;
    cotlp_decoder decoder;
    /// Largest request message accepted (after gzip decompression); a larger one is answered
    /// RESOURCE_EXHAUSTED and counted as a failure. gRPC refuses one of more than twice the limit
    /// (and more than the limit plus 16 MiB) itself, with RESOURCE_EXHAUSTED, before the receiver
    /// sees it: that one is not counted. At least 1.
    int max_request_bytes;
    /// May be NULL: then requests are only validated and counted.
    cotlp_request_handler handler;
    void *handler_context;
} cotlp_receiver_options;

/// Starts serving opentelemetry.proto.collector.trace.v1.TraceService/Export, plaintext. gzip-
/// compressed requests are accepted. Takes its own grpc_init() reference. Writes the bound port
/// into `*bound_port` (may be NULL). Returns NULL and writes a message into `error` (`error_len`
/// bytes) on failure.
cotlp_receiver *cotlp_receiver_start(const cotlp_receiver_options *options, int *bound_port, char *error,
                                     size_t error_len);

/// What a receiver has answered. Counters are updated before a reply is sent, so they are final
/// for a request once its client holds the response.
typedef struct {
    /// Spans in requests answered OK.
    uint64_t spans;
    /// Requests answered OK.
    uint64_t requests;
    /// Requests answered with an error: not a valid ExportTraceServiceRequest (INVALID_ARGUMENT),
    /// over the size limit (RESOURCE_EXHAUSTED), refused by the handler, or abandoned by the client
    /// before its message arrived in full.
    uint64_t failures;
    /// Bytes of request messages answered OK (after gzip decompression).
    uint64_t bytes;
} cotlp_receiver_counts;

/// The counters now.
cotlp_receiver_counts cotlp_receiver_read_counts(const cotlp_receiver *receiver);

/// Stops accepting, cancels calls in flight, joins the poller threads, writes the final counters
/// into `*final_counts` (may be NULL), destroys the server and its queues, and drops the
/// grpc_init() reference taken by start. Safe with calls in flight. No handler call is running or
/// starts once it returns. NULL is ignored.
void cotlp_receiver_stop(cotlp_receiver *receiver, cotlp_receiver_counts *final_counts);

#endif
