"""OpenTelemetry traces of runs, with the optional ``otel`` extra.

A run traced exports one trace that follows the OpenTelemetry GenAI semantic conventions:
an ``invoke_workflow`` span for the run, a span per phase, an ``invoke_agent`` span per
agent and ``execute_tool`` spans for its tool calls (:mod:`._spans` draws the tree).
:func:`open_tracing` builds a run's tracing: the observer that makes the spans from the
run's events (:mod:`flowdsl._runtime._events`), and - unless the caller hands in a tracer
provider of its own (a host application's, e.g. Logfire's) - an OTLP/HTTP export
configured from the standard ``OTEL_*`` variables (:mod:`._export`).

Whether a run is traced is decided above (``--otel``, ``otel = true``, an OTLP endpoint in
the environment: :func:`flowdsl._config.otel_choice`); this package is imported only then,
and it imports OpenTelemetry only then: ``import flowdsl`` and the short commands load
none of it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._types import RunResult
from ..errors import UsageError

if TYPE_CHECKING:
    from opentelemetry.sdk.trace.export import SpanExporter
    from opentelemetry.trace import TracerProvider

    from .._runtime import Observer
    from ._export import Export
    from ._spans import RunTracer

__all__ = ["MISSING_EXTRA", "RunTracing", "available", "open_tracing"]

MISSING_EXTRA = "--otel needs the otel extra: pip install 'flowdsl[otel]'"


def available() -> bool:
    """The ``otel`` extra (the SDK and the OTLP/HTTP exporter) can be imported."""
    try:
        import opentelemetry.exporter.otlp.proto.http.trace_exporter
        import opentelemetry.sdk.trace  # noqa: F401
    except ImportError:
        return False
    return True


class RunTracing:
    """The tracing of one run: its observer, the run's outcome, the export's end."""

    def __init__(self, tracer: RunTracer, export: Export | None) -> None:
        self.tracer = tracer
        self.export = export

    @property
    def observers(self) -> tuple[Observer, ...]:
        return (self.tracer,)

    def finish(self, result: RunResult) -> None:
        """The run ended with ``result``: end its spans with its status and error."""
        self.tracer.close(result)

    def close(self) -> str | None:
        """End what is still open, send the spans (a bounded wait; nothing to send with a
        caller's provider: it is the caller's to flush); one warning line, or None."""
        self.tracer.close()
        problem = (f"OpenTelemetry: tracing stopped ({self.tracer.problem})"
                   if self.tracer.problem else None)
        sent = self.export.close() if self.export is not None else None
        return problem or sent


def open_tracing(*, workflow: str, run_id: str | None, backend: str | None,
                 tracer_provider: TracerProvider | None = None,
                 exporter: SpanExporter | None = None) -> RunTracing:
    """The tracing of a run that starts now (its ``invoke_workflow`` span opens).

    Args:
        workflow: the workflow's name.
        run_id: the stored run's id (None: an unstored run).
        backend: the run's backend name.
        tracer_provider: a provider of the caller's to create the spans with; None: one
            of the run's own, exporting over OTLP/HTTP (or to ``exporter``).
        exporter: where the run's own provider sends spans (tests); None: OTLP/HTTP.

    Raises:
        UsageError: no ``tracer_provider`` and the ``otel`` extra is not installed.
    """
    version = _version()
    export = None
    if tracer_provider is None:
        if not available():
            raise UsageError(MISSING_EXTRA)
        from ._export import Export

        export = Export(exporter, version=version)
        tracer_provider = export.provider
    from ._spans import RunTracer

    tracer = tracer_provider.get_tracer("flowdsl", version)
    return RunTracing(RunTracer(tracer, workflow=workflow, run_id=run_id, backend=backend),
                      export)


def _version() -> str:
    """flowdsl's version, from its installed metadata (the package's ``__version__`` is
    in the layer above)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("flowdsl")
    except PackageNotFoundError:
        return "unknown"
