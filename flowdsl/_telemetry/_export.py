"""Exporting a run's spans over OTLP/HTTP, and the bounded wait for them at its end.

A run gets a ``TracerProvider`` of its own - never the process's global one, which belongs
to the host application - with a ``BatchSpanProcessor`` feeding the OTLP/HTTP (protobuf)
exporter. The exporter and the SDK read the standard variables themselves:
``OTEL_EXPORTER_OTLP_ENDPOINT`` / ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` (where),
``OTEL_EXPORTER_OTLP_HEADERS`` (how Langfuse, Logfire and most vendors authenticate),
``OTEL_EXPORTER_OTLP_TIMEOUT``, ``OTEL_SERVICE_NAME`` and ``OTEL_RESOURCE_ATTRIBUTES``;
the service is ``flowdsl`` unless they name another.

At the run's end :meth:`Export.close` flushes and shuts the provider down in a thread of
its own and waits at most :data:`FLUSH_SECONDS`: a CLI run does not exit before its spans
are sent, and an unreachable collector costs at most that wait and one warning line,
never the run. The SDK's own log records (retries, failures) would reach the terminal as
multi-line messages through logging's last-resort handler when the application configured
no logging; they are silenced then, and the export's outcome is told in that one line.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

__all__ = ["FLUSH_SECONDS", "Export"]

FLUSH_SECONDS = 5.0
"""How long the end of a run waits for its spans to be sent."""


class _Counted(SpanExporter):
    """The real exporter, counting the spans it failed to send."""

    def __init__(self, inner: SpanExporter) -> None:
        self.inner = inner
        self.sent = 0
        self.failed = 0

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        try:
            result = self.inner.export(spans)
        except Exception:  # an exporter bug must not reach the run either
            result = SpanExportResult.FAILURE
        if result is SpanExportResult.SUCCESS:
            self.sent += len(spans)
        else:
            self.failed += len(spans)
        return result

    def shutdown(self) -> None:
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.inner.force_flush(timeout_millis)


class Export:
    """A run's own tracer provider and the exporter behind it.

    Args:
        exporter: where spans go (default: OTLP/HTTP configured from the environment).
        version: flowdsl's version (``service.version``).
    """

    def __init__(self, exporter: SpanExporter | None = None, *, version: str = "") -> None:
        if exporter is None:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            exporter = OTLPSpanExporter()
        self.endpoint = str(getattr(exporter, "_endpoint", "") or "the collector")
        self.exporter = _Counted(exporter)
        # shutdown_on_exit=False: the SDK's atexit hook would wait 30 s for a dead collector
        self.provider = TracerProvider(resource=_resource(version), shutdown_on_exit=False)
        self.provider.add_span_processor(BatchSpanProcessor(self.exporter))
        _quiet_sdk_logs()

    def close(self, timeout: float = FLUSH_SECONDS) -> str | None:
        """Send what is left and shut down, waiting at most ``timeout`` seconds.

        Returns:
            None when every span was sent, else one line saying what was not.
        """
        done = threading.Thread(target=self._finish, name="flowdsl-otel-flush", daemon=True)
        done.start()
        done.join(timeout)
        if done.is_alive():
            self.exporter.shutdown()  # ends the exporter's retry waits; the thread ends soon
            return (f"OpenTelemetry: spans not sent to {self.endpoint} within {timeout:g} s "
                    "(is the collector reachable?)")
        if self.exporter.failed:
            return (f"OpenTelemetry: {self.exporter.failed} span(s) could not be sent to "
                    f"{self.endpoint}")
        return None

    def _finish(self) -> None:
        self.provider.force_flush()
        self.provider.shutdown()


def _resource(version: str) -> Resource:
    """``service.name=flowdsl`` unless ``OTEL_SERVICE_NAME`` / ``OTEL_RESOURCE_ATTRIBUTES``
    name the service (the SDK reads them: no name found reads ``unknown_service``)."""
    detected = Resource.create({"service.version": version} if version else {})
    if str(detected.attributes.get("service.name", "")).startswith("unknown_service"):
        detected = detected.merge(Resource({"service.name": "flowdsl"}))
    return detected


def _quiet_sdk_logs() -> None:
    """No SDK log record reaches a terminal raw when logging is not configured (then only
    logging's last-resort handler would print them); configured logging still gets them."""
    if not logging.getLogger().handlers:
        sdk = logging.getLogger("opentelemetry")
        if not any(isinstance(h, logging.NullHandler) for h in sdk.handlers):
            sdk.addHandler(logging.NullHandler())
