#include "cgrpc_channel.h"

#include <grpc/grpc_security.h>
#include <grpc/impl/codegen/compression_types.h>
#include <stdio.h>
#include <string.h>

static const char *kRoundRobinConfig = "{\"loadBalancingConfig\":[{\"round_robin\":{}}]}";

static void set_int(grpc_arg *arg, const char *key, int value) {
    arg->type = GRPC_ARG_INTEGER;
    arg->key = (char *)key;
    arg->value.integer = value;
}

static void set_string(grpc_arg *arg, const char *key, const char *value) {
    arg->type = GRPC_ARG_STRING;
    arg->key = (char *)key;
    arg->value.string = (char *)value;
}

grpc_channel *cgrpc_channel_create(const cgrpc_channel_options *o, char *error, size_t error_len) {
    grpc_channel_credentials *creds;
    if (o->use_tls) {
        grpc_ssl_pem_key_cert_pair pair = {o->client_key_pem, o->client_cert_pem};
        int mtls = o->client_key_pem != NULL && o->client_cert_pem != NULL;
        creds = grpc_ssl_credentials_create(o->root_certs_pem, mtls ? &pair : NULL, NULL, NULL);
    } else {
        creds = grpc_insecure_credentials_create();
    }
    if (creds == NULL) {
        snprintf(error, error_len, "gRPC refused the %s credentials", o->use_tls ? "TLS" : "insecure");
        return NULL;
    }

    grpc_arg args[8];
    size_t n = 0;
    set_string(&args[n++], GRPC_ARG_PRIMARY_USER_AGENT_STRING, o->user_agent ? o->user_agent : "");
    set_int(&args[n++], GRPC_ARG_MAX_SEND_MESSAGE_LENGTH, o->max_send_bytes);
    if (o->gzip) set_int(&args[n++], GRPC_COMPRESSION_CHANNEL_DEFAULT_ALGORITHM, GRPC_COMPRESS_GZIP);
    if (o->round_robin) set_string(&args[n++], GRPC_ARG_SERVICE_CONFIG, kRoundRobinConfig);
    if (o->reconnect_backoff_ms > 0) {
        set_int(&args[n++], GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, o->reconnect_backoff_ms);
        set_int(&args[n++], GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, o->reconnect_backoff_ms);
    }
    if (o->max_reconnect_backoff_ms > 0)
        set_int(&args[n++], GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, o->max_reconnect_backoff_ms);
    grpc_channel_args channel_args = {n, args};

    grpc_channel *channel = grpc_channel_create(o->target, creds, &channel_args);
    grpc_channel_credentials_release(creds);
    if (channel == NULL) snprintf(error, error_len, "gRPC could not create a channel to '%s'", o->target);
    return channel;
}

const char *cgrpc_connectivity_state_name(grpc_connectivity_state state) {
    switch (state) {
    case GRPC_CHANNEL_IDLE: return "IDLE";
    case GRPC_CHANNEL_CONNECTING: return "CONNECTING";
    case GRPC_CHANNEL_READY: return "READY";
    case GRPC_CHANNEL_TRANSIENT_FAILURE: return "TRANSIENT_FAILURE";
    case GRPC_CHANNEL_SHUTDOWN: return "SHUTDOWN";
    }
    return "UNKNOWN";
}
