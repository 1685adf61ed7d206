#!/usr/bin/env python3
"""A scriptable OpenAI-compatible server for the MelleaOpenAI tests (Python stdlib only).

Usage
=====

    python scripts/openai_server.py [--host 127.0.0.1] [--port 0] --out FILE

After the port is bound, the first line on stdout is exactly ``LISTENING <port>`` (flushed).

Modes
-----
The first path segment picks the behaviour, so each test names its own in the base URL:
``http://127.0.0.1:<port>/<mode>/v1``. Endpoints: ``POST .../chat/completions`` (SSE when the
body says ``"stream": true``, with a final usage chunk when ``stream_options.include_usage``) and
``POST .../completions`` (``prompt`` a string or an array; ``n`` choices per prompt).

* ``ok``: answers ``echo: <last user message>``; usage with ``prompt_tokens_details.cached_tokens``
  and ``completion_tokens_details.reasoning_tokens``; with ``n`` > 1, choice 0 stops with ``stop``
  and the others with ``length``.
* ``tools``: asks for two tool calls (the first two tools of the request, or the first twice),
  streamed as deltas split across chunks; once the history ends with ``tool`` messages, answers
  ``tool said: <their contents joined by ' | '>``.
* ``error-429`` (with ``Retry-After: 7``), ``error-401`` (its message echoes the bearer token, as
  a careless server might), ``error-400``, ``error-500``: an OpenAI error body with that status.
* ``slow``: waits 30 s before answering (for timeouts).
* ``malformed``: answers 200 with a body that is not JSON.
* ``broken-sse``: a stream whose second event is not JSON.
* ``truncated-sse``: a stream that stops mid-answer (no finish reason, no ``[DONE]``).
* ``stall-sse``: a stream that sends one event, then nothing for 30 s.
* ``stream-error``: a stream that reports an error event after one chunk.
* ``endless-sse``: a chunk every 50 ms for 60 s (for cancellation).

Recording
---------
Every request appends one JSON line to ``--out`` when it arrives::

    {"seq": 1, "kind": "request", "mode": "ok", "method": "POST", "path": "/ok/v1/chat/completions",
     "headers": {"authorization": "Bearer ...", "traceparent": "00-..."}, "body": {...}}

and one more when the server is done with it::

    {"seq": 1, "kind": "end", "outcome": "completed" | "client_disconnected"}

Header names are lowercase; a header sent several times is joined with ``", "``. ``body`` is the
parsed JSON, or ``{"unparsed": "<text>"}``.
"""

import argparse
import json
import select
import signal
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

USAGE = {
    "prompt_tokens": 42,
    "completion_tokens": 7,
    "total_tokens": 49,
    "prompt_tokens_details": {"cached_tokens": 30},
    "completion_tokens_details": {"reasoning_tokens": 5},
}


class Recorder:
    def __init__(self, path):
        self.lock = threading.Lock()
        self.seq = 0
        self.file = open(path, "a", encoding="utf-8")

    def next_seq(self):
        with self.lock:
            self.seq += 1
            return self.seq

    def write(self, record):
        with self.lock:
            self.file.write(json.dumps(record) + "\n")
            self.file.flush()


class ClientGone(Exception):
    pass


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    recorder = None

    def log_message(self, fmt, *args):  # quiet: the recording is the log
        pass

    # ---- plumbing -------------------------------------------------------------------------

    def do_POST(self):
        seq = self.recorder.next_seq()
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode("utf-8", "replace")
        try:
            body = json.loads(raw)
        except ValueError:
            body = {"unparsed": raw}
        headers = {}
        for name, value in self.headers.items():
            key = name.lower()
            headers[key] = headers[key] + ", " + value if key in headers else value
        parts = self.path.strip("/").split("/")
        mode = parts[0] if parts else ""
        endpoint = parts[-1] if parts else ""
        self.recorder.write({"seq": seq, "kind": "request", "mode": mode, "method": "POST",
                             "path": self.path, "headers": headers, "body": body})
        outcome = "completed"
        try:
            self.route(seq, mode, endpoint, body, headers)
        except (BrokenPipeError, ConnectionResetError, ClientGone):
            outcome = "client_disconnected"
            self.close_connection = True
        self.recorder.write({"seq": seq, "kind": "end", "outcome": outcome})

    def send_json(self, status, payload, extra_headers=None):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (extra_headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def start_sse(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

    def send_event(self, data):
        text = data if isinstance(data, str) else json.dumps(data)
        self.wfile.write(("data: " + text + "\n\n").encode())
        self.wfile.flush()

    def send_error_body(self, status, message, kind, code, extra_headers=None):
        self.send_json(status, {"error": {"message": message, "type": kind, "param": None, "code": code}},
                       extra_headers)

    # ---- behaviours -----------------------------------------------------------------------

    def route(self, seq, mode, endpoint, body, headers):
        if mode == "error-429":
            return self.send_error_body(429, "Rate limit reached for requests", "requests", "rate_limit_exceeded",
                                        {"Retry-After": "7"})
        if mode == "error-401":
            token = headers.get("authorization", "").replace("Bearer ", "")
            return self.send_error_body(401, "Incorrect API key provided: " + token, "invalid_request_error",
                                        "invalid_api_key")
        if mode == "error-400":
            return self.send_error_body(400, "Unsupported value: 'temperature'", "invalid_request_error",
                                        "unsupported_value")
        if mode == "error-500":
            return self.send_error_body(500, "The server had an error while processing your request.",
                                        "server_error", None)
        if mode == "slow":
            self.wait_or_gone(30)
        if mode == "malformed":
            data = b'{"id": "chatcmpl-broken", "choices": [ this is not json'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return None
        if endpoint == "completions" and self.path.rstrip("/").endswith("chat/completions"):
            return self.chat(seq, mode, body)
        if endpoint == "completions":
            return self.completions(seq, body)
        return self.send_error_body(404, "no such endpoint " + self.path, "invalid_request_error", "not_found")

    def wait_or_gone(self, seconds):
        """Sleeps, noticing a client that hangs up meanwhile."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            readable, _, _ = select.select([self.connection], [], [], 0.05)
            if readable and not self.connection.recv(1, socket.MSG_PEEK):  # EOF: gone
                raise ClientGone()

    def chat(self, seq, mode, body):
        model = body.get("model", "")
        messages = body.get("messages", [])
        stream = body.get("stream") is True
        include_usage = (body.get("stream_options") or {}).get("include_usage") is True
        n = body.get("n") or 1
        base = {"id": "chatcmpl-test-%d" % seq, "created": int(time.time()), "model": model + "-2025-01-01"}
        tool_results = []
        for message in reversed(messages):
            if message.get("role") != "tool":
                break
            tool_results.insert(0, message.get("content", ""))
        wants_tools = mode == "tools" and not tool_results
        if mode == "tools" and tool_results:
            text = "tool said: " + " | ".join(tool_results)
        else:
            users = [m.get("content") or "" for m in messages if m.get("role") == "user"]
            text = "echo: " + (users[-1] if users else "")
        tools = [t["function"]["name"] for t in body.get("tools", []) if t.get("type") == "function"]
        names = (tools + tools)[:2] if tools else ["lookup", "lookup"]
        calls = [("call_%d_a" % seq, names[0], '{"city": "Paris"}'), ("call_%d_b" % seq, names[1], '{"city": "Oslo"}')]

        if not stream:
            choices = []
            for index in range(n):
                if wants_tools:
                    message = {"role": "assistant", "content": None, "tool_calls": [
                        {"id": cid, "type": "function", "function": {"name": name, "arguments": args}}
                        for cid, name, args in calls]}
                    reason = "tool_calls"
                else:
                    message = {"role": "assistant", "content": text}
                    reason = "stop" if index == 0 else "length"
                choices.append({"index": index, "message": message, "finish_reason": reason, "logprobs": None})
            return self.send_json(200, dict(base, object="chat.completion", choices=choices, usage=USAGE))

        def chunk(delta, reason=None, index=0):
            return dict(base, object="chat.completion.chunk",
                        choices=[{"index": index, "delta": delta, "finish_reason": reason}])

        self.start_sse()
        self.send_event(chunk({"role": "assistant", "content": ""}))
        if mode == "stall-sse":
            self.wait_or_gone(30)
        if mode == "endless-sse":
            end = time.monotonic() + 60
            while time.monotonic() < end:
                self.send_event(chunk({"content": "tick "}))
                time.sleep(0.05)
            return None
        if wants_tools:
            for number, (cid, name, args) in enumerate(calls):
                self.send_event(chunk({"tool_calls": [{"index": number, "id": cid, "type": "function",
                                                       "function": {"name": name, "arguments": ""}}]}))
                middle = len(args) // 2
                for piece in (args[:middle], args[middle:]):
                    self.send_event(chunk({"tool_calls": [{"index": number, "function": {"arguments": piece}}]}))
            self.send_event(chunk({}, "tool_calls"))
        else:
            words = text.split(" ")
            for number, word in enumerate(words):
                piece = word if number == len(words) - 1 else word + " "
                self.send_event(chunk({"content": piece}))
                if mode == "broken-sse":
                    self.send_event('{"id": "chatcmpl-broken", "choices": [ not json')
                if mode == "stream-error":
                    self.send_event({"error": {"message": "The model overloaded mid-stream", "type": "server_error",
                                               "code": "overloaded"}})
                if mode == "truncated-sse":
                    return None
            for index in range(n):
                self.send_event(chunk({}, "stop" if index == 0 else "length", index))
        if include_usage:
            self.send_event(dict(base, object="chat.completion.chunk", choices=[], usage=USAGE))
        self.send_event("[DONE]")
        return None

    def completions(self, seq, body):
        prompts = body.get("prompt", [])
        if isinstance(prompts, str):
            prompts = [prompts]
        n = body.get("n") or 1
        choices = []
        for number, prompt in enumerate(prompts):
            for k in range(n):
                choices.append({"index": number * n + k, "text": "completion %d of: %s" % (k, prompt),
                                "finish_reason": "stop" if k == 0 else "length", "logprobs": None})
        # Answered out of order, as servers may: the client sorts by index.
        choices.reverse()
        usage = {"prompt_tokens": 5 * len(prompts), "completion_tokens": 4 * len(choices),
                 "total_tokens": 5 * len(prompts) + 4 * len(choices)}
        return self.send_json(200, {"id": "cmpl-test-%d" % seq, "object": "text_completion",
                                    "created": int(time.time()), "model": body.get("model", ""),
                                    "choices": choices, "usage": usage})


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    # A parent that blocked signals (a Swift test's worker thread) must still be able to stop us.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    Handler.recorder = Recorder(args.out)
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    print("LISTENING %d" % server.server_address[1], flush=True)
    try:
        server.serve_forever(poll_interval=0.05)
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
