// One unary client call (send one message, receive one message and the status) with every
// buffer gRPC writes into owned by a heap object, so addresses stay stable until completion.
#ifndef CGRPC_UNARY_CALL_H
#define CGRPC_UNARY_CALL_H

#include <grpc/grpc.h>
#include <stddef.h>
#include <stdint.h>

typedef struct cgrpc_unary_call cgrpc_unary_call;

/// A request message's bytes in one reference-counted gRPC slice: written once by the encoder,
/// then sent by every attempt of the call without a copy.
typedef struct cgrpc_payload cgrpc_payload;

/// A payload of `length` bytes, not yet written.
cgrpc_payload *cgrpc_payload_create(size_t length);

/// Where the payload's bytes are written and read.
uint8_t *cgrpc_payload_bytes(cgrpc_payload *payload);

/// Releases the caller's reference; calls in flight keep the bytes alive.
void cgrpc_payload_destroy(cgrpc_payload *payload);

/// Starts `method` (a handle from grpc_channel_register_call) with `request` as the message.
/// `metadata_keys`/`metadata_values` are copied. The completion of the call arrives on `cq` with `tag`.
/// Returns NULL if the call could not be started; `*result` then holds the grpc_call_error.
cgrpc_unary_call *cgrpc_unary_call_start(grpc_channel *channel, grpc_completion_queue *cq,
                                         void *registered_method, const cgrpc_payload *request,
                                         const char *const *metadata_keys,
                                         const char *const *metadata_values, size_t metadata_count,
                                         int64_t timeout_ms, int wait_for_ready, void *tag,
                                         grpc_call_error *result);

/// Asks gRPC to cancel the call; its completion still arrives on the queue.
void cgrpc_unary_call_cancel(cgrpc_unary_call *call);

/// Status code after completion.
grpc_status_code cgrpc_unary_call_status(const cgrpc_unary_call *call);

/// Status message after completion, NUL-terminated; valid until destroy.
const char *cgrpc_unary_call_details(cgrpc_unary_call *call);

/// Response bytes after completion (NULL if none); valid until destroy.
const uint8_t *cgrpc_unary_call_response(cgrpc_unary_call *call, size_t *length);

/// Value of the first trailing-metadata entry with `key` (NULL if absent); valid until destroy.
const uint8_t *cgrpc_unary_call_trailer(const cgrpc_unary_call *call, const char *key, size_t *length);

/// Releases the call and everything it owns.
void cgrpc_unary_call_destroy(cgrpc_unary_call *call);

#endif
