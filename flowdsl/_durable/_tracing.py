"""A run's OpenTelemetry trace, when it has one, around one execution of the run.

Every execution path - a foreground run, a background worker, a resume, the Python API,
the MCP server - goes through :func:`run_tracing`, so a traced run is traced wherever it
runs: the choice travels in the run's options (``otel``, stored with the run), the
collector and its credentials in the standard ``OTEL_*`` variables a worker inherits.
Tracing is on when asked for (``--otel``, ``otel = true``, ``otel=True``), when the caller
hands in a tracer provider, or when the environment names an OTLP endpoint
(:func:`flowdsl._config.otel_choice`). Asked for without the ``otel`` extra it is an error
before the run starts; on by the environment alone it is skipped with a one-line notice.

At the end the spans are sent within a bounded wait (:mod:`flowdsl._telemetry._export`),
off the event loop: other runs of the same process go on meanwhile.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Protocol

import anyio
import anyio.to_thread

from .._config import otel_choice
from .._options import RunOptions
from .._runtime import Observer
from .._types import RunResult
from ..errors import UsageError

if TYPE_CHECKING:
    from opentelemetry.trace import TracerProvider

__all__ = ["Tracing", "check_tracing", "run_tracing"]

_NO_EXTRA = ("flowdsl: notice: an OTLP endpoint is set but the otel extra is not "
             "installed: this run is not traced (pip install 'flowdsl[otel]', or --no-otel)")


class Tracing(Protocol):
    """What an execution needs of a run's tracing."""

    @property
    def observers(self) -> tuple[Observer, ...]: ...

    def finish(self, result: RunResult) -> None: ...


class _Untraced:
    observers: tuple[Observer, ...] = ()

    def finish(self, result: RunResult) -> None:
        pass


def _warn(line: str) -> None:
    print(line if line.startswith("flowdsl: ") else f"flowdsl: warning: {line}",
          file=sys.stderr, flush=True)


def check_tracing(options: RunOptions, tracer_provider: TracerProvider | None = None) -> None:
    """Raise before a run starts when it asks for tracing that cannot be had.

    Raises:
        UsageError: tracing was asked for and the ``otel`` extra is not installed.
    """
    if tracer_provider is None and otel_choice(options.otel) == "on":
        from .._telemetry import MISSING_EXTRA, available

        if not available():
            raise UsageError(MISSING_EXTRA)


@asynccontextmanager
async def run_tracing(options: RunOptions, *, workflow: str, run_id: str | None,
                      backend: object = None, tracer_provider: TracerProvider | None = None,
                      warn: Callable[[str], None] = _warn) -> AsyncIterator[Tracing]:
    """The tracing of one execution of a run (a do-nothing one when it is off).

    Args:
        options: the run's options (``otel``, ``backend``).
        workflow: the workflow's name. run_id: the stored run's id (None: unstored).
        backend: the run's live backend (its ``name``, else ``options.backend``, is the
            agents' ``gen_ai.provider.name``).
        tracer_provider: the caller's provider (traced whatever ``options.otel`` says).
        warn: told the one line of a trace not sent, or of tracing skipped.

    Raises:
        UsageError: tracing was asked for and the ``otel`` extra is not installed.
    """
    choice = otel_choice(options.otel)
    if tracer_provider is None and choice == "off":
        yield _Untraced()
        return
    from .._telemetry import available, open_tracing

    if tracer_provider is None and choice == "auto" and not available():
        warn(_NO_EXTRA)
        yield _Untraced()
        return
    name = getattr(backend, "name", None)
    tracing = open_tracing(workflow=workflow, run_id=run_id,
                           backend=name if isinstance(name, str) else options.backend,
                           tracer_provider=tracer_provider)
    try:
        yield tracing
    finally:
        with anyio.CancelScope(shield=True):  # bounded: the export waits at most seconds
            try:
                problem = await anyio.to_thread.run_sync(tracing.close)
            except Exception as exc:  # the run's outcome stands whatever the export did
                problem = f"OpenTelemetry: export failed ({type(exc).__name__}: {exc})"
        if problem is not None:
            warn(problem)
