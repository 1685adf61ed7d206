#!/usr/bin/env python3
"""Scriptable OTLP/gRPC trace receiver for tests and benchmarks.

Serves ``opentelemetry.proto.collector.trace.v1.TraceService/Export`` over real
gRPC (grpcio), on loopback by default.

Usage
=====

    python scripts/otlp_receiver.py [--host 127.0.0.1] [--port 0] [--out FILE]
        [--count-only] [--report-file FILE] [--workers N]
        [--fail-unavailable N]
        [--resource-exhausted-retry-ms MS] [--retry-info-form status|trailer|both]
        [--fail-code NAME] [--fail-count N]
        [--partial-success REJECTED] [--partial-message MSG]
        [--delay-ms MS]
        [--tls-cert CERT.pem --tls-key KEY.pem [--client-ca CA.pem]]
        [--max-receive-mb 16]

stdout protocol
---------------
After the port is bound the first line on stdout is exactly ``LISTENING <port>``
(flushed).  Afterwards stdout only carries:

* record mode without ``--out``: the JSON lines described below;
* count-only mode without ``--report-file``: the report JSON (one line) on
  SIGUSR1 and once more at shutdown.

All logging goes to stderr.  A failure to bind exits with status 2 without
printing ``LISTENING``.

Record mode (default)
---------------------
For every Export request received, exactly ONE JSON line is appended to
``--out`` (opened in append mode, flushed after each line; stdout if absent).
Failed (scripted-fault) requests are recorded too, so a test can count attempts.
Lines are written in completion order; ``seq`` is the arrival order.  Keys::

    {
      "seq": 1,                     # 1-based request counter (arrival order)
      "outcome": "ok",              # "ok" or the grpc status name the server
                                    # answered with, e.g. "UNAVAILABLE",
                                    # "RESOURCE_EXHAUSTED", "INVALID_ARGUMENT"
      "metadata": {"user-agent": "..."},
                                    # invocation metadata as seen by the server
                                    # application.  Keys lowercase; "*-bin"
                                    # values are lowercase hex of the bytes.
                                    # A key sent several times is joined with
                                    # ", " in order.  gRPC-reserved headers
                                    # (grpc-encoding, grpc-timeout, te,
                                    # content-type, :path...) are NOT visible.
      "compressed": false,          # true if the message arrived with the gRPC
                                    # compressed-flag set (gzip or deflate
                                    # payload), false if it arrived raw, null if
                                    # not determinable (never, in record mode)
      "encoding": "identity",       # "gzip" | "deflate" | "identity" (per message)
      "wire_bytes": 123,            # length of the message payload on the wire
                                    # (compressed size when compressed)
      "size_bytes": 456,            # req.ByteSize() of the decoded request
      "client_cert": false,         # true if the peer presented a TLS client
                                    # certificate (mTLS); false otherwise
      "delay_ms": 0,                # the --delay-ms applied before answering
      "client_active": true,        # context.is_active() right before the
                                    # answer (false e.g. when the client's
                                    # deadline expired during --delay-ms)
      "request": {...}              # the full decoded request, or null when the
                                    # payload could not be decompressed/decoded
                                    # (outcome then INVALID_ARGUMENT for bad
                                    # protobuf, INTERNAL for bad gzip,
                                    # RESOURCE_EXHAUSTED if it inflates past
                                    # --max-receive-mb); size_bytes is then null
    }

``request`` is ``google.protobuf.json_format.MessageToDict(req,
preserving_proto_field_name=True)`` with these changes:

* ``trace_id``, ``span_id``, ``parent_span_id`` (in spans and in links) are
  lowercase hex strings (32 / 16 / 16 hex digits) instead of base64;
* ``start_time_unix_nano``, ``end_time_unix_nano``, ``time_unix_nano`` and
  ``int_value`` (at any nesting depth, including inside ``array_value`` and
  ``kvlist_value``) are JSON integers instead of decimal strings.

Everything else follows the proto3 JSON mapping as produced by MessageToDict:
fields holding their default value (0, "", false, empty bytes, empty list,
enum value 0) are OMITTED; enums are names (``"kind": "SPAN_KIND_SERVER"``,
``"code": "STATUS_CODE_ERROR"``); ``bytes_value`` is standard base64 (with
padding); ``double_value`` is a JSON number (NaN / +-inf as the strings
"NaN", "Infinity", "-Infinity"); ``flags`` and ``dropped_*_count`` are JSON
integers; AnyValue keeps its oneof key (``string_value``, ``bool_value``,
``int_value``, ``double_value``, ``array_value: {"values": [...]}``,
``kvlist_value: {"values": [{"key":..., "value":{...}}]}``, ``bytes_value``).
An empty AnyValue (unset oneof) is ``{}``.  Example (abridged)::

    {"resource_spans": [{"resource": {"attributes": [{"key": "service.name",
      "value": {"string_value": "svc"}}]}, "scope_spans": [{"scope": {"name":
      "lib", "version": "1.0"}, "spans": [{"trace_id": "0102...0f10",
      "span_id": "1112131415161718", "name": "op", "kind": "SPAN_KIND_CLIENT",
      "start_time_unix_nano": 1700000000000000000, "end_time_unix_nano":
      1700000001000000000, "attributes": [...], "events": [...], "links": [...],
      "status": {"code": "STATUS_CODE_ERROR", "message": "boom"}}]}]}]}

Count-only mode (``--count-only``)
----------------------------------
Requests are not written.  Every request is fully decoded (upb) and its spans
counted.  The report is::

    {"requests": n,          # Export calls received (including failed ones)
     "spans": n,             # spans in requests answered OK
     "failed_requests": n,   # requests answered with a non-OK status
     "cpu_seconds": x}       # process user+sys CPU time (os.times())

With ``--report-file F`` the report is written to F atomically (tmp file +
os.replace) once at start-up, then at most every 50 ms while the counters
change, immediately on SIGUSR1, and a final time on SIGTERM/SIGINT.  Without
``--report-file`` the report is printed as one JSON line on stdout on SIGUSR1
and at shutdown.  ``--report-file`` also works in record mode.

Faults (all modes)
------------------
Evaluated per request against ``seq`` in this order of precedence:

* ``--fail-unavailable N``: requests 1..N get UNAVAILABLE ("scripted unavailable").
* ``--resource-exhausted-retry-ms MS`` (+ ``--fail-count N``, default 1):
  requests 1..N get RESOURCE_EXHAUSTED carrying google.rpc.RetryInfo
  (retry_delay = MS ms).  ``--retry-info-form``: ``status`` = in
  ``grpc-status-details-bin`` (google.rpc.Status with an Any(RetryInfo) in
  details); ``trailer`` = bare serialized RetryInfo in the
  ``google.rpc.retryinfo-bin`` trailer; ``both`` (default) = both trailers.
* ``--fail-code NAME`` (+ ``--fail-count N``, default -1 = forever): requests
  1..N get status NAME with message "scripted failure".  ``--fail-code`` and
  ``--resource-exhausted-retry-ms`` are mutually exclusive.
* ``--partial-success REJECTED [--partial-message MSG]``: successful answers
  carry ExportTracePartialSuccess(rejected_spans=REJECTED, error_message=MSG).
* ``--delay-ms MS``: sleep MS ms before answering every request.

Other
-----
* ``--tls-cert/--tls-key``: TLS instead of plaintext; ``--client-ca`` requires
  and verifies client certificates (mTLS).
* ``--max-receive-mb`` (default 16): maximum accepted message size, checked on
  the wire size and again on the decompressed size.
* Compression: per-message decompression is disabled in gRPC core in record
  mode so the receiver sees the raw payload and can tell whether it was
  compressed (gzip magic 1f 8b / zlib header); it then decompresses itself.
  The ``grpc-encoding`` header is never visible to a grpcio application.
  Count-only mode leaves decompression to gRPC core (cheapest).
* SIGTERM/SIGINT: stop the server with grace 0, flush, exit 0 (well < 1 s).
"""

import argparse
import base64
import json
import os
import signal
import sys
import threading
import time
import zlib
from concurrent import futures

import grpc
from google.protobuf import duration_pb2  # noqa: F401  (RetryInfo dependency)
from google.protobuf import any_pb2
from google.protobuf import json_format
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

METHOD = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"

_ID_KEYS = frozenset(("trace_id", "span_id", "parent_span_id"))
_INT_KEYS = frozenset(
    ("start_time_unix_nano", "end_time_unix_nano", "time_unix_nano", "int_value")
)


def log(*args):
    print("[otlp_receiver]", *args, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# Request -> JSON
# --------------------------------------------------------------------------


def _fix(obj):
    """In place: base64 ids -> hex, int64 decimal strings -> ints."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k in _ID_KEYS and isinstance(v, str):
                obj[k] = base64.b64decode(v).hex()
            elif k in _INT_KEYS and isinstance(v, str):
                obj[k] = int(v)
            elif isinstance(v, (dict, list)):
                _fix(v)
    elif isinstance(obj, list):
        for v in obj:
            if isinstance(v, (dict, list)):
                _fix(v)
    return obj


def request_to_json(req):
    d = json_format.MessageToDict(req, preserving_proto_field_name=True)
    return _fix(d)


def metadata_to_dict(md):
    out = {}
    for item in md or ():
        key, value = item[0], item[1]
        if isinstance(value, bytes):
            value = value.hex()
        if key in out:
            out[key] = out[key] + ", " + value
        else:
            out[key] = value
    return out


def count_spans(req):
    n = 0
    for rs in req.resource_spans:
        for ss in rs.scope_spans:
            n += len(ss.spans)
    return n


# --------------------------------------------------------------------------
# Receiver
# --------------------------------------------------------------------------


class _Status(grpc.Status):
    def __init__(self, code, details, trailing_metadata):
        self.code = code
        self.details = details
        self.trailing_metadata = trailing_metadata


class Receiver:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.seq = 0
        self.requests = 0
        self.spans = 0
        self.failed = 0
        self.version = 0  # bumps whenever counters change
        self.max_bytes = int(args.max_receive_mb * 1024 * 1024)
        self.shutdown = threading.Event()
        self.out_lock = threading.Lock()
        if args.count_only:
            self.out = None
        elif args.out:
            self.out = open(args.out, "a", encoding="utf-8")
        else:
            self.out = sys.stdout

        ok = trace_service_pb2.ExportTraceServiceResponse()
        if args.partial_success is not None:
            ok.partial_success.rejected_spans = args.partial_success
            ok.partial_success.error_message = args.partial_message
        self.ok_response = ok.SerializeToString()

        self.fail_count = args.fail_count
        if self.fail_count is None:
            self.fail_count = 1 if args.resource_exhausted_retry_ms is not None else -1
        self.fail_code = None
        if args.fail_code:
            self.fail_code = getattr(grpc.StatusCode, args.fail_code.upper())
        self.re_status = None
        if args.resource_exhausted_retry_ms is not None:
            self.re_status = self._build_retry_status(
                args.resource_exhausted_retry_ms, args.retry_info_form
            )

    # ---- faults -----------------------------------------------------------

    @staticmethod
    def _build_retry_status(ms, form):
        info = error_details_pb2.RetryInfo()
        info.retry_delay.FromMilliseconds(int(ms))
        msg = "scripted resource exhausted"
        trailers = []
        if form in ("status", "both"):
            st = status_pb2.Status(code=code_pb2.RESOURCE_EXHAUSTED, message=msg)
            packed = any_pb2.Any()
            packed.Pack(info)
            st.details.append(packed)
            trailers.extend(rpc_status.to_status(st).trailing_metadata)
        if form in ("trailer", "both"):
            trailers.append(("google.rpc.retryinfo-bin", info.SerializeToString()))
        return _Status(grpc.StatusCode.RESOURCE_EXHAUSTED, msg, tuple(trailers))

    def _fault_for(self, seq):
        """Returns a grpc.Status to fail with, or None."""
        a = self.args
        if a.fail_unavailable and seq <= a.fail_unavailable:
            return _Status(grpc.StatusCode.UNAVAILABLE, "scripted unavailable", ())
        if self.re_status is not None and (self.fail_count < 0 or seq <= self.fail_count):
            return self.re_status
        if self.fail_code is not None and (self.fail_count < 0 or seq <= self.fail_count):
            return _Status(self.fail_code, "scripted failure", ())
        return None

    # ---- handlers ---------------------------------------------------------

    def _delay(self):
        if self.args.delay_ms > 0:
            self.shutdown.wait(self.args.delay_ms / 1000.0)

    def _finish(self, context, fault, nspans):
        """Counts and, for faults, aborts (raises)."""
        with self.lock:
            self.requests += 1
            if fault is None:
                self.spans += nspans
            else:
                self.failed += 1
            self.version += 1
        if fault is not None:
            context.abort_with_status(fault)

    def export_count_only(self, req, context):
        with self.lock:
            self.seq += 1
            seq = self.seq
        fault = self._fault_for(seq)
        n = 0
        for rs in req.resource_spans:
            for ss in rs.scope_spans:
                n += len(ss.spans)
        self._delay()
        self._finish(context, fault, n)
        return self.ok_response

    def export_record(self, raw, context):
        with self.lock:
            self.seq += 1
            seq = self.seq
        fault = self._fault_for(seq)
        line = {
            "seq": seq,
            "outcome": "ok",
            "metadata": metadata_to_dict(context.invocation_metadata()),
            "compressed": False,
            "encoding": "identity",
            "wire_bytes": len(raw),
            "size_bytes": None,
            "client_cert": False,
            "delay_ms": self.args.delay_ms,
            "client_active": True,
            "request": None,
        }
        try:
            auth = context.auth_context() or {}
            line["client_cert"] = bool(
                auth.get("x509_pem_cert") or auth.get("x509_common_name")
            )
        except Exception:  # pragma: no cover
            pass

        # Decompress ourselves (core decompression is disabled) so we know.
        payload = raw
        try:
            if raw[:2] == b"\x1f\x8b":
                line["compressed"], line["encoding"] = True, "gzip"
                payload = _inflate(raw, 16 + zlib.MAX_WBITS, self.max_bytes)
            elif len(raw) >= 2 and raw[0] & 0x0F == 8 and ((raw[0] << 8) | raw[1]) % 31 == 0:
                # zlib header (deflate); never a valid ExportTraceServiceRequest
                # prefix (a request starts with field 1, i.e. byte 0x0a).
                line["compressed"], line["encoding"] = True, "deflate"
                payload = _inflate(raw, zlib.MAX_WBITS, self.max_bytes)
        except _TooLarge:
            payload = None
            fault = _Status(
                grpc.StatusCode.RESOURCE_EXHAUSTED,
                "decompressed message larger than max (%d)" % self.max_bytes,
                (),
            )
        except zlib.error as e:
            payload = None
            fault = _Status(grpc.StatusCode.INTERNAL, "cannot decompress: %s" % e, ())

        req = None
        if payload is not None:
            try:
                req = trace_service_pb2.ExportTraceServiceRequest.FromString(payload)
            except Exception as e:
                if fault is None:
                    fault = _Status(
                        grpc.StatusCode.INVALID_ARGUMENT, "cannot decode request: %s" % e, ()
                    )
        nspans = 0
        if req is not None:
            line["size_bytes"] = req.ByteSize()
            line["request"] = request_to_json(req)
            nspans = count_spans(req)

        self._delay()
        line["client_active"] = context.is_active()
        if fault is not None:
            line["outcome"] = fault.code.name
        self._write_line(line)
        self._finish(context, fault, nspans)
        return self.ok_response

    def _write_line(self, line):
        data = json.dumps(line, separators=(",", ":"), ensure_ascii=False) + "\n"
        with self.out_lock:
            self.out.write(data)
            self.out.flush()

    # ---- report -----------------------------------------------------------

    def report(self):
        with self.lock:
            r = {"requests": self.requests, "spans": self.spans, "failed_requests": self.failed}
        t = os.times()
        r["cpu_seconds"] = round(t.user + t.system, 4)
        return r

    def write_report(self):
        r = json.dumps(self.report())
        f = self.args.report_file
        if f:
            tmp = "%s.tmp.%d" % (f, os.getpid())
            with open(tmp, "w", encoding="utf-8") as fh:
                fh.write(r + "\n")
            os.replace(tmp, f)
        else:
            with self.out_lock:
                sys.stdout.write(r + "\n")
                sys.stdout.flush()


class _TooLarge(Exception):
    pass


def _inflate(data, wbits, limit):
    d = zlib.decompressobj(wbits)
    out = d.decompress(data, limit + 1)
    if len(out) > limit:
        raise _TooLarge()
    if not d.eof:
        raise zlib.error("truncated compressed message")
    return out


class _Handler(grpc.GenericRpcHandler):
    def __init__(self, method_handler):
        self.h = method_handler

    def service(self, handler_call_details):
        if handler_call_details.method == METHOD:
            return self.h
        return None


def _identity(b):
    return b


def parse_args(argv=None):
    p = argparse.ArgumentParser(description="Scriptable OTLP/gRPC trace receiver")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 = pick a free port")
    p.add_argument("--out", help="JSON-lines output file (append); default stdout")
    p.add_argument("--count-only", action="store_true")
    p.add_argument("--report-file")
    p.add_argument("--workers", type=int, default=None,
                   help="server thread pool size (default 4 count-only, 16 record)")
    p.add_argument("--fail-unavailable", type=int, default=0, metavar="N")
    p.add_argument("--resource-exhausted-retry-ms", type=int, default=None, metavar="MS")
    p.add_argument("--retry-info-form", choices=("status", "trailer", "both"), default="both")
    p.add_argument("--fail-code", default=None, metavar="NAME")
    p.add_argument("--fail-count", type=int, default=None, metavar="N")
    p.add_argument("--partial-success", type=int, default=None, metavar="REJECTED")
    p.add_argument("--partial-message", default="")
    p.add_argument("--delay-ms", type=int, default=0, metavar="MS")
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    p.add_argument("--client-ca")
    p.add_argument("--max-receive-mb", type=float, default=16)
    a = p.parse_args(argv)
    if a.fail_code:
        name = a.fail_code.upper()
        if name == "OK" or not hasattr(grpc.StatusCode, name):
            p.error("--fail-code: unknown or non-error status code %r" % a.fail_code)
        if a.resource_exhausted_retry_ms is not None:
            p.error("--fail-code and --resource-exhausted-retry-ms are mutually exclusive")
    if bool(a.tls_cert) != bool(a.tls_key):
        p.error("--tls-cert and --tls-key go together")
    if a.client_ca and not a.tls_cert:
        p.error("--client-ca requires --tls-cert/--tls-key")
    if a.workers is None:
        a.workers = 4 if a.count_only else 16
    return a


def main(argv=None):
    args = parse_args(argv)
    rec = Receiver(args)

    if args.count_only:
        mh = grpc.unary_unary_rpc_method_handler(
            rec.export_count_only,
            request_deserializer=trace_service_pb2.ExportTraceServiceRequest.FromString,
            response_serializer=_identity,
        )
    else:
        mh = grpc.unary_unary_rpc_method_handler(
            rec.export_record, request_deserializer=_identity, response_serializer=_identity
        )

    options = [
        ("grpc.max_receive_message_length", rec.max_bytes),
        ("grpc.max_send_message_length", rec.max_bytes),
        ("grpc.so_reuseport", 0),
    ]
    if not args.count_only:
        # Let the application see the raw (possibly compressed) payload.
        options.append(("grpc.per_message_decompression", 0))
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=args.workers, thread_name_prefix="otlp"),
        options=options,
    )
    server.add_generic_rpc_handlers((_Handler(mh),))

    host = args.host
    addr = ("[%s]:%d" if ":" in host else "%s:%d") % (host, args.port)
    try:
        if args.tls_cert:
            with open(args.tls_key, "rb") as f:
                key = f.read()
            with open(args.tls_cert, "rb") as f:
                cert = f.read()
            ca = None
            if args.client_ca:
                with open(args.client_ca, "rb") as f:
                    ca = f.read()
            creds = grpc.ssl_server_credentials(
                [(key, cert)], root_certificates=ca, require_client_auth=ca is not None
            )
            port = server.add_secure_port(addr, creds)
        else:
            port = server.add_insecure_port(addr)
    except Exception as e:
        log("cannot bind %s: %s" % (addr, e))
        return 2
    if not port:
        log("cannot bind %s" % addr)
        return 2

    stop = threading.Event()
    usr1 = threading.Event()

    def on_term(signum, frame):
        stop.set()

    def on_usr1(signum, frame):
        usr1.set()

    # A parent may spawn us with signals blocked (Swift's Foundation.Process does): unblock them.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT, signal.SIGUSR1})
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    signal.signal(signal.SIGUSR1, on_usr1)

    server.start()
    if args.report_file:
        rec.write_report()  # exists before LISTENING is printed
    with rec.out_lock:
        sys.stdout.write("LISTENING %d\n" % port)
        sys.stdout.flush()
    log("listening on %s:%d (%s, %s)" % (
        host, port, "tls" if args.tls_cert else "plaintext",
        "count-only" if args.count_only else "record"))

    last_version = rec.version
    periodic = bool(args.report_file)
    while not stop.is_set():
        stop.wait(0.05 if periodic else 0.5)
        if usr1.is_set():
            usr1.clear()
            rec.write_report()
            last_version = rec.version
        elif periodic and rec.version != last_version:
            last_version = rec.version
            rec.write_report()

    # Shutdown: grace 0, wake delayed handlers, flush, exit 0 quickly.
    # Watchdog: never hang on exit (e.g. a writer blocked on a full stdout pipe).
    watchdog = threading.Timer(0.8, os._exit, (0,))
    watchdog.daemon = True
    watchdog.start()
    rec.shutdown.set()
    done = server.stop(0)
    done.wait(0.3)
    try:
        if args.report_file or args.count_only:
            rec.write_report()
        if rec.out_lock.acquire(timeout=0.3):
            try:
                if rec.out is not None:
                    rec.out.flush()
                    if rec.out is not sys.stdout:
                        os.fsync(rec.out.fileno())
                sys.stdout.flush()
            finally:
                rec.out_lock.release()
        sys.stderr.flush()
    finally:
        os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
