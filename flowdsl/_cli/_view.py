"""What a foreground run shows: a rich live view on a terminal, plain lines otherwise,
and the summary at the end (loud when agents failed)."""

from __future__ import annotations

import sys
import time
from collections import Counter
from types import TracebackType
from typing import TYPE_CHECKING, Any, TextIO

from .._runtime import AgentFinished, AgentStarted, LogLine, PhaseStarted, RunEvent
from .._terminal_text import indented, one_line, printable, printable_json
from .._types import RunResult, Usage
from ._cost import format_cost, unpriced_models

# rich (~45 ms of imports) is for a terminal only: imported by LiveView and make_view when
# they draw on one, never for plain lines, --json or the summary.
if TYPE_CHECKING:
    from rich.console import Console, Group

__all__ = ["LiveView", "PlainView", "Progress", "format_summary", "make_view"]


class Progress:
    """Counters an observer keeps up to date; both views render them."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.phase: str | None = None
        self.phases: list[str] = []
        self.running = 0
        self.done = 0
        self.failed = 0
        self.usage = Usage()
        self.last_log: str | None = None

    def __call__(self, event: RunEvent) -> None:
        if isinstance(event, PhaseStarted):
            self.phase = event.title
            if event.title not in self.phases:
                self.phases.append(event.title)
        elif isinstance(event, AgentStarted):
            self.running += 1
        elif isinstance(event, AgentFinished):
            if event.record.status != "replayed":
                self.running -= 1
            self.done += 1
            self.usage = self.usage + event.record.usage
            if not event.record.ok:
                self.failed += 1
        elif isinstance(event, LogLine):
            self.last_log = event.text

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started


class PlainView(Progress):
    """One line per phase, log line and failed agent, on stderr (for pipes and CI logs).

    What the script wrote is shown through ``_terminal_text``: control characters as
    visible escapes, a multi-line log line or error indented under its first line.
    """

    def __init__(self, stream: TextIO) -> None:
        super().__init__()
        self.stream = stream

    def __call__(self, event: RunEvent) -> None:
        super().__call__(event)
        line: str | None = None
        if isinstance(event, PhaseStarted):
            line = f"== {one_line(event.title)}"
        elif isinstance(event, LogLine):
            line = f"   {indented(event.text, '   ')}"
        elif isinstance(event, AgentFinished) and not event.record.ok:
            who = one_line(event.record.request.label or f"agent #{event.index + 1}")
            line = f"!! {who} {event.record.status}: {indented(str(event.record.error), '   ')}"
        if line is not None:
            print(line, file=self.stream, flush=True)

    def __enter__(self) -> PlainView:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


class LiveView(Progress):
    """A rich live panel: phases, agents running/done/failed, tokens, elapsed.

    Script text enters only as ``Text`` (never parsed as markup), through ``_terminal_text``.
    """

    def __init__(self, console: Console) -> None:
        from rich.live import Live

        super().__init__()
        self.console = console
        self.logs: list[str] = []
        self._live = Live(console=console, refresh_per_second=8, transient=True,
                          get_renderable=self.render)

    def __call__(self, event: RunEvent) -> None:
        super().__call__(event)
        if isinstance(event, LogLine):
            from rich.text import Text

            self.console.print(Text(printable(event.text), style="dim"))

    def render(self) -> Group:
        from rich.console import Group
        from rich.table import Table
        from rich.text import Text

        table = Table.grid(padding=(0, 2))
        table.add_row(
            Text("phase", style="bold"), Text(one_line(self.phase or "-")),
            Text("agents", style="bold"),
            Text(f"{self.running} running · {self.done} done · ")
            + Text(f"{self.failed} failed", style="bold red" if self.failed else ""),
        )
        table.add_row(
            Text("tokens", style="bold"),
            Text(f"{self.usage.input_tokens:,} in / {self.usage.output_tokens:,} out"),
            Text("elapsed", style="bold"), Text(f"{self.elapsed:.1f} s"),
        )
        phases = Text(" → ").join(
            Text(one_line(p), style="bold" if p == self.phase else "") for p in self.phases
        )
        return Group(phases, table)

    def __enter__(self) -> LiveView:
        self._live.__enter__()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._live.__exit__(exc_type, exc, tb)


def make_view(stream: TextIO | None = None) -> LiveView | PlainView:
    stream = stream or sys.stderr
    if stream.isatty():
        from rich.console import Console

        return LiveView(Console(file=stream))
    return PlainView(stream)


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
    groups: Counter[str] = Counter()
    for record in result.agents:
        if record.ok:
            continue
        reason = one_line(record.error or record.status, 100)
        if record.status == "timeout":
            reason = "timeout"
        elif record.status == "refused":
            reason = "refused: " + reason.split(":", 1)[0]
        elif record.status == "cancelled":
            reason = "cancelled"
        groups[reason] += 1
    ranked = groups.most_common()
    if len(ranked) > limit:
        rest = sum(n for _, n in ranked[limit - 1:])
        ranked = [*ranked[:limit - 1], ("other reasons", rest)]
    return ranked


def format_value(value: Any) -> str:
    """The result as printed: a string as is, anything else as indented JSON; both safe
    on a terminal (the JSON stays valid JSON of the same value)."""
    if isinstance(value, str):
        return printable(value)
    return printable_json(value, indent=2)
