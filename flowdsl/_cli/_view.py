"""What a foreground run shows: a rich live view on a terminal (:mod:`._live_view`), plain
lines otherwise, and the summary at the end (loud when agents failed)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, TextIO

from .._terminal_text import indented, one_line, printable, printable_json
from .._types import RunResult
from ._cost import format_cost, unpriced_models
from ._live_view import LiveView
from ._progress import Clock, Progress, grouped_reasons

# rich (~45 ms of imports) is for a terminal only: imported by LiveView and make_view when
# they draw on one, never for plain lines, --json or the summary.
if TYPE_CHECKING:
    from .._runtime import RunEvent

__all__ = ["MIN_LIVE_WIDTH", "PROGRESS_EVERY", "LiveView", "PlainView", "Progress",
           "format_summary", "make_view"]

MIN_LIVE_WIDTH = 80
"""Narrower terminals get plain lines: the live region would wrap and smear."""
PROGRESS_EVERY = 5.0
"""Seconds between two progress lines of the plain view (none when nothing changed)."""


class PlainView(Progress):
    """One line per phase, log line and agent without a result, on stderr (for pipes, CI
    logs and terminals narrower than 80 columns); a progress line at most every
    :data:`PROGRESS_EVERY` seconds, when agents started or ended meanwhile.

    What the script wrote is shown through ``_terminal_text``: control characters as
    visible escapes, a multi-line log line or error indented under its first line.
    """

    def __init__(self, stream: TextIO, *, budget: int | None = None,
                 max_cost: float | None = None, clock: Clock = time.monotonic) -> None:
        super().__init__(budget=budget, max_cost=max_cost, clock=clock)
        self.stream = stream
        self._due = self.started + PROGRESS_EVERY
        self._shown = (0, 0)  # (finished, running) when the last progress line was printed

    def __call__(self, event: RunEvent) -> None:
        super().__call__(event)
        if self.clock() >= self._due:
            self._progress_line()

    def _progress_line(self) -> None:
        self._due = self.clock() + PROGRESS_EVERY
        state = (self.finished, len(self.running))
        if state == self._shown:
            return
        self._shown = state
        words = [f"{self.elapsed:.0f}s", self.counts_words(), *self.budget_words()]
        self._print(".. " + " · ".join(words))

    def phase_started(self, title: str) -> None:
        self._print(f"== {one_line(title)}")

    def logged(self, text: str) -> None:
        self._print(f"   {indented(text, '   ')}")

    def agent_failed(self, index: int, label: str | None, status: str,
                     error: str | None) -> None:
        who = one_line(label or f"agent #{index + 1}")
        self._print(f"!! {who} {status}: {indented(str(error), '   ')}")

    def _print(self, line: str) -> None:
        print(line, file=self.stream, flush=True)

    def __enter__(self) -> PlainView:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def make_view(stream: TextIO, *, budget: int | None, max_cost: float | None,
              ) -> LiveView | PlainView:
    """The view of a foreground run on ``stream``: live on a terminal at least
    :data:`MIN_LIVE_WIDTH` columns wide, plain lines otherwise.

    Args:
        stream: where to draw (stderr).
        budget: the run's token budget, if it has one (the live view draws a bar).
        max_cost: the run's cost cap in USD, if it has one.
    """
    if stream.isatty():
        from rich.console import Console

        console = Console(file=stream)
        if console.is_terminal and not console.is_dumb_terminal \
                and console.width >= MIN_LIVE_WIDTH:
            return LiveView(console, budget=budget, max_cost=max_cost)
    return PlainView(stream, budget=budget, max_cost=max_cost)


def format_summary(result: RunResult, *, dry_run: bool = False) -> str:
    """The end-of-run summary; says loudly when agents failed. Safe on a terminal.

    ``dry_run``: the run was simulated; its cost line is left out (the simulate backend
    costs nothing: the dry-run projection prices the run, :mod:`._dry_run`).
    """
    counts = result.outcomes()
    total, failed = counts["total"], result.agents_failed
    usage = result.usage
    lines = [f"status: {result.status}" + (f" (run {result.run_id})" if result.run_id else "")]
    shown = [f"{counts[k]} {k}" for k in ("ok", "failed", "refused", "cancelled")
             if counts[k] or k in ("ok", "failed")]
    agents = "agents: " + ", ".join(shown)
    if counts["replayed"]:
        agents += f" ({counts['replayed']} replayed from the journal)"
    lines.append(agents)
    if failed:
        share = failed / total if total else 0
        lines.append(f"WARNING: {failed} of {total} agents did not succeed ({share:.0%})"
                     + (" — most of the run's agents" if share > 0.5 else ""))
        lines += [f"  {n} × {indented(reason, '    ')}" for reason, n in failure_reasons(result)]
    tokens = f"tokens: {usage.input_tokens:,} in / {usage.output_tokens:,} out"
    if usage.estimated:
        tokens += " (estimated)"
    lines.append(tokens)
    if not dry_run:
        lines.append(f"cost: {format_cost(usage, unpriced_models(result.agents))}")
    lines.append(f"duration: {result.duration:.2f} s")
    if result.error:
        lines.append(f"error: {printable(result.error)}")
    return "\n".join(lines)


def failure_reasons(result: RunResult, limit: int = 8) -> list[tuple[str, int]]:
    """The reasons agents did not succeed, grouped, most frequent first:
    ``[("refused: BudgetExceeded", 65), ("BackendError: HTTP 500 ...", 43), ...]``."""
    return grouped_reasons(((record.status, record.error, 1) for record in result.agents
                            if not record.ok), limit)


def format_value(value: Any) -> str:
    """The result as printed: a string as is, anything else as indented JSON; both safe
    on a terminal (the JSON stays valid JSON of the same value)."""
    if isinstance(value, str):
        return printable(value)
    return printable_json(value, indent=2)
