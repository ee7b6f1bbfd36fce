"""A scripted fake LLM server on 127.0.0.1 for backend tests and benchmarks.

It speaks the three wire protocols the real backends use:

- OpenAI Chat Completions, ``POST .../chat/completions`` (JSON, or SSE with a final usage
  chunk when the request has ``stream: true``);
- OpenAI Responses, ``POST .../responses`` (SSE, what the Codex CLI uses);
- Anthropic Messages, ``POST .../messages`` (JSON or SSE), plus ``.../count_tokens``.

A test scripts it with :class:`Step` values - replies, tool calls (several named ones in
one response with :meth:`Step.use`, for agent loops), usage, latency, HTTP
errors, malformed bodies, refusals, hangs, bodies cut off mid-way, finish reasons -
consumed in order (then ``default``), or with a ``responder`` function. It records every
request, the peak number of requests in flight and the tokens it reported, so tests
assert on the server side what the client did.

Threads, not asyncio: the server runs beside the event loop under test without sharing it.
"""

from __future__ import annotations

import itertools
import json
import select
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

__all__ = ["FakeLLMServer", "Recorded", "Step"]

StepKind = Literal["text", "tool", "status", "malformed", "hang", "refusal", "truncated"]


@dataclass(frozen=True, kw_only=True)
class Step:
    """One scripted response, rendered in whichever protocol the request used."""

    kind: StepKind = "text"
    text: str = "ok"
    arguments: Any = None
    """For ``tool``: a dict (serialized) or a raw string sent as the tool arguments."""
    tool_name: str | None = None
    usage: tuple[int, int] | Literal["auto"] | None = "auto"
    """(input, output) tokens; "auto" derives them from the request; None omits usage."""
    cost: float | None = None
    """An OpenAI-compatible ``usage.cost`` (as OpenRouter reports it)."""
    latency: float = 0.0
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    finish_reason: str | None = None
    """Replaces the ``finish_reason`` / ``stop_reason`` the kind implies; "" sends null."""
    calls: tuple[tuple[str, Any], ...] = ()
    """For ``tool``: several named tool calls in one response, ``(name, arguments)`` each,
    with ids unique across the server's life (see :meth:`use`)."""
    cache: tuple[int, int] = (0, 0)
    """Anthropic ``(cache_creation_input_tokens, cache_read_input_tokens)``."""

    @classmethod
    def reply(cls, text: str, **kw: Any) -> Step:
        return cls(kind="text", text=text, **kw)

    @classmethod
    def use(cls, *calls: tuple[str, Any], **kw: Any) -> Step:
        """One response calling the named tools: ``Step.use(("read", {"path": "a"}))``."""
        return cls(kind="tool", calls=calls, **kw)

    @classmethod
    def tool(cls, arguments: Any, **kw: Any) -> Step:
        return cls(kind="tool", arguments=arguments, **kw)

    @classmethod
    def error(cls, status: int, retry_after: str | None = None, **kw: Any) -> Step:
        headers = (("retry-after", retry_after),) if retry_after is not None else ()
        body = json.dumps({"error": {"type": "error", "message": f"fake {status}"}}).encode()
        return cls(kind="status", status=status, headers=headers, body=body, **kw)

    @classmethod
    def failure(cls, status: int, body: Any, headers: tuple[tuple[str, str], ...] = (),
                **kw: Any) -> Step:
        """An error response with this JSON body (a provider's own error shape)."""
        return cls(kind="status", status=status, headers=headers,
                   body=json.dumps(body).encode(), **kw)

    @classmethod
    def malformed(cls, body: bytes = b"{not json", **kw: Any) -> Step:
        return cls(kind="malformed", body=body, **kw)

    @classmethod
    def hang(cls) -> Step:
        return cls(kind="hang")

    @classmethod
    def refusal(cls, text: str = "I can't help with that.") -> Step:
        return cls(kind="refusal", text=text)

    @classmethod
    def truncated(cls, text: str = "a reply cut off halfway", **kw: Any) -> Step:
        """A reply whose body stops halfway, then the connection closes: JSON under a longer
        ``content-length``, SSE as chunked encoding without its last chunk."""
        return cls(kind="truncated", text=text, **kw)


@dataclass(frozen=True, kw_only=True)
class Recorded:
    """A request the server received."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    api: Literal["chat", "responses", "messages", "count_tokens", "other"]

    @property
    def stream(self) -> bool:
        return bool(self.body.get("stream"))


@dataclass
class _Stats:
    in_flight: int = 0
    peak: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    disconnects: int = 0
    requests: list[Recorded] = field(default_factory=list)


class FakeLLMServer:
    """Start with ``with FakeLLMServer() as server:``; ``server.url`` is the base URL."""

    def __init__(self, *, latency: float = 0.0) -> None:
        self.latency = latency
        self.default: Step = Step.reply("ok")
        self.responder: Callable[[Recorded], Step] | None = None
        self._queue: deque[Step] = deque()
        self._lock = threading.Lock()
        self._stats = _Stats()
        self._stop = threading.Event()
        self._ids = itertools.count(1)
        self._httpd = _Server(("127.0.0.1", 0), _make_handler(self))
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.02,),
                                        daemon=True)

    # -- lifecycle -------------------------------------------------------------------------
    def __enter__(self) -> FakeLLMServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- scripting -------------------------------------------------------------------------
    def script(self, *steps: Step) -> None:
        with self._lock:
            self._queue.extend(steps)

    def _next_step(self, rec: Recorded) -> Step:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
        if self.responder is not None:
            return self.responder(rec)
        return self.default

    # -- observations ----------------------------------------------------------------------
    @property
    def requests(self) -> list[Recorded]:
        with self._lock:
            return list(self._stats.requests)

    def calls(self, api: str = "chat") -> list[Recorded]:
        return [r for r in self.requests if r.api == api]

    @property
    def peak_in_flight(self) -> int:
        return self._stats.peak

    @property
    def disconnects(self) -> int:
        """Requests whose client went away before the response (cancelled hangs)."""
        return self._stats.disconnects

    def wait_disconnects(self, count: int, timeout: float = 5.0) -> bool:
        """Block (in a worker thread) until ``count`` clients went away mid-request."""
        deadline = time.monotonic() + timeout
        while self._stats.disconnects < count and time.monotonic() < deadline:
            time.sleep(0.005)
        return self._stats.disconnects >= count

    @property
    def tokens(self) -> tuple[int, int]:
        """(input, output) tokens the server reported in usage fields."""
        return self._stats.input_tokens, self._stats.output_tokens

    def reset_stats(self) -> None:
        with self._lock:
            self._stats = _Stats()

    # -- internals used by the handler -----------------------------------------------------
    def _enter(self, rec: Recorded) -> None:
        with self._lock:
            self._stats.requests.append(rec)
            self._stats.in_flight += 1
            self._stats.peak = max(self._stats.peak, self._stats.in_flight)

    def _leave(self) -> None:
        with self._lock:
            self._stats.in_flight -= 1

    def _count(self, usage: tuple[int, int] | None) -> None:
        if usage is not None:
            with self._lock:
                self._stats.input_tokens += usage[0]
                self._stats.output_tokens += usage[1]

    def _disconnected(self) -> None:
        with self._lock:
            self._stats.disconnects += 1

    def next_id(self) -> int:
        return next(self._ids)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # the default backlog of 5 drops SYNs under fan-out


def _classify(path: str) -> Literal["chat", "responses", "messages", "count_tokens", "other"]:
    path = path.split("?", 1)[0].rstrip("/")
    if path.endswith("/chat/completions"):
        return "chat"
    if path.endswith("/responses"):
        return "responses"
    if path.endswith("/messages/count_tokens"):
        return "count_tokens"
    if path.endswith("/messages"):
        return "messages"
    return "other"


def _auto_usage(step: Step, body: dict[str, Any]) -> tuple[int, int] | None:
    if step.usage is None:
        return None
    if step.usage != "auto":
        return step.usage
    prompt = json.dumps(body.get("messages") or body.get("input") or "", sort_keys=True)
    out = step.text if step.kind != "tool" else json.dumps(step.arguments)
    return max(1, len(prompt) // 4), max(1, len(out) // 4)


class _Handler(BaseHTTPRequestHandler):
    fake: FakeLLMServer
    cut: bool = False
    """This response is a ``truncated`` step's: its body stops halfway."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are separate writes: avoid 40 ms stalls

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._send_json(200, {"object": "list", "data": []})

    def do_HEAD(self) -> None:
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            body = {}
        rec = Recorded(path=self.path, headers={k.lower(): v for k, v in self.headers.items()},
                       body=body if isinstance(body, dict) else {}, api=_classify(self.path))
        if rec.api == "count_tokens":
            self._send_json(200, {"input_tokens": max(1, len(raw) // 4)})
            return
        if rec.api == "other":
            self._send_json(404, {"error": {"type": "not_found", "message": self.path}})
            return
        self.fake._enter(rec)
        try:
            self._respond(rec, self.fake._next_step(rec))
        except (BrokenPipeError, ConnectionResetError):
            self.fake._disconnected()
        finally:
            self.fake._leave()

    def _respond(self, rec: Recorded, step: Step) -> None:
        delay = step.latency or self.fake.latency
        if delay:
            time.sleep(delay)
        if step.kind == "hang":
            self._hang()
            return
        if step.kind == "status":
            self._send_raw(step.status, step.body, "application/json", step.headers)
            return
        if step.kind == "malformed":
            self._send_raw(200, step.body, "application/json", step.headers)
            return
        usage = _auto_usage(step, rec.body)
        self.cut = step.kind == "truncated"
        if not self.cut:  # a cut-off reply never delivers its usage
            self.fake._count(usage)
        render = _RENDERERS[(rec.api, rec.stream or rec.api == "responses")]
        render(self, rec, step, usage)

    def _hang(self) -> None:
        sock = self.connection
        while not self.fake._stop.is_set():
            readable, _, _ = select.select([sock], [], [], 0.02)
            if readable:
                try:
                    data = sock.recv(1, socket.MSG_PEEK)
                except OSError:
                    data = b""
                if not data:
                    self.fake._disconnected()
                    self.close_connection = True
                    return
                time.sleep(0.02)

    def _send_raw(self, status: int, body: bytes, ctype: str,
                  headers: tuple[tuple[str, str], ...] = ()) -> None:
        self.send_response(status)
        self.send_header("content-type", ctype)
        self.send_header("content-length", str(len(body)))
        for key, value in headers:
            self.send_header(key, value)
        self.end_headers()
        if self.cut:  # shorter than the content-length sent, then the connection closes
            body = body[:len(body) // 2]
            self.close_connection = True
        self.wfile.write(body)

    def _send_json(self, status: int, obj: Any) -> None:
        self._send_raw(status, json.dumps(obj).encode(), "application/json")

    def send_sse(self, events: Iterator[tuple[str | None, Any]]) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.send_header("connection", "close")
        if self.cut:  # chunked, so that stopping halfway is detectably incomplete
            self.send_header("transfer-encoding", "chunked")
            listed = list(events)
            events = iter(listed[:len(listed) // 2])
        self.end_headers()
        self.close_connection = True
        for event, data in events:
            chunk = "" if event is None else f"event: {event}\n"
            payload = data if isinstance(data, str) else json.dumps(data)
            frame = f"{chunk}data: {payload}\n\n".encode()
            if self.cut:
                frame = b"%x\r\n%s\r\n" % (len(frame), frame)
            self.wfile.write(frame)
            self.wfile.flush()



def _make_handler(server: FakeLLMServer) -> type[BaseHTTPRequestHandler]:
    return type("Handler", (_Handler,), {"fake": server})


# -- OpenAI Chat Completions ------------------------------------------------------------------
def _chat_usage(usage: tuple[int, int] | None, cost: float | None) -> dict[str, Any] | None:
    if usage is None:
        return None
    out: dict[str, Any] = {"prompt_tokens": usage[0], "completion_tokens": usage[1],
                           "total_tokens": usage[0] + usage[1]}
    if cost is not None:
        out["cost"] = cost
    return out


def _finish(step: Step, implied: str) -> str | None:
    """The finish reason sent: the step's own if it has one ("" is null), else the implied."""
    return implied if step.finish_reason is None else step.finish_reason or None


def _tool_args(step: Step) -> str:
    return step.arguments if isinstance(step.arguments, str) else json.dumps(step.arguments)


_CALL_IDS = itertools.count(1)
"""Ids of :meth:`Step.use` calls: unique, as real providers make them."""


def _named_calls(step: Step) -> list[tuple[str, str, Any]]:
    """(id, name, arguments) of a :meth:`Step.use` step's calls."""
    return [(f"call_{next(_CALL_IDS)}", name, args) for name, args in step.calls]


def _chat_message(rec: Recorded, step: Step) -> tuple[dict[str, Any], str]:
    if step.kind == "refusal":
        return {"role": "assistant", "content": None, "refusal": step.text}, "stop"
    if step.kind == "tool" and step.calls:
        calls = [{"id": cid, "type": "function", "function": {
            "name": name, "arguments": args if isinstance(args, str) else json.dumps(args)}}
            for cid, name, args in _named_calls(step)]
        return {"role": "assistant", "content": None, "tool_calls": calls}, "tool_calls"
    if step.kind == "tool":
        tools = rec.body.get("tools") or [{"function": {"name": "tool"}}]
        name = step.tool_name or tools[0]["function"]["name"]
        call = {"id": "call_1", "type": "function",
                "function": {"name": name, "arguments": _tool_args(step)}}
        return {"role": "assistant", "content": None, "tool_calls": [call]}, "tool_calls"
    return {"role": "assistant", "content": step.text}, "stop"


def _chat_json(h: Any, rec: Recorded, step: Step, usage: tuple[int, int] | None) -> None:
    message, implied = _chat_message(rec, step)
    finish = _finish(step, implied)
    body = {"id": "chatcmpl-1", "object": "chat.completion", "created": 0,
            "model": rec.body.get("model", "fake"),
            "choices": [{"index": 0, "message": message, "finish_reason": finish}]}
    usage_obj = _chat_usage(usage, step.cost)
    if usage_obj is not None:
        body["usage"] = usage_obj
    h._send_json(200, body)


def _chat_sse(h: Any, rec: Recorded, step: Step, usage: tuple[int, int] | None) -> None:
    message, implied = _chat_message(rec, step)
    finish = _finish(step, implied)
    base = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 0,
            "model": rec.body.get("model", "fake")}

    def events() -> Iterator[tuple[str | None, Any]]:
        delta: dict[str, Any] = {"role": "assistant"}
        if "tool_calls" in message:
            delta["tool_calls"] = [{"index": i, **call}
                                   for i, call in enumerate(message["tool_calls"])]
        elif message.get("refusal"):
            delta["refusal"] = message["refusal"]
        yield None, {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
        text = message.get("content") or ""
        for i in range(0, len(text), 8):
            piece = {"content": text[i:i + 8]}
            yield None, {**base, "choices": [{"index": 0, "delta": piece, "finish_reason": None}]}
        yield None, {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]}
        include = (rec.body.get("stream_options") or {}).get("include_usage")
        if include and usage is not None:
            yield None, {**base, "choices": [], "usage": _chat_usage(usage, step.cost)}
        yield None, "[DONE]"

    h.send_sse(events())


# -- Anthropic Messages -----------------------------------------------------------------------
def _anthropic_content(rec: Recorded, step: Step) -> tuple[list[dict[str, Any]], str]:
    if step.kind == "refusal":
        return [{"type": "text", "text": step.text}], "refusal"
    if step.kind == "tool" and step.calls:
        return [{"type": "tool_use", "id": cid.replace("call_", "toolu_"), "name": name,
                 "input": json.loads(args) if isinstance(args, str) else args}
                for cid, name, args in _named_calls(step)], "tool_use"
    if step.kind == "tool":
        tools = rec.body.get("tools") or [{"name": "tool"}]
        name = step.tool_name or tools[0]["name"]
        args = step.arguments if not isinstance(step.arguments, str) else json.loads(step.arguments)
        return [{"type": "tool_use", "id": "toolu_1", "name": name, "input": args}], "tool_use"
    return [{"type": "text", "text": step.text}], "end_turn"


def _anthropic_usage(usage: tuple[int, int] | None,
                     cache: tuple[int, int] = (0, 0)) -> dict[str, Any]:
    inp, out = usage if usage is not None else (0, 0)
    return {"input_tokens": inp, "output_tokens": out,
            "cache_creation_input_tokens": cache[0], "cache_read_input_tokens": cache[1]}


def _messages_json(h: Any, rec: Recorded, step: Step, usage: tuple[int, int] | None) -> None:
    content, implied = _anthropic_content(rec, step)
    stop = _finish(step, implied)
    h._send_json(200, {"id": "msg_1", "type": "message", "role": "assistant",
                       "model": rec.body.get("model", "fake"), "content": content,
                       "stop_reason": stop, "stop_sequence": None,
                       "usage": _anthropic_usage(usage, step.cache)})


def _messages_sse(h: Any, rec: Recorded, step: Step, usage: tuple[int, int] | None) -> None:
    content, implied = _anthropic_content(rec, step)
    stop = _finish(step, implied)
    inp, out = usage if usage is not None else (0, 0)

    def events() -> Iterator[tuple[str | None, Any]]:
        start_usage = {**_anthropic_usage((inp, 1), step.cache)}
        yield "message_start", {"type": "message_start", "message": {
            "id": "msg_1", "type": "message", "role": "assistant",
            "model": rec.body.get("model", "fake"), "content": [], "stop_reason": None,
            "stop_sequence": None, "usage": start_usage}}
        for index, block in enumerate(content):
            if block["type"] == "text":
                yield "content_block_start", {"type": "content_block_start", "index": index,
                                              "content_block": {"type": "text", "text": ""}}
                yield "content_block_delta", {"type": "content_block_delta", "index": index,
                                              "delta": {"type": "text_delta",
                                                        "text": block["text"]}}
            else:
                yield "content_block_start", {"type": "content_block_start", "index": index,
                                              "content_block": {**block, "input": {}}}
                yield "content_block_delta", {"type": "content_block_delta", "index": index,
                                              "delta": {"type": "input_json_delta",
                                                        "partial_json": json.dumps(block["input"])}}
            yield "content_block_stop", {"type": "content_block_stop", "index": index}
        yield "message_delta", {"type": "message_delta",
                                "delta": {"stop_reason": stop, "stop_sequence": None},
                                "usage": {"output_tokens": out}}
        yield "message_stop", {"type": "message_stop"}

    h.send_sse(events())


# -- OpenAI Responses (Codex) -----------------------------------------------------------------
def _responses_sse(h: Any, rec: Recorded, step: Step, usage: tuple[int, int] | None) -> None:
    inp, out = usage if usage is not None else (0, 0)
    model = rec.body.get("model", "fake")
    resp = {"id": "resp_1", "object": "response", "created_at": 0, "model": model,
            "status": "in_progress", "output": []}
    item = {"type": "message", "id": "msg_1", "role": "assistant", "status": "completed",
            "content": [{"type": "output_text", "text": step.text, "annotations": []}]}

    def events() -> Iterator[tuple[str | None, Any]]:
        yield "response.created", {"type": "response.created", "response": resp}
        yield "response.output_item.added", {
            "type": "response.output_item.added", "output_index": 0,
            "item": {**item, "status": "in_progress", "content": []}}
        yield "response.output_text.delta", {
            "type": "response.output_text.delta", "item_id": "msg_1", "output_index": 0,
            "content_index": 0, "delta": step.text}
        yield "response.output_item.done", {"type": "response.output_item.done",
                                            "output_index": 0, "item": item}
        done = {**resp, "status": "completed", "output": [item], "usage": {
            "input_tokens": inp, "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": out, "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": inp + out}}
        yield "response.completed", {"type": "response.completed", "response": done}

    h.send_sse(events())


_RENDERERS: dict[tuple[str, bool], Callable[[Any, Recorded, Step, tuple[int, int] | None], None]]
_RENDERERS = {
    ("chat", False): _chat_json,
    ("chat", True): _chat_sse,
    ("messages", False): _messages_json,
    ("messages", True): _messages_sse,
    ("responses", True): _responses_sse,
}


def main(argv: list[str] | None = None) -> None:
    """``python fakeserver.py [--latency S]``: serve until killed (for benchmarks).

    Prints the base URL on the first line of stdout. Running it in its own process keeps
    the server's threads off the GIL of the client under measurement.
    """
    import argparse
    import sys

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--latency", type=float, default=0.0)
    options = parser.parse_args(argv)
    with FakeLLMServer(latency=options.latency) as server:
        sys.stdout.write(server.url + "\n")
        sys.stdout.flush()
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
