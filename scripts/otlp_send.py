#!/usr/bin/env python3
"""Sends to an OTLP/gRPC receiver, for the receiver's tests.

  otlp_send.py sdk ENDPOINT     a small trace through the OpenTelemetry Python SDK's OTLP/gRPC
                                exporter; prints the spans sent, as OTLP/JSON (one span per line:
                                camelCase keys, hex ids, enums as integers)
  otlp_send.py raw TARGET HEX   one Export call whose message is the bytes HEX (not protobuf-
                                checked); prints the status code name and its details
  otlp_send.py raw TARGET zeros:N   the same with N zero bytes
"""
import base64
import json
import sys


def otlp_json(span_message):
    """A protobuf Span as OTLP/JSON: the protobuf JSON mapping, but ids in hex and enums as integers."""
    from google.protobuf.json_format import MessageToDict

    span = MessageToDict(span_message, use_integers_for_enums=True)
    for owner in [span] + span.get("links", []):
        for key in ("traceId", "spanId", "parentSpanId"):
            if key in owner:
                owner[key] = base64.b64decode(owner[key]).hex()
    return span


def send_with_sdk(endpoint):
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from opentelemetry.trace import SpanKind, Status, StatusCode

    provider = TracerProvider(resource=Resource.create({"service.name": "python-sender"}))
    memory = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=endpoint, insecure=True)))
    tracer = provider.get_tracer("python.sender", "0.1.0")
    with tracer.start_as_current_span("invoke_agent python", kind=SpanKind.INTERNAL) as root:
        root.set_attribute("gen_ai.agent.name", "python")
        with tracer.start_as_current_span("chat gpt-test", kind=SpanKind.CLIENT) as chat:
            chat.set_attribute("gen_ai.request.model", "gpt-test")
            chat.set_attribute("gen_ai.usage.input_tokens", 12)
            chat.set_attribute("gen_ai.request.temperature", 0.25)
            chat.set_attribute("gen_ai.response.finish_reasons", ["stop"])
            chat.set_attribute("gen_ai.request.stream", False)
            chat.add_event("mellea.stream.first_chunk", {"index": 0})
        with tracer.start_as_current_span("execute_tool lookup") as tool:
            tool.set_attribute("gen_ai.tool.name", "lookup")
            tool.set_status(Status(StatusCode.ERROR, "tool failed"))
    provider.shutdown()
    request = encode_spans(memory.get_finished_spans())
    for resource_spans in request.resource_spans:
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                print(json.dumps(otlp_json(span)))


def send_raw(target, payload):
    import grpc

    if payload.startswith("zeros:"):
        data = bytes(int(payload[len("zeros:"):]))
    else:
        data = bytes.fromhex(payload)
    with grpc.insecure_channel(target, options=[("grpc.max_send_message_length", 64 * 1024 * 1024)]) as channel:
        call = channel.unary_unary("/opentelemetry.proto.collector.trace.v1.TraceService/Export",
                                   request_serializer=None, response_deserializer=None)
        try:
            call(data, timeout=10)
            print("OK")
        except grpc.RpcError as error:
            print(error.code().name, error.details())


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "sdk":
        send_with_sdk(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "raw":
        send_raw(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
