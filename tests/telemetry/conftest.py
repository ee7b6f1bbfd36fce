"""Telemetry tests: an in-memory span exporter, a loopback OTLP/HTTP receiver, and a run
store and environment of their own (no OTEL_* variable of the machine leaks in)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter


@pytest.fixture(autouse=True)
def _own_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLOWDSL_STORE", str(tmp_path / "store"))
    for name in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                 "OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
                 "OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES", "OTEL_SDK_DISABLED",
                 "OTEL_EXPORTER_OTLP_TIMEOUT", "OTEL_EXPORTER_OTLP_PROTOCOL"):
        monkeypatch.delenv(name, raising=False)


@dataclass
class Memory:
    """A tracer provider whose spans end up in a list, at once."""

    provider: TracerProvider
    exporter: InMemorySpanExporter

    def spans(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())


@pytest.fixture
def memory() -> Iterator[Memory]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield Memory(provider, exporter)
    provider.shutdown()


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    request: ExportTraceServiceRequest

    def spans(self) -> list[Any]:
        return [span for rs in self.request.resource_spans for ss in rs.scope_spans
                for span in ss.spans]


@dataclass
class Receiver:
    """An OTLP/HTTP collector on 127.0.0.1: decodes every ``POST /v1/traces``."""

    url: str
    received: list[Received] = field(default_factory=list)

    def spans(self) -> list[Any]:
        return [span for r in self.received for span in r.spans()]

    def wait_for(self, count: int, seconds: float = 30.0) -> list[Any]:
        deadline = time.monotonic() + seconds
        while len(self.spans()) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.spans()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found: list[Received] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            request = ExportTraceServiceRequest()
            request.ParseFromString(body)
            found.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()},
                                  request))
            answer = ExportTraceServiceResponse().SerializeToString()
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Receiver(f"http://127.0.0.1:{server.server_address[1]}", found)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
