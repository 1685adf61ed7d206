// A validating, allocation-free decoder of OTLP ExportTraceServiceRequest wire bytes.
//
// It walks every field of every message of the OTLP v1 trace schema (request, resource spans,
// resource, scope spans, scope, span, event, link, status, key/value, any value, array, key/value
// list): every tag, wire type, varint, length and fixed-width value is read and checked against the
// schema, every string is checked to be UTF-8 (as proto3 requires), nested messages are descended
// into (at most 64 deep), and unknown fields are skipped by their wire type (groups, deprecated since
// proto2, are refused, as protobuf-c refuses them). Nothing is materialised: it is the decoding half
// of a receiver that only needs to count.
#ifndef CGRPC_OTLP_SCAN_H
#define CGRPC_OTLP_SCAN_H

#include <stddef.h>
#include <stdint.h>

/// Decodes `len` bytes as an ExportTraceServiceRequest. Returns 1 and stores the number of spans
/// in `*spans` if the bytes are a valid request; returns 0 if they are not.
int cgrpc_otlp_scan_request(const uint8_t *data, size_t len, uint64_t *spans);

/// Compares the decoder's schema with protobuf-c's generated descriptors of the same messages:
/// each declared field must be read with its wire type (and nested message), and each field of the
/// schema must be declared. Returns the number of comparisons made; stores how many failed in
/// `*mismatches`.
size_t cgrpc_otlp_scan_schema_check(size_t *mismatches);

#endif
