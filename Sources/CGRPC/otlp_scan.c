// See cgrpc_otlp_scan.h. The schema below follows opentelemetry/proto (trace, common, resource,
// collector) v1, the same field numbers proto/ holds; scripts/check_proto_schema.py proves those,
// and cgrpc_otlp_scan_schema_check compares the table with protobuf-c's descriptors of proto/.
#include "cgrpc_otlp_scan.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb-c.h"

#include <string.h>

enum { MAX_DEPTH = 64 };

// Field kinds: what the wire type must be and how the payload is checked.
enum {
    UNKNOWN = 0, // skipped by wire type
    VARINT,      // int, uint, bool, enum
    FIXED64,     // fixed64, double
    FIXED32,     // fixed32
    STRING,      // UTF-8 text
    BYTES,       // any bytes
    ID16,        // trace id: empty or 16 bytes
    ID8,         // span id: empty or 8 bytes
    MESSAGE,     // a nested message of type `message`
};

enum {
    REQUEST, RESOURCE_SPANS, RESOURCE, SCOPE_SPANS, SCOPE, SPAN, EVENT, LINK, STATUS,
    KEY_VALUE, ANY_VALUE, ARRAY_VALUE, KEY_VALUE_LIST, MESSAGE_COUNT
};

typedef struct {
    unsigned char kind;
    unsigned char message;
} field;

enum { MAX_FIELD = 16 };

#define F(kind_) {kind_, 0}
#define M(message_) {MESSAGE, message_}

static const field schema[MESSAGE_COUNT][MAX_FIELD + 1] = {
    [REQUEST] = {[1] = M(RESOURCE_SPANS)},
    [RESOURCE_SPANS] = {[1] = M(RESOURCE), [2] = M(SCOPE_SPANS), [3] = F(STRING)},
    [RESOURCE] = {[1] = M(KEY_VALUE), [2] = F(VARINT)},
    [SCOPE_SPANS] = {[1] = M(SCOPE), [2] = M(SPAN), [3] = F(STRING)},
    [SCOPE] = {[1] = F(STRING), [2] = F(STRING), [3] = M(KEY_VALUE), [4] = F(VARINT)},
    [SPAN] = {[1] = F(ID16), [2] = F(ID8), [3] = F(STRING), [4] = F(ID8), [5] = F(STRING),
              [6] = F(VARINT), [7] = F(FIXED64), [8] = F(FIXED64), [9] = M(KEY_VALUE),
              [10] = F(VARINT), [11] = M(EVENT), [12] = F(VARINT), [13] = M(LINK),
              [14] = F(VARINT), [15] = M(STATUS), [16] = F(FIXED32)},
    [EVENT] = {[1] = F(FIXED64), [2] = F(STRING), [3] = M(KEY_VALUE), [4] = F(VARINT)},
    [LINK] = {[1] = F(ID16), [2] = F(ID8), [3] = F(STRING), [4] = M(KEY_VALUE), [5] = F(VARINT),
              [6] = F(FIXED32)},
    [STATUS] = {[2] = F(STRING), [3] = F(VARINT)},
    [KEY_VALUE] = {[1] = F(STRING), [2] = M(ANY_VALUE)},
    [ANY_VALUE] = {[1] = F(STRING), [2] = F(VARINT), [3] = F(VARINT), [4] = F(FIXED64),
                   [5] = M(ARRAY_VALUE), [6] = M(KEY_VALUE_LIST), [7] = F(BYTES)},
    [ARRAY_VALUE] = {[1] = M(ANY_VALUE)},
    [KEY_VALUE_LIST] = {[1] = M(KEY_VALUE)},
};

static int read_varint_slow(const uint8_t **p, const uint8_t *end, uint64_t *value) {
    uint64_t result = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        if (*p == end) return 0;
        uint8_t byte = *(*p)++;
        if (shift == 63 && byte > 1) return 0; // beyond 64 bits
        result |= (uint64_t)(byte & 0x7f) << shift;
        if (byte < 0x80) {
            *value = result;
            return 1;
        }
    }
    return 0; // more than 10 bytes
}

// Most tags and lengths fit in one byte.
static inline __attribute__((always_inline)) int read_varint(const uint8_t **p, const uint8_t *end, uint64_t *value) {
    if (*p < end && **p < 0x80) {
        *value = *(*p)++;
        return 1;
    }
    return read_varint_slow(p, end, value);
}

// RFC 3629 UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF.
static int is_utf8(const uint8_t *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        if (n - i >= 8) {
            uint64_t chunk;
            memcpy(&chunk, s + i, 8);
            if ((chunk & 0x8080808080808080ull) == 0) {
                i += 8;
                continue;
            }
        }
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t extra;
        uint8_t low = 0x80, high = 0xbf; // allowed range of the second byte
        if (c >= 0xc2 && c <= 0xdf) {
            extra = 1;
        } else if (c >= 0xe0 && c <= 0xef) {
            extra = 2;
            if (c == 0xe0) low = 0xa0;
            if (c == 0xed) high = 0x9f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            extra = 3;
            if (c == 0xf0) low = 0x90;
            if (c == 0xf4) high = 0x8f;
        } else {
            return 0;
        }
        if (n - i <= extra) return 0;
        if (s[i + 1] < low || s[i + 1] > high) return 0;
        for (size_t k = 2; k <= extra; k++) {
            if ((s[i + k] & 0xc0) != 0x80) return 0;
        }
        i += extra + 1;
    }
    return 1;
}

static int scan_message(const uint8_t *p, const uint8_t *end, int message, int depth, uint64_t *spans) {
    if (depth > MAX_DEPTH) return 0;
    static const field unknown = {UNKNOWN, 0};
    while (p < end) {
        uint64_t key;
        if (!read_varint(&p, end, &key)) return 0;
        uint64_t number = key >> 3;
        if (number == 0 || number > 536870911u) return 0;
        const field *f = number <= MAX_FIELD ? &schema[message][number] : &unknown;
        switch (key & 7) {
        case 0: {
            uint64_t ignored;
            if (!read_varint(&p, end, &ignored)) return 0;
            if (f->kind != UNKNOWN && f->kind != VARINT) return 0;
            break;
        }
        case 1:
            if (end - p < 8) return 0;
            p += 8;
            if (f->kind != UNKNOWN && f->kind != FIXED64) return 0;
            break;
        case 5:
            if (end - p < 4) return 0;
            p += 4;
            if (f->kind != UNKNOWN && f->kind != FIXED32) return 0;
            break;
        case 2: {
            uint64_t length;
            if (!read_varint(&p, end, &length) || length > (uint64_t)(end - p)) return 0;
            const uint8_t *body = p;
            p += length;
            switch (f->kind) {
            case UNKNOWN:
            case BYTES:
                break;
            case STRING:
                if (!is_utf8(body, (size_t)length)) return 0;
                break;
            case ID16:
                if (length != 0 && length != 16) return 0;
                break;
            case ID8:
                if (length != 0 && length != 8) return 0;
                break;
            case MESSAGE:
                if (!scan_message(body, p, f->message, depth + 1, spans)) return 0;
                if (message == SCOPE_SPANS && number == 2) (*spans)++;
                break;
            default:
                return 0; // a length-delimited value where the schema has a scalar
            }
            break;
        }
        default:
            return 0; // groups (3, 4) and undefined wire types
        }
    }
    return 1;
}

int cgrpc_otlp_scan_request(const uint8_t *data, size_t len, uint64_t *spans) {
    uint64_t count = 0;
    if (len == 0) { // an empty request is valid; data may be NULL
        *spans = 0;
        return 1;
    }
    if (!scan_message(data, data + len, REQUEST, 0, &count)) return 0;
    *spans = count;
    return 1;
}

// The protobuf-c descriptor of each message of the schema.
static const ProtobufCMessageDescriptor *const descriptors[MESSAGE_COUNT] = {
    [REQUEST] = &opentelemetry__proto__collector__trace__v1__export_trace_service_request__descriptor,
    [RESOURCE_SPANS] = &opentelemetry__proto__trace__v1__resource_spans__descriptor,
    [RESOURCE] = &opentelemetry__proto__resource__v1__resource__descriptor,
    [SCOPE_SPANS] = &opentelemetry__proto__trace__v1__scope_spans__descriptor,
    [SCOPE] = &opentelemetry__proto__common__v1__instrumentation_scope__descriptor,
    [SPAN] = &opentelemetry__proto__trace__v1__span__descriptor,
    [EVENT] = &opentelemetry__proto__trace__v1__span__event__descriptor,
    [LINK] = &opentelemetry__proto__trace__v1__span__link__descriptor,
    [STATUS] = &opentelemetry__proto__trace__v1__status__descriptor,
    [KEY_VALUE] = &opentelemetry__proto__common__v1__key_value__descriptor,
    [ANY_VALUE] = &opentelemetry__proto__common__v1__any_value__descriptor,
    [ARRAY_VALUE] = &opentelemetry__proto__common__v1__array_value__descriptor,
    [KEY_VALUE_LIST] = &opentelemetry__proto__common__v1__key_value_list__descriptor,
};

// Whether a schema entry reads the wire type and payload of a declared field.
static int entry_matches(field entry, const ProtobufCFieldDescriptor *declared) {
    switch (declared->type) {
    case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_SINT32: case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_BOOL: case PROTOBUF_C_TYPE_ENUM:
        return entry.kind == VARINT;
    case PROTOBUF_C_TYPE_FIXED64: case PROTOBUF_C_TYPE_SFIXED64: case PROTOBUF_C_TYPE_DOUBLE:
        return entry.kind == FIXED64;
    case PROTOBUF_C_TYPE_FIXED32: case PROTOBUF_C_TYPE_SFIXED32: case PROTOBUF_C_TYPE_FLOAT:
        return entry.kind == FIXED32;
    case PROTOBUF_C_TYPE_STRING:
        return entry.kind == STRING;
    case PROTOBUF_C_TYPE_BYTES: // ids are bytes with a length check
        if (strcmp(declared->name, "trace_id") == 0) return entry.kind == ID16;
        if (strcmp(declared->name, "span_id") == 0 || strcmp(declared->name, "parent_span_id") == 0) {
            return entry.kind == ID8;
        }
        return entry.kind == BYTES;
    case PROTOBUF_C_TYPE_MESSAGE:
        return entry.kind == MESSAGE && descriptors[entry.message] == declared->descriptor;
    }
    return 0;
}

size_t cgrpc_otlp_scan_schema_check(size_t *mismatches) {
    size_t compared = 0;
    *mismatches = 0;
    for (int message = 0; message < MESSAGE_COUNT; message++) {
        const ProtobufCMessageDescriptor *descriptor = descriptors[message];
        for (unsigned i = 0; i < descriptor->n_fields; i++) {
            const ProtobufCFieldDescriptor *declared = &descriptor->fields[i];
            compared++;
            if (declared->id > MAX_FIELD || !entry_matches(schema[message][declared->id], declared)) ++*mismatches;
        }
        for (unsigned number = 1; number <= MAX_FIELD; number++) {
            if (schema[message][number].kind == UNKNOWN) continue;
            compared++;
            if (!protobuf_c_message_descriptor_get_field(descriptor, number)) ++*mismatches;
        }
    }
    return compared;
}
