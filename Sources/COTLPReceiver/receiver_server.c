// An OTLP/gRPC trace receiver on gRPC core's server API: every request is decoded in full — by
// the validating wire decoder of otlp_scan.c, or with protobuf-c into a per-thread bump arena —
// its spans are counted, the optional handler sees its bytes, and it is answered in one batch.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE // pthread_setname_np
#endif

#include "cotlp_receiver.h"
#include "cgrpc_otlp_scan.h"

#include "opentelemetry/proto/collector/trace/v1/trace_service.pb-c.h"

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/slice.h>
#include <grpc/support/time.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef COTLP_RECEIVER_PROFILE
#include <time.h>
#endif

#define METHOD_NAME "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
#define SLOTS_PER_QUEUE 16
#define ARENA_INITIAL_BYTES ((size_t)1 << 20)
#define ARENA_MAX_KEPT_BYTES ((size_t)32 << 20) // bigger requests use extra chunks each time
#define FLAT_MAX_KEPT_BYTES ((size_t)32 << 20)  // a bigger join buffer is freed after use
#define ARENA_ALIGN ((size_t)16)

typedef Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceRequest export_request;

// ---------------------------------------------------------------------------------------------
// Bump arena behind a ProtobufCAllocator: one main block reused for every request. A request that
// overflows it gets extra chunks; on reset they are freed and the main block grows to fit them.

typedef struct arena_chunk {
    struct arena_chunk *next;
    size_t cap;
    size_t used;
} arena_chunk;

#define CHUNK_HEADER (((sizeof(arena_chunk) + ARENA_ALIGN - 1) / ARENA_ALIGN) * ARENA_ALIGN)

typedef struct {
    unsigned char *base;
    size_t cap;
    size_t used;
    arena_chunk *chunks; // overflow chunks of the current request, newest first
    size_t chunk_bytes;
} arena;

static void *arena_alloc(void *data, size_t size) {
    arena *a = data;
    size = (size + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
    if (size <= a->cap - a->used) {
        void *p = a->base + a->used;
        a->used += size;
        return p;
    }
    arena_chunk *c = a->chunks;
    if (c == NULL || size > c->cap - c->used) {
        size_t cap = a->cap > ARENA_INITIAL_BYTES ? a->cap : ARENA_INITIAL_BYTES;
        if (cap < size) cap = size;
        c = malloc(CHUNK_HEADER + cap);
        if (c == NULL) return NULL;
        c->next = a->chunks;
        c->cap = cap;
        c->used = 0;
        a->chunks = c;
        a->chunk_bytes += cap;
    }
    void *p = (unsigned char *)c + CHUNK_HEADER + c->used;
    c->used += size;
    return p;
}

static void arena_free(void *data, void *pointer) {
    (void)data;
    (void)pointer;
}

static void arena_reset(arena *a) {
    if (a->chunks != NULL) {
        size_t want = a->cap + a->chunk_bytes;
        while (a->chunks != NULL) {
            arena_chunk *next = a->chunks->next;
            free(a->chunks);
            a->chunks = next;
        }
        a->chunk_bytes = 0;
        if (want > ARENA_MAX_KEPT_BYTES) want = ARENA_MAX_KEPT_BYTES;
        if (want > a->cap) {
            unsigned char *bigger = malloc(want);
            if (bigger != NULL) {
                free(a->base);
                a->base = bigger;
                a->cap = want;
            }
        }
    }
    a->used = 0;
}

static void arena_destroy(arena *a) {
    arena_reset(a);
    free(a->base);
    a->base = NULL;
    a->cap = 0;
}

// ---------------------------------------------------------------------------------------------
// Server, pollers and calls.

enum { TAG_CALL = 1, TAG_SHUTDOWN = 2 };
enum { PHASE_REQUEST = 1, PHASE_REPLY = 2 };
enum { GATE_WAIT = 0, GATE_GO = 1, GATE_ABORT = 2 };

typedef struct poller {
    int tag_kind; // TAG_SHUTDOWN: the poller itself is the shutdown tag of its queue
    int index;
    struct cotlp_receiver *server;
    grpc_completion_queue *cq;
    pthread_t thread;
    int thread_started;
    int outstanding; // our tags pending on cq; touched only by the poller thread
    int shutdown_seen;
    arena arena;
    ProtobufCAllocator allocator;
    unsigned char *flat; // joins multi-slice payloads
    size_t flat_cap;
} poller;

struct cotlp_receiver {
    grpc_server *server;
    void *method;
    int threads;
    cotlp_decoder decoder;
    cotlp_request_handler handler;
    void *handler_context;
    size_t max_request_bytes;
    poller *pollers;
    atomic_int stopping;
    pthread_mutex_t gate_mutex;
    pthread_cond_t gate_cond;
    int gate;
    _Atomic uint64_t spans;
    _Atomic uint64_t requests;
    _Atomic uint64_t failures;
    _Atomic uint64_t bytes;
#ifdef COTLP_RECEIVER_PROFILE
    _Atomic uint64_t decode_ns;  // thread CPU in payload flattening + unpack + counting
    _Atomic uint64_t handler_ns; // thread CPU in all of this file's event handling
#endif
};

typedef struct call_state {
    int tag_kind; // TAG_CALL
    int phase;
    grpc_call *call;
    gpr_timespec deadline;
    grpc_metadata_array request_metadata;
    grpc_byte_buffer *payload;
    grpc_byte_buffer *response;
    grpc_slice details;
    grpc_status_code status;
    int cancelled;
    grpc_op ops[4];
} call_state;

#ifdef COTLP_RECEIVER_PROFILE
static uint64_t thread_cpu_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
#endif

static void call_state_free(call_state *c) {
    if (c->call != NULL) grpc_call_unref(c->call);
    grpc_metadata_array_destroy(&c->request_metadata);
    if (c->payload != NULL) grpc_byte_buffer_destroy(c->payload);
    if (c->response != NULL) grpc_byte_buffer_destroy(c->response);
    grpc_slice_unref(c->details); // a zeroed (never set) slice is inline: nothing to release
    free(c);
}

// Asks for the next call on p's queue. Returns 0 if no request could be queued.
static int arm(poller *p) {
    call_state *c = calloc(1, sizeof(*c));
    if (c == NULL) return 0;
    c->tag_kind = TAG_CALL;
    c->phase = PHASE_REQUEST;
    grpc_metadata_array_init(&c->request_metadata);
    grpc_call_error err = grpc_server_request_registered_call(
        p->server->server, p->server->method, &c->call, &c->deadline, &c->request_metadata,
        &c->payload, p->cq, p->cq, c);
    if (err != GRPC_CALL_OK) {
        call_state_free(c);
        return 0;
    }
    p->outstanding++;
    return 1;
}

// Contiguous bytes of a received message. Single-slice payloads are used in place; several slices
// are joined in the poller's reusable buffer; a still-compressed buffer goes through the reader.
static const uint8_t *payload_bytes(poller *p, grpc_byte_buffer *bb, size_t *len, grpc_slice *owned,
                                    int *has_owned) {
    static const uint8_t empty[1] = {0};
    *has_owned = 0;
    if (bb->type == GRPC_BB_RAW && bb->data.raw.compression == GRPC_COMPRESS_NONE) {
        grpc_slice_buffer *sb = &bb->data.raw.slice_buffer;
        *len = sb->length;
        if (sb->count == 0) return empty;
        if (sb->count == 1) return GRPC_SLICE_START_PTR(sb->slices[0]);
        if (p->flat_cap < sb->length) {
            size_t cap = p->flat_cap ? p->flat_cap : 64 * 1024;
            while (cap < sb->length) cap *= 2;
            unsigned char *bigger = malloc(cap);
            if (bigger == NULL) return NULL;
            free(p->flat);
            p->flat = bigger;
            p->flat_cap = cap;
        }
        size_t at = 0;
        for (size_t i = 0; i < sb->count; i++) {
            size_t n = GRPC_SLICE_LENGTH(sb->slices[i]);
            memcpy(p->flat + at, GRPC_SLICE_START_PTR(sb->slices[i]), n);
            at += n;
        }
        return p->flat;
    }
    grpc_byte_buffer_reader reader;
    if (!grpc_byte_buffer_reader_init(&reader, bb)) return NULL;
    *owned = grpc_byte_buffer_reader_readall(&reader);
    grpc_byte_buffer_reader_destroy(&reader);
    *has_owned = 1;
    *len = GRPC_SLICE_LENGTH(*owned);
    return GRPC_SLICE_START_PTR(*owned);
}

// Decodes the request, hands it to the handler and updates the counters. Returns the status to
// answer with and, for any but OK, writes why into `details`.
static grpc_status_code decode_and_count(poller *p, grpc_byte_buffer *payload, char *details, size_t details_len) {
    cotlp_receiver *s = p->server;
    if (payload == NULL) { // the client went away (or was over the size limit) before its message arrived
        atomic_fetch_add_explicit(&s->failures, 1, memory_order_relaxed);
        snprintf(details, details_len, "no request message arrived");
        return GRPC_STATUS_INVALID_ARGUMENT;
    }
#ifdef COTLP_RECEIVER_PROFILE
    uint64_t t0 = thread_cpu_ns();
#endif
    size_t len = 0;
    grpc_slice owned;
    int has_owned = 0;
    const uint8_t *data = payload_bytes(p, payload, &len, &owned, &has_owned);
    uint64_t spans = 0;
    int ok = 0;
    grpc_status_code status = GRPC_STATUS_OK;
    if (data != NULL && len > s->max_request_bytes) {
        snprintf(details, details_len, "request of %zu bytes is over this receiver's limit of %zu bytes", len,
                 s->max_request_bytes);
        status = GRPC_STATUS_RESOURCE_EXHAUSTED;
    } else if (data != NULL && s->decoder == COTLP_DECODER_SCAN) {
        ok = cgrpc_otlp_scan_request(data, len, &spans);
    } else if (data != NULL) {
        export_request *req =
            opentelemetry__proto__collector__trace__v1__export_trace_service_request__unpack(&p->allocator, len, data);
        if (req != NULL) {
            ok = 1;
            for (size_t i = 0; i < req->n_resource_spans; i++) {
                const Opentelemetry__Proto__Trace__V1__ResourceSpans *rs = req->resource_spans[i];
                for (size_t j = 0; j < rs->n_scope_spans; j++) spans += rs->scope_spans[j]->n_spans;
            }
        }
        arena_reset(&p->arena); // nothing else to free: everything lives in the arena
    }
    if (status != GRPC_STATUS_OK) {
        // over the limit: details written above
    } else if (!ok) {
        status = GRPC_STATUS_INVALID_ARGUMENT;
        snprintf(details, details_len, "request is not a valid ExportTraceServiceRequest (%zu bytes)", len);
    } else if (s->handler != NULL) {
        status = (grpc_status_code)s->handler(s->handler_context, data, len, spans, details, details_len);
    }
    if (has_owned) grpc_slice_unref(owned);
    if (p->flat_cap > FLAT_MAX_KEPT_BYTES) {
        free(p->flat);
        p->flat = NULL;
        p->flat_cap = 0;
    }
    if (status == GRPC_STATUS_OK) {
        atomic_fetch_add_explicit(&s->spans, spans, memory_order_relaxed);
        atomic_fetch_add_explicit(&s->bytes, (uint64_t)len, memory_order_relaxed);
        atomic_fetch_add_explicit(&s->requests, 1, memory_order_relaxed);
    } else {
        atomic_fetch_add_explicit(&s->failures, 1, memory_order_relaxed);
    }
#ifdef COTLP_RECEIVER_PROFILE
    atomic_fetch_add_explicit(&s->decode_ns, thread_cpu_ns() - t0, memory_order_relaxed);
#endif
    return status;
}

// Answers the call in one batch; its completion comes back to the poller with phase PHASE_REPLY.
static int reply(poller *p, call_state *c, grpc_status_code status, const char *details) {
    int ok = status == GRPC_STATUS_OK;
    c->response = grpc_raw_byte_buffer_create(NULL, 0); // a 0-byte ExportTraceServiceResponse
    c->status = status;
    c->details = ok ? grpc_empty_slice() : grpc_slice_from_copied_string(details);
    memset(c->ops, 0, sizeof(c->ops));
    grpc_op *op = c->ops;
    op->op = GRPC_OP_SEND_INITIAL_METADATA;
    op->data.send_initial_metadata.count = 0;
    op++;
    if (ok) {
        op->op = GRPC_OP_SEND_MESSAGE;
        op->data.send_message.send_message = c->response;
        op++;
    }
    op->op = GRPC_OP_SEND_STATUS_FROM_SERVER;
    op->data.send_status_from_server.trailing_metadata_count = 0;
    op->data.send_status_from_server.status = status;
    op->data.send_status_from_server.status_details = ok ? NULL : &c->details;
    op++;
    op->op = GRPC_OP_RECV_CLOSE_ON_SERVER;
    op->data.recv_close_on_server.cancelled = &c->cancelled;
    op++;
    c->phase = PHASE_REPLY;
    if (grpc_call_start_batch(c->call, c->ops, (size_t)(op - c->ops), c, NULL) != GRPC_CALL_OK) return 0;
    p->outstanding++;
    return 1;
}

static void handle_call(poller *p, call_state *c, int success) {
    cotlp_receiver *s = p->server;
    p->outstanding--;
    if (c->phase == PHASE_REQUEST && success) {
        char details[256] = "";
        grpc_status_code status = decode_and_count(p, c->payload, details, sizeof(details));
        if (c->payload != NULL) {
            grpc_byte_buffer_destroy(c->payload);
            c->payload = NULL;
        }
        if (reply(p, c, status, details)) return; // c lives on until the reply completes
    }
    // The reply completed, the request failed (server shutting down), or the reply could not start.
    call_state_free(c);
    if (!atomic_load_explicit(&s->stopping, memory_order_relaxed)) arm(p);
}

static void *poller_main(void *arg) {
    poller *p = arg;
    cotlp_receiver *s = p->server;
    char name[16];
    snprintf(name, sizeof(name), "otlp-recv-%d", p->index);
    pthread_setname_np(pthread_self(), name);

    pthread_mutex_lock(&s->gate_mutex);
    while (s->gate == GATE_WAIT) pthread_cond_wait(&s->gate_cond, &s->gate_mutex);
    int go = s->gate == GATE_GO;
    pthread_mutex_unlock(&s->gate_mutex);
    if (!go) return NULL;

    for (int i = 0; i < SLOTS_PER_QUEUE; i++) arm(p);
    // Run until the server's shutdown tag for this queue has arrived and no tag of ours is pending.
    while (!(p->shutdown_seen && p->outstanding == 0)) {
        grpc_event ev = grpc_completion_queue_next(p->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
        if (ev.type == GRPC_QUEUE_SHUTDOWN) break; // not expected before stop's cq shutdown
        if (ev.type != GRPC_OP_COMPLETE) continue;
#ifdef COTLP_RECEIVER_PROFILE
        uint64_t t0 = thread_cpu_ns();
#endif
        if (*(int *)ev.tag == TAG_SHUTDOWN) {
            p->shutdown_seen = 1;
        } else {
            handle_call(p, ev.tag, ev.success);
        }
#ifdef COTLP_RECEIVER_PROFILE
        atomic_fetch_add_explicit(&s->handler_ns, thread_cpu_ns() - t0, memory_order_relaxed);
#endif
    }
    return NULL;
}

static void open_gate(cotlp_receiver *s, int state) {
    pthread_mutex_lock(&s->gate_mutex);
    s->gate = state;
    pthread_cond_broadcast(&s->gate_cond);
    pthread_mutex_unlock(&s->gate_mutex);
}

// Frees everything once no thread runs and the server is destroyed (or never started).
static void destroy_queues_and_free(cotlp_receiver *s) {
    for (int i = 0; i < s->threads; i++) {
        poller *p = &s->pollers[i];
        if (p->cq == NULL) continue;
        grpc_completion_queue_shutdown(p->cq);
        for (;;) {
            grpc_event ev = grpc_completion_queue_next(p->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
            if (ev.type == GRPC_QUEUE_SHUTDOWN) break;
        }
        grpc_completion_queue_destroy(p->cq);
        arena_destroy(&p->arena);
        free(p->flat);
    }
    free(s->pollers);
    pthread_cond_destroy(&s->gate_cond);
    pthread_mutex_destroy(&s->gate_mutex);
    free(s);
    grpc_shutdown();
}

cotlp_receiver *cotlp_receiver_start(const cotlp_receiver_options *options, int *bound_port, char *error,
                                     size_t error_len) {
    const char *address = options->address;
    int threads = options->threads;
    if (threads < 1) {
        snprintf(error, error_len, "threads must be at least 1 (got %d)", threads);
        return NULL;
    }
    if (options->max_request_bytes < 1) {
        snprintf(error, error_len, "the request size limit must be at least 1 byte (got %d)", options->max_request_bytes);
        return NULL;
    }
    cotlp_receiver *s = calloc(1, sizeof(*s));
    poller *pollers = calloc((size_t)threads, sizeof(poller));
    if (s == NULL || pollers == NULL) {
        free(s);
        free(pollers);
        snprintf(error, error_len, "out of memory");
        return NULL;
    }
    grpc_init();
    s->threads = threads;
    s->decoder = options->decoder;
    s->handler = options->handler;
    s->handler_context = options->handler_context;
    s->max_request_bytes = (size_t)options->max_request_bytes;
    s->pollers = pollers;
    pthread_mutex_init(&s->gate_mutex, NULL);
    pthread_cond_init(&s->gate_cond, NULL);

    grpc_arg args[2];
    args[0].type = GRPC_ARG_INTEGER;
    args[0].key = (char *)GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH;
    // gRPC itself refuses what is far over the limit (RESOURCE_EXHAUSTED, without the request ever
    // reaching this file, so uncounted); up to twice the limit (at least 16 MiB more) the request is
    // read and refused here, counted, with a message naming both sizes.
    long long transport_limit = 2LL * options->max_request_bytes;
    if (transport_limit < (long long)options->max_request_bytes + (16LL << 20)) transport_limit = (long long)options->max_request_bytes + (16LL << 20);
    if (transport_limit > INT_MAX) transport_limit = INT_MAX;
    args[0].value.integer = (int)transport_limit;
    args[1].type = GRPC_ARG_INTEGER; // so that a taken port is an error, not a shared listener
    args[1].key = (char *)GRPC_ARG_ALLOW_REUSEPORT;
    args[1].value.integer = 0;
    grpc_channel_args channel_args = {2, args};
    s->server = grpc_server_create(&channel_args, NULL);

    for (int i = 0; i < threads; i++) {
        poller *p = &pollers[i];
        p->tag_kind = TAG_SHUTDOWN;
        p->index = i;
        p->server = s;
        p->cq = grpc_completion_queue_create_for_next(NULL);
        grpc_server_register_completion_queue(s->server, p->cq, NULL);
        p->allocator.alloc = arena_alloc;
        p->allocator.free = arena_free;
        p->allocator.allocator_data = &p->arena;
        p->arena.base = malloc(ARENA_INITIAL_BYTES);
        p->arena.cap = p->arena.base ? ARENA_INITIAL_BYTES : 0;
    }
    // The method string is kept by the server: a literal lives forever.
    s->method = grpc_server_register_method(s->server, METHOD_NAME, NULL,
                                            GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER, 0);

    const char *failure = NULL;
    int port = 0;
    if (s->method == NULL) failure = "gRPC refused to register the Export method";
    for (int i = 0; failure == NULL && i < threads; i++) {
        if (pthread_create(&pollers[i].thread, NULL, poller_main, &pollers[i]) != 0)
            failure = "could not start a poller thread";
        else
            pollers[i].thread_started = 1;
    }
    if (failure == NULL) {
        grpc_server_credentials *creds = grpc_insecure_server_credentials_create();
        port = grpc_server_add_http2_port(s->server, address, creds);
        grpc_server_credentials_release(creds);
        if (port == 0) failure = "could not listen on the address";
    }
    if (failure != NULL) {
        // No listener was added and the server never started, so it can be destroyed directly.
        snprintf(error, error_len, "%s '%s'", failure, address);
        open_gate(s, GATE_ABORT);
        for (int i = 0; i < threads; i++)
            if (pollers[i].thread_started) pthread_join(pollers[i].thread, NULL);
        grpc_server_destroy(s->server);
        destroy_queues_and_free(s);
        return NULL;
    }
    grpc_server_start(s->server);
    open_gate(s, GATE_GO);
    if (bound_port != NULL) *bound_port = port;
    return s;
}

static uint64_t load(const _Atomic uint64_t *counter) {
    return atomic_load_explicit((_Atomic uint64_t *)counter, memory_order_relaxed);
}

cotlp_receiver_counts cotlp_receiver_read_counts(const cotlp_receiver *s) {
    cotlp_receiver_counts counts = {load(&s->spans), load(&s->requests), load(&s->failures), load(&s->bytes)};
    return counts;
}

#ifdef COTLP_RECEIVER_PROFILE
// Profiling builds only (not in the header): thread CPU ns spent decoding, and in all handlers.
uint64_t cotlp_receiver_profile_decode_ns(const cotlp_receiver *s);
uint64_t cotlp_receiver_profile_handler_ns(const cotlp_receiver *s);
uint64_t cotlp_receiver_profile_decode_ns(const cotlp_receiver *s) { return load(&s->decode_ns); }
uint64_t cotlp_receiver_profile_handler_ns(const cotlp_receiver *s) { return load(&s->handler_ns); }
#endif

void cotlp_receiver_stop(cotlp_receiver *s, cotlp_receiver_counts *final_counts) {
    if (s == NULL) return;
    atomic_store_explicit(&s->stopping, 1, memory_order_relaxed);
    for (int i = 0; i < s->threads; i++)
        grpc_server_shutdown_and_notify(s->server, s->pollers[i].cq, &s->pollers[i]);
    grpc_server_cancel_all_calls(s->server);
    // Each poller returns once its queue has delivered the shutdown tag and all our pending tags.
    for (int i = 0; i < s->threads; i++) pthread_join(s->pollers[i].thread, NULL);
    if (final_counts != NULL) *final_counts = cotlp_receiver_read_counts(s);
    grpc_server_destroy(s->server);
    destroy_queues_and_free(s);
}
