#include "cgrpc_unary_call.h"

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/slice.h>
#include <grpc/support/alloc.h>
#include <grpc/support/time.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct cgrpc_unary_call {
    grpc_call *call;
    grpc_op ops[6];
    grpc_metadata *send_metadata;
    size_t send_metadata_count;
    grpc_byte_buffer *request;
    grpc_metadata_array initial_metadata;
    grpc_metadata_array trailing_metadata;
    grpc_byte_buffer *response;
    grpc_status_code status;
    grpc_slice details;
    const char *error_string;
    char *details_cstr;
    grpc_slice response_slice;
    int has_response_slice;
};

struct cgrpc_payload {
    grpc_slice slice;
};

// Request buffers are recycled: a fresh one per request would be a fresh mapping of a few hundred
// kilobytes (malloc maps blocks this large), each page zeroed by the kernel on first touch. At most
// `pool_slots` buffers, `pool_bytes_limit` bytes in all, wait here for the next request (a request
// of the default 512 spans is ~300 KB; what the pool holds stays with the process). A request takes
// the smallest buffer that fits, and a pool whose buffers have all become too small is renewed.
// A child forked while another thread held the pool's lock must not export (gRPC cannot either).
enum { pool_slots = 8, pool_bytes_limit = 8 << 20 };

typedef struct {
    size_t capacity;
    // The bytes follow.
} pooled_buffer;

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pooled_buffer *pool[pool_slots];
static int pool_count;
static size_t pool_bytes;

// Removes pool entry `index` (under the lock) and returns it.
static pooled_buffer *remove_pooled(int index) {
    pooled_buffer *buffer = pool[index];
    pool[index] = pool[--pool_count];
    pool_bytes -= buffer->capacity;
    return buffer;
}

// Under pool_lock: whether a buffer of `capacity` fits beside the pooled ones.
static int fits(size_t capacity) {
    return pool_count < pool_slots && pool_bytes + capacity <= pool_bytes_limit;
}

// Under pool_lock: the index of the pool's smallest buffer if a buffer of `capacity` would fit
// in its place and is larger, or -1.
static int replaceable_by(size_t capacity) {
    if (pool_count == 0) return -1;
    int smallest = 0;
    for (int i = 1; i < pool_count; i++) {
        if (pool[i]->capacity < pool[smallest]->capacity) smallest = i;
    }
    size_t small = pool[smallest]->capacity;
    return small < capacity && pool_bytes - small + capacity <= pool_bytes_limit ? smallest : -1;
}

static pooled_buffer *take_buffer(size_t length) {
    // A little headroom, so that the next request, a few spans longer, fits too.
    size_t capacity = length + length / 8;
    pooled_buffer *taken = NULL, *evicted = NULL;
    pthread_mutex_lock(&pool_lock);
    int best = -1;
    for (int i = 0; i < pool_count; i++) {
        if (pool[i]->capacity >= length && (best < 0 || pool[i]->capacity < pool[best]->capacity)) best = i;
    }
    if (best >= 0) {
        taken = remove_pooled(best);
    } else if (!fits(capacity)) {
        // Nothing fits and the pool is full: its smallest buffer makes room for the larger one
        // this request will return.
        int smallest = replaceable_by(capacity);
        if (smallest >= 0) evicted = remove_pooled(smallest);
    }
    pthread_mutex_unlock(&pool_lock);
    free(evicted);
    if (taken != NULL) return taken;
    pooled_buffer *buffer = malloc(sizeof(pooled_buffer) + capacity);
    if (buffer != NULL) buffer->capacity = capacity;
    return buffer;
}

// Called by gRPC when the last reference to a payload's slice goes: kept if the pool has room,
// or instead of the pool's smallest buffer if it is larger.
static void return_buffer(void *user_data) {
    pooled_buffer *buffer = user_data;
    pthread_mutex_lock(&pool_lock);
    int room = fits(buffer->capacity);
    int smallest = room ? -1 : replaceable_by(buffer->capacity);
    if (room || smallest >= 0) {
        pooled_buffer *replaced = smallest >= 0 ? remove_pooled(smallest) : NULL;
        pool[pool_count++] = buffer;
        pool_bytes += buffer->capacity;
        buffer = replaced;
    }
    pthread_mutex_unlock(&pool_lock);
    free(buffer);
}

cgrpc_payload *cgrpc_payload_create(size_t length) {
    cgrpc_payload *payload = malloc(sizeof(*payload));
    pooled_buffer *buffer = payload != NULL ? take_buffer(length) : NULL;
    if (buffer == NULL) {
        free(payload);
        return NULL;
    }
    payload->slice = grpc_slice_new_with_user_data(buffer + 1, length, return_buffer, buffer);
    return payload;
}

uint8_t *cgrpc_payload_bytes(cgrpc_payload *payload) { return GRPC_SLICE_START_PTR(payload->slice); }

void cgrpc_payload_destroy(cgrpc_payload *payload) {
    grpc_slice_unref(payload->slice);
    free(payload);
}

cgrpc_unary_call *cgrpc_unary_call_start(grpc_channel *channel, grpc_completion_queue *cq,
                                         void *registered_method, const cgrpc_payload *request,
                                         const char *const *keys,
                                         const char *const *values, size_t count,
                                         int64_t timeout_ms, int wait_for_ready, void *tag,
                                         grpc_call_error *result) {
    cgrpc_unary_call *c = calloc(1, sizeof(*c));
    grpc_metadata *metadata = count ? calloc(count, sizeof(grpc_metadata)) : NULL;
    if (c == NULL || (count && metadata == NULL)) {
        *result = GRPC_CALL_ERROR;
        free(c);
        free(metadata);
        return NULL;
    }
    gpr_timespec deadline = timeout_ms <= 0
        ? gpr_inf_future(GPR_CLOCK_MONOTONIC)
        : gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_millis(timeout_ms, GPR_TIMESPAN));
    c->call = grpc_channel_create_registered_call(channel, NULL, GRPC_PROPAGATE_DEFAULTS, cq,
                                                  registered_method, deadline, NULL);
    if (c->call == NULL) {
        *result = GRPC_CALL_ERROR;
        free(c);
        free(metadata);
        return NULL;
    }

    c->send_metadata_count = count;
    c->send_metadata = metadata;
    for (size_t i = 0; i < count; i++) {
        c->send_metadata[i].key = grpc_slice_from_copied_string(keys[i]);
        c->send_metadata[i].value = grpc_slice_from_copied_string(values[i]);
    }
    // The byte buffer takes its own reference to the payload's slice: no copy.
    grpc_slice payload = request->slice;
    c->request = grpc_raw_byte_buffer_create(&payload, 1);
    grpc_metadata_array_init(&c->initial_metadata);
    grpc_metadata_array_init(&c->trailing_metadata);
    c->details = grpc_empty_slice();

    grpc_op *op = c->ops;
    op->op = GRPC_OP_SEND_INITIAL_METADATA;
    op->data.send_initial_metadata.count = c->send_metadata_count;
    op->data.send_initial_metadata.metadata = c->send_metadata;
    op->flags = wait_for_ready ? GRPC_INITIAL_METADATA_WAIT_FOR_READY : 0;
    op++;
    op->op = GRPC_OP_SEND_MESSAGE;
    op->data.send_message.send_message = c->request;
    op++;
    op->op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
    op++;
    op->op = GRPC_OP_RECV_INITIAL_METADATA;
    op->data.recv_initial_metadata.recv_initial_metadata = &c->initial_metadata;
    op++;
    op->op = GRPC_OP_RECV_MESSAGE;
    op->data.recv_message.recv_message = &c->response;
    op++;
    op->op = GRPC_OP_RECV_STATUS_ON_CLIENT;
    op->data.recv_status_on_client.trailing_metadata = &c->trailing_metadata;
    op->data.recv_status_on_client.status = &c->status;
    op->data.recv_status_on_client.status_details = &c->details;
    op->data.recv_status_on_client.error_string = &c->error_string;
    op++;

    *result = grpc_call_start_batch(c->call, c->ops, (size_t)(op - c->ops), tag, NULL);
    if (*result != GRPC_CALL_OK) {
        cgrpc_unary_call_destroy(c);
        return NULL;
    }
    return c;
}

void cgrpc_unary_call_cancel(cgrpc_unary_call *c) { grpc_call_cancel(c->call, NULL); }

grpc_status_code cgrpc_unary_call_status(const cgrpc_unary_call *c) { return c->status; }

const char *cgrpc_unary_call_details(cgrpc_unary_call *c) {
    if (c->details_cstr == NULL) c->details_cstr = grpc_slice_to_c_string(c->details);
    return c->details_cstr;
}

const uint8_t *cgrpc_unary_call_response(cgrpc_unary_call *c, size_t *length) {
    *length = 0;
    if (c->response == NULL) return NULL;
    if (!c->has_response_slice) {
        grpc_byte_buffer_reader reader;
        if (!grpc_byte_buffer_reader_init(&reader, c->response)) return NULL;
        c->response_slice = grpc_byte_buffer_reader_readall(&reader);
        grpc_byte_buffer_reader_destroy(&reader);
        c->has_response_slice = 1;
    }
    *length = GRPC_SLICE_LENGTH(c->response_slice);
    return GRPC_SLICE_START_PTR(c->response_slice);
}

const uint8_t *cgrpc_unary_call_trailer(const cgrpc_unary_call *c, const char *key, size_t *length) {
    size_t key_len = strlen(key);
    for (size_t i = 0; i < c->trailing_metadata.count; i++) {
        const grpc_metadata *md = &c->trailing_metadata.metadata[i];
        if (GRPC_SLICE_LENGTH(md->key) == key_len &&
            memcmp(GRPC_SLICE_START_PTR(md->key), key, key_len) == 0) {
            *length = GRPC_SLICE_LENGTH(md->value);
            return GRPC_SLICE_START_PTR(md->value);
        }
    }
    *length = 0;
    return NULL;
}

void cgrpc_unary_call_destroy(cgrpc_unary_call *c) {
    if (c == NULL) return;
    if (c->call) grpc_call_unref(c->call);
    for (size_t i = 0; i < c->send_metadata_count; i++) {
        grpc_slice_unref(c->send_metadata[i].key);
        grpc_slice_unref(c->send_metadata[i].value);
    }
    free(c->send_metadata);
    if (c->request) grpc_byte_buffer_destroy(c->request);
    if (c->response) grpc_byte_buffer_destroy(c->response);
    if (c->has_response_slice) grpc_slice_unref(c->response_slice);
    grpc_metadata_array_destroy(&c->initial_metadata);
    grpc_metadata_array_destroy(&c->trailing_metadata);
    grpc_slice_unref(c->details);
    if (c->error_string) gpr_free((void *)c->error_string);
    if (c->details_cstr) gpr_free(c->details_cstr);
    free(c);
}
