#!/usr/bin/env python3
"""Self-test for scripts/otlp_receiver.py (plain python, exits non-zero on failure).

    /work/main/.venv/bin/python scripts/test_otlp_receiver.py

Starts the receiver as a subprocess in several modes and talks to it with a
real grpcio client on 127.0.0.1.
"""

import os

os.environ.setdefault("GRPC_VERBOSITY", "ERROR")  # before grpc is imported

import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from opentelemetry.proto.common.v1 import common_pb2
from opentelemetry.proto.resource.v1 import resource_pb2
from opentelemetry.proto.trace.v1 import trace_pb2

HERE = os.path.dirname(os.path.abspath(__file__))
RECEIVER = os.path.join(HERE, "otlp_receiver.py")
PY = sys.executable
TMP = tempfile.mkdtemp(prefix="otlp_receiver_test_")

TRACE_ID = bytes(range(1, 17))
SPAN_ID = bytes(range(0x11, 0x19))
PARENT_ID = bytes([0xAB, 0xCD, 0xEF, 0, 1, 2, 3, 0xFF])
LINK_TRACE = bytes([0xFE] * 16)
LINK_SPAN = bytes([0x0A] * 8)
T0 = 1700000000123456789  # > 2^53: must round-trip exactly
INT_ATTR = -9223372036854775807
BYTES_ATTR = b"\x00\x01\xfe\xff"


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


class Receiver:
    def __init__(self, *args, name="r"):
        self.log = open(os.path.join(TMP, name + ".stderr"), "w")
        self.proc = subprocess.Popen(
            [PY, RECEIVER, *args],
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
        )
        line = self._readline(10)
        assert line.startswith("LISTENING "), "unexpected first line %r" % line
        self.port = int(line.split()[1])
        assert self.port > 0

    def _readline(self, timeout):
        box = []
        t = threading.Thread(target=lambda: box.append(self.proc.stdout.readline()), daemon=True)
        t.start()
        t.join(timeout)
        if not box:
            raise AssertionError("receiver did not print LISTENING in time")
        return box[0].rstrip("\n")

    def terminate(self, sig=signal.SIGTERM):
        """Sends sig, returns (exit code, seconds until exit)."""
        t0 = time.monotonic()
        self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("receiver did not exit within 5 s after %s" % sig)
        finally:
            self.log.close()
        return rc, time.monotonic() - t0

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def stub_for(port, creds=None, options=()):
    opts = [("grpc.enable_retries", 0), ("grpc.max_send_message_length", 64 << 20)]
    opts.extend(options)
    target = "127.0.0.1:%d" % port
    ch = grpc.secure_channel(target, creds, options=opts) if creds else grpc.insecure_channel(target, options=opts)
    return ch, trace_service_pb2_grpc.TraceServiceStub(ch)


def read_lines(path, expected, timeout=5.0):
    deadline = time.monotonic() + timeout
    while True:
        lines = []
        if os.path.exists(path):
            with open(path) as f:
                lines = [json.loads(l) for l in f if l.strip()]
        if len(lines) >= expected or time.monotonic() > deadline:
            assert len(lines) == expected, "expected %d lines, got %d" % (expected, len(lines))
            return sorted(lines, key=lambda d: d["seq"])
        time.sleep(0.02)


def kv(key, **value):
    return common_pb2.KeyValue(key=key, value=common_pb2.AnyValue(**value))


def full_request():
    span = trace_pb2.Span(
        trace_id=TRACE_ID,
        span_id=SPAN_ID,
        parent_span_id=PARENT_ID,
        trace_state="k=v",
        name="GET /items",
        kind=trace_pb2.Span.SPAN_KIND_CLIENT,
        start_time_unix_nano=T0,
        end_time_unix_nano=T0 + 1_500_000,
        flags=0x301,
        dropped_attributes_count=2,
        dropped_events_count=3,
        dropped_links_count=4,
        attributes=[
            kv("s", string_value="héllo \"quoted\""),
            kv("b", bool_value=True),
            kv("i", int_value=INT_ATTR),
            kv("d", double_value=3.25),
            kv("sa", array_value=common_pb2.ArrayValue(values=[
                common_pb2.AnyValue(string_value="a"), common_pb2.AnyValue(string_value="b")])),
            kv("by", bytes_value=BYTES_ATTR),
            kv("kv", kvlist_value=common_pb2.KeyValueList(values=[
                kv("inner.i", int_value=T0), kv("inner.s", string_value="x")])),
        ],
        events=[trace_pb2.Span.Event(
            time_unix_nano=T0 + 1000, name="exception",
            attributes=[kv("exception.type", string_value="E")], dropped_attributes_count=1)],
        links=[trace_pb2.Span.Link(
            trace_id=LINK_TRACE, span_id=LINK_SPAN, trace_state="lk=lv",
            attributes=[kv("link.i", int_value=7)], flags=0x100)],
        status=trace_pb2.Status(code=trace_pb2.Status.STATUS_CODE_ERROR, message="boom"),
    )
    req = trace_service_pb2.ExportTraceServiceRequest()
    rs = req.resource_spans.add(
        resource=resource_pb2.Resource(attributes=[kv("service.name", string_value="svc")]),
        schema_url="https://opentelemetry.io/schemas/1.21.0",
    )
    ss = rs.scope_spans.add(scope=common_pb2.InstrumentationScope(name="lib", version="1.0"))
    ss.spans.append(span)
    return req


def simple_request(nspans, name="s", pad=0):
    req = trace_service_pb2.ExportTraceServiceRequest()
    ss = req.resource_spans.add().scope_spans.add()
    for i in range(nspans):
        ss.spans.add(trace_id=TRACE_ID, span_id=(i + 1).to_bytes(8, "big"),
                     name=name + ("x" * pad), start_time_unix_nano=T0 + i)
    return req


EXPECTED_SPAN = {
    "trace_id": TRACE_ID.hex(),
    "span_id": SPAN_ID.hex(),
    "parent_span_id": PARENT_ID.hex(),
    "trace_state": "k=v",
    "name": "GET /items",
    "kind": "SPAN_KIND_CLIENT",
    "start_time_unix_nano": T0,
    "end_time_unix_nano": T0 + 1_500_000,
    "flags": 0x301,
    "dropped_attributes_count": 2,
    "dropped_events_count": 3,
    "dropped_links_count": 4,
    "attributes": [
        {"key": "s", "value": {"string_value": "héllo \"quoted\""}},
        {"key": "b", "value": {"bool_value": True}},
        {"key": "i", "value": {"int_value": INT_ATTR}},
        {"key": "d", "value": {"double_value": 3.25}},
        {"key": "sa", "value": {"array_value": {"values": [
            {"string_value": "a"}, {"string_value": "b"}]}}},
        {"key": "by", "value": {"bytes_value": base64.b64encode(BYTES_ATTR).decode()}},
        {"key": "kv", "value": {"kvlist_value": {"values": [
            {"key": "inner.i", "value": {"int_value": T0}},
            {"key": "inner.s", "value": {"string_value": "x"}}]}}},
    ],
    "events": [{"time_unix_nano": T0 + 1000, "name": "exception",
                "attributes": [{"key": "exception.type", "value": {"string_value": "E"}}],
                "dropped_attributes_count": 1}],
    "links": [{"trace_id": LINK_TRACE.hex(), "span_id": LINK_SPAN.hex(), "trace_state": "lk=lv",
               "attributes": [{"key": "link.i", "value": {"int_value": 7}}], "flags": 0x100}],
    "status": {"code": "STATUS_CODE_ERROR", "message": "boom"},
}

EXPECTED_REQUEST = {"resource_spans": [{
    "resource": {"attributes": [{"key": "service.name", "value": {"string_value": "svc"}}]},
    "scope_spans": [{"scope": {"name": "lib", "version": "1.0"}, "spans": [EXPECTED_SPAN]}],
    "schema_url": "https://opentelemetry.io/schemas/1.21.0",
}]}


def expect_rpc_error(fn, code):
    try:
        fn()
    except grpc.RpcError as e:
        assert e.code() == code, "expected %s, got %s (%s)" % (code, e.code(), e.details())
        return e
    raise AssertionError("expected RpcError %s, call succeeded" % code)


# --------------------------------------------------------------------------
# tests
# --------------------------------------------------------------------------


def test_record_full_request():
    out = os.path.join(TMP, "record.jsonl")
    r = Receiver("--out", out, name="record")
    try:
        ch, stub = stub_for(r.port)
        md = (("x-api-key", "secret"), ("x-trace-bin", b"\x00\xff\x10"))
        resp, call = stub.Export.with_call(full_request(), metadata=md, timeout=5)
        assert resp == trace_service_pb2.ExportTraceServiceResponse(), resp
        assert not resp.HasField("partial_success")
        stub.Export(full_request(), compression=grpc.Compression.Gzip, timeout=5)
        stub.Export(simple_request(200, pad=50), compression=grpc.Compression.Deflate, timeout=5)
        # garbage payload -> INVALID_ARGUMENT, still recorded
        raw = ch.unary_unary("/opentelemetry.proto.collector.trace.v1.TraceService/Export",
                             request_serializer=lambda b: b, response_deserializer=lambda b: b)
        expect_rpc_error(lambda: raw(b"\xff\xff\xff", timeout=5), grpc.StatusCode.INVALID_ARGUMENT)
        ch.close()
        lines = read_lines(out, 4)
    finally:
        rc, dt = r.terminate()
    assert rc == 0 and dt < 1.0, (rc, dt)

    l1, l2, l3, l4 = lines
    print("    example line:", json.dumps(l1, ensure_ascii=False))
    assert l1["seq"] == 1 and l1["outcome"] == "ok", l1
    assert l1["request"] == EXPECTED_REQUEST, json.dumps(l1["request"], indent=1)
    assert l1["metadata"]["x-api-key"] == "secret", l1["metadata"]
    assert l1["metadata"]["x-trace-bin"] == "00ff10", l1["metadata"]
    assert "user-agent" in l1["metadata"]
    assert l1["compressed"] is False and l1["encoding"] == "identity"
    assert l1["size_bytes"] == full_request().ByteSize() == l1["wire_bytes"], l1
    assert l1["client_cert"] is False and l1["client_active"] is True
    # same request, gzip-compressed on the wire
    assert l2["seq"] == 2 and l2["outcome"] == "ok"
    assert l2["request"] == EXPECTED_REQUEST
    assert l2["compressed"] is True and l2["encoding"] == "gzip", l2
    assert l2["wire_bytes"] != l2["size_bytes"] == l1["size_bytes"], l2
    assert "grpc-encoding" not in l2["metadata"], l2["metadata"]
    # deflate
    assert l3["compressed"] is True and l3["encoding"] == "deflate", l3
    assert l3["wire_bytes"] < l3["size_bytes"]
    assert len(l3["request"]["resource_spans"][0]["scope_spans"][0]["spans"]) == 200
    # undecodable
    assert l4["outcome"] == "INVALID_ARGUMENT" and l4["request"] is None, l4
    # exact key set (shape is documented)
    assert set(l1) == {"seq", "outcome", "metadata", "compressed", "encoding", "wire_bytes",
                       "size_bytes", "client_cert", "delay_ms", "client_active", "request"}, set(l1)


def test_record_to_stdout_and_large():
    r = Receiver("--max-receive-mb", "16", name="stdout")
    try:
        ch, stub = stub_for(r.port)
        big = simple_request(5000, pad=1000)  # ~5 MiB
        assert big.ByteSize() > 4 * 1024 * 1024
        box = []  # read concurrently: the line (~6 MB) is larger than the pipe buffer
        reader = threading.Thread(target=lambda: box.append(r.proc.stdout.readline()), daemon=True)
        reader.start()
        stub.Export(big, timeout=20)
        reader.join(10)
        line = json.loads(box[0])
        assert line["seq"] == 1 and line["outcome"] == "ok"
        assert line["size_bytes"] == big.ByteSize(), (line["size_bytes"], big.ByteSize())
        spans = line["request"]["resource_spans"][0]["scope_spans"][0]["spans"]
        assert len(spans) == 5000 and spans[4999]["start_time_unix_nano"] == T0 + 4999
        assert spans[0]["span_id"] == "0000000000000001"
        ch.close()
    finally:
        rc, dt = r.terminate(signal.SIGINT)
    assert rc == 0 and dt < 1.0, (rc, dt)


def test_max_receive():
    r = Receiver("--max-receive-mb", "1", "--out", os.path.join(TMP, "max.jsonl"), name="max")
    try:
        ch, stub = stub_for(r.port)
        expect_rpc_error(lambda: stub.Export(simple_request(2000, pad=1000), timeout=10),
                         grpc.StatusCode.RESOURCE_EXHAUSTED)
        # compressible 2 MiB: small on the wire, rejected after inflating
        expect_rpc_error(lambda: stub.Export(simple_request(2000, pad=1000), timeout=10,
                                             compression=grpc.Compression.Gzip),
                         grpc.StatusCode.RESOURCE_EXHAUSTED)
        stub.Export(simple_request(1), timeout=5)
        ch.close()
        lines = read_lines(os.path.join(TMP, "max.jsonl"), 2)
        assert [l["outcome"] for l in lines] == ["RESOURCE_EXHAUSTED", "ok"], lines
    finally:
        rc, _ = r.terminate()
    assert rc == 0


def test_fail_unavailable():
    out = os.path.join(TMP, "unavail.jsonl")
    r = Receiver("--out", out, "--fail-unavailable", "2", name="unavail")
    try:
        ch, stub = stub_for(r.port)
        for _ in range(2):
            expect_rpc_error(lambda: stub.Export(simple_request(1), timeout=5),
                             grpc.StatusCode.UNAVAILABLE)
        stub.Export(simple_request(1), timeout=5)
        stub.Export(simple_request(1), timeout=5)
        ch.close()
        lines = read_lines(out, 4)
    finally:
        rc, _ = r.terminate()
    assert rc == 0
    assert [l["outcome"] for l in lines] == ["UNAVAILABLE", "UNAVAILABLE", "ok", "ok"], lines
    assert all(l["request"] is not None for l in lines)


def _retry_info_case(form):
    out = os.path.join(TMP, "re_%s.jsonl" % form)
    args = ["--out", out, "--resource-exhausted-retry-ms", "1500", "--fail-count", "2"]
    if form:
        args += ["--retry-info-form", form]
    r = Receiver(*args, name="re_%s" % form)
    try:
        ch, stub = stub_for(r.port)
        for _ in range(2):
            err = expect_rpc_error(lambda: stub.Export(simple_request(1), timeout=5),
                                   grpc.StatusCode.RESOURCE_EXHAUSTED)
            trailers = dict(err.trailing_metadata())
            st = rpc_status.from_call(err)
            if form in (None, "both", "status"):
                assert st is not None, "no grpc-status-details-bin"
                assert st.code == grpc.StatusCode.RESOURCE_EXHAUSTED.value[0], st
                assert len(st.details) == 1 and st.details[0].Is(error_details_pb2.RetryInfo.DESCRIPTOR)
                ri = error_details_pb2.RetryInfo()
                st.details[0].Unpack(ri)
                assert ri.retry_delay.ToMilliseconds() == 1500, ri
                assert ri.retry_delay.seconds == 1 and ri.retry_delay.nanos == 500_000_000
            else:
                assert st is None and "grpc-status-details-bin" not in trailers
            if form in (None, "both", "trailer"):
                ri2 = error_details_pb2.RetryInfo.FromString(trailers["google.rpc.retryinfo-bin"])
                assert ri2.retry_delay.ToMilliseconds() == 1500, ri2
            else:
                assert "google.rpc.retryinfo-bin" not in trailers, trailers
        stub.Export(simple_request(1), timeout=5)
        ch.close()
        lines = read_lines(out, 3)
    finally:
        rc, _ = r.terminate()
    assert rc == 0
    assert [l["outcome"] for l in lines] == ["RESOURCE_EXHAUSTED", "RESOURCE_EXHAUSTED", "ok"]


def test_resource_exhausted_retry_info():
    for form in (None, "both", "status", "trailer"):
        _retry_info_case(form)


def test_fail_code():
    out = os.path.join(TMP, "failcode.jsonl")
    r = Receiver("--out", out, "--fail-code", "INVALID_ARGUMENT", name="failcode")
    try:
        ch, stub = stub_for(r.port)
        for _ in range(3):
            err = expect_rpc_error(lambda: stub.Export(simple_request(1), timeout=5),
                                   grpc.StatusCode.INVALID_ARGUMENT)
            assert err.details() == "scripted failure", err.details()
            assert rpc_status.from_call(err) is None
        ch.close()
        lines = read_lines(out, 3)
    finally:
        r.terminate()
    assert all(l["outcome"] == "INVALID_ARGUMENT" for l in lines)

    out = os.path.join(TMP, "failcode2.jsonl")
    r = Receiver("--out", out, "--fail-code", "resource_exhausted", "--fail-count", "1", name="fc2")
    try:
        ch, stub = stub_for(r.port)
        err = expect_rpc_error(lambda: stub.Export(simple_request(1), timeout=5),
                               grpc.StatusCode.RESOURCE_EXHAUSTED)
        assert rpc_status.from_call(err) is None
        assert "google.rpc.retryinfo-bin" not in dict(err.trailing_metadata())
        stub.Export(simple_request(1), timeout=5)
        ch.close()
        lines = read_lines(out, 2)
    finally:
        r.terminate()
    assert [l["outcome"] for l in lines] == ["RESOURCE_EXHAUSTED", "ok"]


def test_partial_success():
    out = os.path.join(TMP, "partial.jsonl")
    r = Receiver("--out", out, "--partial-success", "3", "--partial-message", "3 spans dropped",
                 name="partial")
    try:
        ch, stub = stub_for(r.port)
        resp = stub.Export(simple_request(5), timeout=5)
        assert resp.HasField("partial_success")
        assert resp.partial_success.rejected_spans == 3
        assert resp.partial_success.error_message == "3 spans dropped"
        ch.close()
        lines = read_lines(out, 1)
    finally:
        r.terminate()
    assert lines[0]["outcome"] == "ok"


def test_delay_and_sigterm_fast():
    out = os.path.join(TMP, "delay.jsonl")
    r = Receiver("--out", out, "--delay-ms", "400", name="delay")
    try:
        ch, stub = stub_for(r.port)
        expect_rpc_error(lambda: stub.Export(simple_request(1), timeout=0.15),
                         grpc.StatusCode.DEADLINE_EXCEEDED)
        t0 = time.monotonic()
        stub.Export(simple_request(1), timeout=5)
        assert time.monotonic() - t0 >= 0.38
        lines = read_lines(out, 2)
        assert lines[0]["client_active"] is False and lines[0]["delay_ms"] == 400, lines[0]
        assert lines[1]["client_active"] is True
        # a request is in flight (sleeping) when SIGTERM arrives
        fut = stub.Export.future(simple_request(1), timeout=5)
        time.sleep(0.1)
        rc, dt = r.terminate()
        assert rc == 0 and dt < 1.0, (rc, dt)
        try:
            fut.result()
        except grpc.RpcError:
            pass
        ch.close()
    finally:
        r.kill()


def test_count_only():
    rep = os.path.join(TMP, "report.json")
    r = Receiver("--count-only", "--report-file", rep, name="count")
    try:
        with open(rep) as f:
            first = json.load(f)
        assert first["requests"] == 0 and first["spans"] == 0, first
        ch, stub = stub_for(r.port)
        sizes = [1, 7, 100, 512, 3, 1000] * 20
        expected = sum(sizes)
        reqs = [simple_request(n) for n in sizes]
        futs = [stub.Export.future(q, timeout=10,
                                   compression=grpc.Compression.Gzip if i % 2 else None)
                for i, q in enumerate(reqs)]
        for fu in futs:
            fu.result()
        deadline = time.monotonic() + 3
        while True:
            with open(rep) as f:
                got = json.load(f)
            if got["spans"] == expected or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        assert got["spans"] == expected and got["requests"] == len(sizes), (got, expected)
        assert got["failed_requests"] == 0 and got["cpu_seconds"] > 0, got
        assert set(got) == {"requests", "spans", "failed_requests", "cpu_seconds"}
        print("    count-only report:", json.dumps(got))
        # SIGUSR1 forces a rewrite (cpu_seconds may change, counts not)
        os.remove(rep)
        r.proc.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + 2
        while not os.path.exists(rep) and time.monotonic() < deadline:
            time.sleep(0.02)
        with open(rep) as f:
            assert json.load(f)["spans"] == expected
        os.remove(rep)
        ch.close()
        rc, dt = r.terminate()
        assert rc == 0 and dt < 1.0, (rc, dt)
        with open(rep) as f:
            final = json.load(f)
        assert final["spans"] == expected and final["requests"] == len(sizes), final
        assert not [n for n in os.listdir(TMP) if n.startswith("report.json.tmp")]
    finally:
        r.kill()


def test_count_only_stdout_and_faults():
    r = Receiver("--count-only", "--fail-unavailable", "1", name="count2")
    try:
        ch, stub = stub_for(r.port)
        expect_rpc_error(lambda: stub.Export(simple_request(10), timeout=5), grpc.StatusCode.UNAVAILABLE)
        stub.Export(simple_request(10), timeout=5)
        ch.close()
        r.proc.send_signal(signal.SIGUSR1)
        rep = json.loads(r._readline(5))
        assert rep["requests"] == 2 and rep["spans"] == 10 and rep["failed_requests"] == 1, rep
        r.proc.send_signal(signal.SIGTERM)
        final = json.loads(r._readline(5))
        assert final["spans"] == 10, final
        assert r.proc.wait(5) == 0
    finally:
        r.kill()


def _openssl(*args):
    subprocess.run(["openssl", *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def make_certs(d):
    ca_key, ca = os.path.join(d, "ca.key"), os.path.join(d, "ca.pem")
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out", ca,
             "-days", "2", "-subj", "/CN=test-ca")
    out = {"ca": ca}
    for name, ext in (("server", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth"),
                      ("client", "extendedKeyUsage=clientAuth")):
        key, csr, pem = (os.path.join(d, name + s) for s in (".key", ".csr", ".pem"))
        extfile = os.path.join(d, name + ".ext")
        with open(extfile, "w") as f:
            f.write(ext + "\n")
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr,
                 "-subj", "/CN=%s" % name)
        _openssl("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
                 "-out", pem, "-days", "2", "-extfile", extfile)
        out[name] = (key, pem)
    return out


def test_tls_and_mtls():
    if not shutil.which("openssl"):
        print("    (skipped: no openssl)")
        return
    d = os.path.join(TMP, "certs")
    os.makedirs(d)
    c = make_certs(d)
    rd = lambda p: open(p, "rb").read()
    skey, scert = c["server"]
    ckey, ccert = c["client"]

    # TLS only
    out = os.path.join(TMP, "tls.jsonl")
    r = Receiver("--out", out, "--tls-cert", scert, "--tls-key", skey, name="tls")
    try:
        ch, stub = stub_for(r.port, grpc.ssl_channel_credentials(rd(c["ca"])))
        stub.Export(full_request(), timeout=5)
        ch.close()
        # plaintext client against TLS server fails
        ch, stub = stub_for(r.port)
        expect_rpc_error(lambda: stub.Export(simple_request(1), timeout=2), grpc.StatusCode.UNAVAILABLE)
        ch.close()
        lines = read_lines(out, 1)
    finally:
        r.terminate()
    assert lines[0]["client_cert"] is False and lines[0]["request"] == EXPECTED_REQUEST

    # mTLS
    out = os.path.join(TMP, "mtls.jsonl")
    r = Receiver("--out", out, "--tls-cert", scert, "--tls-key", skey, "--client-ca", c["ca"],
                 name="mtls")
    try:
        creds = grpc.ssl_channel_credentials(rd(c["ca"]), rd(ckey), rd(ccert))
        ch, stub = stub_for(r.port, creds)
        stub.Export(full_request(), timeout=5)
        ch.close()
        # no client cert -> handshake rejected
        ch, stub = stub_for(r.port, grpc.ssl_channel_credentials(rd(c["ca"])))
        expect_rpc_error(lambda: stub.Export(simple_request(1), timeout=2), grpc.StatusCode.UNAVAILABLE)
        ch.close()
        lines = read_lines(out, 1)
    finally:
        rc, dt = r.terminate()
    assert rc == 0 and dt < 1.0
    assert lines[0]["client_cert"] is True and lines[0]["outcome"] == "ok", lines[0]


def test_bad_args_and_port_in_use():
    p = subprocess.run([PY, RECEIVER, "--fail-code", "NOPE"], capture_output=True, text=True, timeout=10)
    assert p.returncode != 0 and p.stdout == ""
    r = Receiver("--out", os.path.join(TMP, "busy.jsonl"), name="busy")
    try:
        p = subprocess.run([PY, RECEIVER, "--port", str(r.port)], capture_output=True, text=True, timeout=10)
        assert p.returncode == 2 and "LISTENING" not in p.stdout, (p.returncode, p.stdout, p.stderr)
    finally:
        r.terminate()


TESTS = [
    test_record_full_request,
    test_record_to_stdout_and_large,
    test_max_receive,
    test_fail_unavailable,
    test_resource_exhausted_retry_info,
    test_fail_code,
    test_partial_success,
    test_delay_and_sigterm_fast,
    test_count_only,
    test_count_only_stdout_and_faults,
    test_tls_and_mtls,
    test_bad_args_and_port_in_use,
]


def main():
    failed = 0
    for t in TESTS:
        t0 = time.monotonic()
        try:
            t()
            print("PASS %s (%.2fs)" % (t.__name__, time.monotonic() - t0), flush=True)
        except Exception:
            failed += 1
            print("FAIL %s" % t.__name__, flush=True)
            traceback.print_exc()
    print("%d/%d passed (logs in %s)" % (len(TESTS) - failed, len(TESTS), TMP))
    if not failed:
        shutil.rmtree(TMP, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
