"""The script side of a run: the sandboxed script, its scheduler, its tick, its outcome.

A :class:`ScriptRunner` runs one compiled workflow to its end and reports a
:class:`ScriptOutcome`. Everything that costs money or must survive a crash — agents,
the budget, the journal, events — belongs to the run's owner and is reached through the
:class:`RunPort`; the runner holds only what the script itself touches. With process
isolation the runner lives in the child process (``_process._child``); inline, beside
the :class:`Run` in the caller's process.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anyio

from .._frontends import CompiledWorkflow
from .._options import RunOptions
from .._sandbox import ScriptHooks
from .._types import RunStatus
from ..errors import FlowError, RunError, RunTimeout
from ._context import ScriptContext
from ._dispatch import never_awaited_error
from ._halt import Halt
from ._outcome import describe_error, error_location, to_json
from ._port import RunPort
from ._replay_order import ReplayOrder
from ._scheduler import Scheduler

__all__ = ["ScriptOutcome", "ScriptRunner", "beat_interval", "format_bytes"]


@dataclass(frozen=True, slots=True)
class ScriptOutcome:
    """How a script ended: its JSON result, or why it did not finish."""

    status: RunStatus
    value: Any = None
    error: str | None = None


def beat_interval(stall_timeout: float) -> float:
    """How often a script's process shows it is alive: well inside the stall timeout."""
    return min(1.0, stall_timeout / 4)


def format_bytes(n: int) -> str:
    """``2 GiB``, ``512 MiB``, ``1.5 KiB``, ``12 bytes``."""
    for unit, size in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if n >= size:
            value = n / size
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{n} bytes"


class ScriptRunner:
    """Runs one script of a run against a :class:`RunPort`."""

    def __init__(
        self,
        compiled: CompiledWorkflow,
        port: RunPort,
        options: RunOptions,
        *,
        memory_capped: bool = False,
        beat: Callable[[], None] | None = None,
        width: int | None = None,
        report: Callable[[ScriptOutcome], None] | None = None,
    ) -> None:
        """
        Args:
            compiled: the workflow.
            port: the run's owner.
            options: the run's limits (the script side reads the fan-out and output caps).
            memory_capped: the process has ``options.memory_limit`` as its cap, so a
                MemoryError means the cap was reached.
            beat: called from the tick every :func:`beat_interval` while script code
                runs without awaiting (the process boundary's heartbeat).
            width: how many agent calls the script keeps in flight at once (default:
                the run's concurrency). Across the process boundary more are kept in
                flight, so that the run's limiter, not the round trip, sets the pace.
            report: told the outcome as soon as the script ends, before the work it
                left behind is cancelled (the child reports first: whatever that
                cleanup runs cannot delay or change the outcome).
        """
        self.compiled = compiled
        self.port = port
        self.options = options
        self.unclaimed = 0
        """``agent()`` calls alive but neither awaited nor handed to the runtime."""
        self.in_flight = 0
        """``agent()`` calls waiting for the run's answer."""
        self.branches: list[dict[str, Any]] = []
        """Isolated agents that kept their changes, in the order they answered: the
        script's ``branches()``."""
        self.width = width if width is not None else options.concurrency
        self._memory_capped = memory_capped
        self._report = report
        self._beat = beat
        self.beat_interval = beat_interval(options.stall_timeout)
        self._last_beat = time.monotonic()
        self._halt: Halt | None = None
        self._deadline = math.inf
        self._scheduler: Scheduler | None = None
        self._log_bytes = 0
        self.replay_order = ReplayOrder(0, lambda: 0, lambda *_: None)

    # -- what the sandbox and the primitives call -------------------------------------

    def tick(self) -> None:
        """Called in every script loop iteration: end CPU-bound code on stop or deadline,
        and show the process is alive (process isolation)."""
        if self._halt is not None:
            raise self._halt
        now = time.monotonic()
        if now > self._deadline:
            self._halt = Halt(RunTimeout(self.options.run_timeout or 0.0))
            raise self._halt
        if self._beat is not None and now - self._last_beat >= self.beat_interval:
            self._last_beat = now
            self._beat()

    @property
    def hooks(self) -> ScriptHooks:
        """What a script of this run is started with (its tick and the scheduler)."""
        if self._scheduler is None:
            raise RuntimeError("the run is not executing")
        return ScriptHooks(tick=self.tick, scheduler=self._scheduler)

    def halt(self, reason: FlowError | None) -> None:
        """End the script at its next tick (None: stopped). Safe in a signal handler."""
        if self._halt is None:
            self._halt = Halt(reason)

    def never_awaited(self, line: int | None, what: str = "agent()") -> None:
        """A DSL call was dropped unawaited: the script fails at its next tick."""
        if self._halt is None:
            if line is not None:
                line, _ = self.compiled.original_position(line)
            self._halt = Halt(never_awaited_error(self.compiled.path, line, what))

    def check_text(self, what: str, text: Any) -> None:
        """A short text the script names (a label, a phase title) must be a string
        within ``max_log_line`` characters.

        Raises:
            TypeError: not a string.
            RunError: too long.
        """
        if not isinstance(text, str):
            raise TypeError(f"{what} must be a string, not {type(text).__name__}")
        if len(text) > self.options.max_log_line:
            raise RunError(f"{what} of {len(text)} characters is over the limit of "
                           f"{self.options.max_log_line} (max_log_line)")

    def log(self, line: str) -> None:
        """A narrator line, held to the run's log caps.

        Raises:
            RunError: the line, or the run's log in total, is over its cap.
        """
        options = self.options
        if len(line) > options.max_log_line:
            raise RunError(f"log line of {len(line)} characters is over the limit of "
                           f"{options.max_log_line} (max_log_line)")
        self._log_bytes += len(line.encode("utf-8", "surrogatepass")) + 1
        if self._log_bytes > options.max_log_bytes:
            raise RunError(f"the run's log is over {format_bytes(options.max_log_bytes)} "
                           "(max_log_bytes)")
        self.port.log(line)

    # -- execution ---------------------------------------------------------------------

    async def run(self, args: Any) -> ScriptOutcome:
        """Run the script with ``args`` to its end; never raises for it."""
        if self.options.run_timeout is not None:
            self._deadline = time.monotonic() + self.options.run_timeout
        outcome: ScriptOutcome | None = None
        try:
            with anyio.CancelScope(deadline=anyio.current_time() + self._remaining()):
                async with anyio.create_task_group() as tg:
                    self._scheduler = Scheduler(tg, self.width)
                    self.replay_order = ReplayOrder(
                        self.port.replay_count, lambda: self.in_flight, tg.start_soon)
                    context = ScriptContext(self, self.compiled, args)
                    outcome = await self._run_script(context.globals())
                    if self._report is not None:
                        self._report(outcome)
                    # work the script left behind (an un-awaited JS async function) is
                    # cancelled; its loops must not outlive the script
                    self._halt = Halt(None)
                    tg.cancel_scope.cancel()
            if outcome is None:  # cancelled before the script got to its end
                outcome = self._cancelled_outcome()
        finally:
            if self._scheduler is not None:
                self._scheduler.close()
            self._scheduler = None
            # Script code must not outlive its run (a suspended generator's ``finally``
            # runs when it is collected): every later tick ends it at once.
            self._halt = Halt(None)
        return outcome

    def _remaining(self) -> float:
        return self._deadline - time.monotonic()

    def _cancelled_outcome(self) -> ScriptOutcome:
        if self._halt is not None and self._halt.reason is not None:
            return ScriptOutcome("failed", error=str(self._halt.reason))
        if self._halt is not None:
            return ScriptOutcome("stopped", error="run stopped")
        return ScriptOutcome("failed", error=str(RunTimeout(self.options.run_timeout or 0.0)))

    def memory_error(self) -> str:
        if self._memory_capped:
            return f"memory limit of {format_bytes(self.options.memory_limit)} exceeded"
        return "out of memory"

    async def _run_script(self, dsl: dict[str, object]) -> ScriptOutcome:
        path = self.compiled.path
        try:
            raw = await self.compiled.start(dsl, self.hooks)
        except Halt as halt:
            if halt.reason is None:
                return ScriptOutcome("stopped", error="run stopped")
            return ScriptOutcome("failed", error=str(halt.reason))
        except MemoryError as exc:
            where = error_location(self.compiled, exc)
            return ScriptOutcome("failed", error=f"{where}: {self.memory_error()}")
        except Exception as exc:
            return ScriptOutcome("failed", error=describe_error(self.compiled, exc))
        if self._halt is not None:  # a call dropped unawaited as the script ended
            return ScriptOutcome("failed", error=str(self._halt.reason or "run stopped"))
        try:
            value = to_json(raw)
            size = len(json.dumps(value))  # as it travels: ASCII JSON
        except (TypeError, ValueError) as exc:  # ValueError: an int past the digit limit
            return ScriptOutcome("failed",
                                 error=f"{path}: the result is not JSON-compatible: {exc}")
        except RecursionError:
            return ScriptOutcome("failed", error=(f"{path}: the result is not JSON-compatible: "
                                                  "it is circular or nested too deeply"))
        except MemoryError:
            return ScriptOutcome("failed", error=f"{path}: {self.memory_error()}")
        if size > self.options.max_result_bytes:
            return ScriptOutcome("failed", error=(
                f"{path}: the result is {format_bytes(size)}, over the limit of "
                f"{format_bytes(self.options.max_result_bytes)} (max_result_bytes)"))
        return ScriptOutcome("completed", value)
