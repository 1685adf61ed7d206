// Umbrella header of the CGRPC module: gRPC core, protobuf-c, the generated OTLP messages and
// the small C helpers that keep gRPC's operation batches out of Swift.
#ifndef CGRPC_H
#define CGRPC_H

#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/slice.h>
#include <grpc/status.h>
#include <grpc/support/time.h>
#include <grpc/support/alloc.h>
#include <protobuf-c/protobuf-c.h>

#include "opentelemetry/proto/collector/trace/v1/trace_service.pb-c.h"
#include "google/rpc/status.pb-c.h"
#include "google/rpc/error_details.pb-c.h"

#include "cgrpc_channel.h"
#include "cgrpc_unary_call.h"
#include "cgrpc_otlp_scan.h"
#include "cgrpc_clock.h"
#include "cgrpc_random.h"
#include "cgrpc_log.h"

#endif
