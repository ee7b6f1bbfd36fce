"""The live view of a foreground run on a terminal at least 80 columns wide.

Above a live region that redraws in place, lines that stay in the scrollback: each phase
header, each log line, each agent that ends without a result (label and one-line
reason). The region shows the phase, the agents by outcome against the number started,
a bar per cap the run has (tokens, USD), tokens and cost, and the longest-running agents.

Drawing is throttled to ``refresh_per_second`` (10): an event draws only when the last
draw is that old; a ticker thread draws when the run is quiet (agents that take minutes),
under the same throttle, so elapsed times move and a failure shows within 1/10 s. Events
themselves only update counters and queue their line (:class:`~._progress.Progress`):
a 1000-agent fan-out pays ~one clock read per event, not a redraw. Many failures in one
draw are capped at :data:`FAILURES_PER_DRAW` lines plus a count (the summary groups them).

Script text enters only as ``Text`` (never parsed as markup), through ``_terminal_text``.
rich is imported only when a ``LiveView`` is made.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from types import TracebackType
from typing import TYPE_CHECKING

from .._terminal_text import one_line, printable
from ._cost import format_cost
from ._progress import Clock, Progress, short_duration

if TYPE_CHECKING:
    from rich.console import Console, Group, RenderableType
    from rich.text import Text

    from .._runtime import RunEvent

__all__ = ["FAILURES_PER_DRAW", "LiveView"]

FAILURES_PER_DRAW = 10
"""Failure lines printed by one draw; more become one "… and K more" line."""

_BAR = 30


class LiveView(Progress):
    """A rich live region on ``console``, with phases, logs and failures kept above it.

    Args:
        console: where to draw (a terminal, or a forced-terminal console in tests).
        budget: the run's token budget (draws a bar), if any.
        max_cost: the run's cost cap in USD (draws a bar), if any.
        clock: a monotonic clock (a fake one in tests).
        refresh_per_second: the most draws a second.
        ticker: draw from a thread when no event comes (off in tests: draws then happen
            only on events and on exit, so they can be counted).
        max_running: the most running agents listed.
    """

    def __init__(self, console: Console, *, budget: int | None = None,
                 max_cost: float | None = None, clock: Clock = time.monotonic,
                 refresh_per_second: float = 10.0, ticker: bool = True,
                 max_running: int = 8) -> None:
        from rich.live import Live

        super().__init__(budget=budget, max_cost=max_cost, clock=clock)
        self.console = console
        self.max_running = max_running
        self.redraws = 0
        self._interval = 1.0 / refresh_per_second
        self._due = self.started
        self._above: deque[tuple[str, str]] = deque()  # thread-safe appends and pops
        self._drawing = threading.Lock()
        self._use_ticker = ticker
        self._ticker: threading.Thread | None = None
        self._stop = threading.Event()
        self._live = Live(console=console, auto_refresh=False, transient=True,
                          get_renderable=self.render)

    # -- events ------------------------------------------------------------------------

    def __call__(self, event: RunEvent) -> None:
        super().__call__(event)
        if self.clock() >= self._due:
            self.draw()

    def phase_started(self, title: str) -> None:
        self._above.append(("phase", title))

    def logged(self, text: str) -> None:
        self._above.append(("log", text))

    def agent_failed(self, index: int, label: str | None, status: str,
                     error: str | None) -> None:
        self._above.append(("failed", self.failure_line(index, label, status, error)))

    # -- drawing -----------------------------------------------------------------------

    def tick(self) -> None:
        """Draw if the last draw is older than the throttle allows (the ticker's call)."""
        if self.clock() >= self._due:
            self.draw()

    def draw(self) -> None:
        """Print the queued lines above the region and redraw it (one buffered write)."""
        if not self._drawing.acquire(blocking=False):
            return  # the other thread is drawing this very moment
        try:
            self._due = self.clock() + self._interval
            self.redraws += 1
            above = self._take_above()
            with self.console:  # one write: the lines, then the region
                if above is not None:
                    self.console.print(above)
                self._live.refresh()
        finally:
            self._drawing.release()

    def _take_above(self) -> Group | None:
        from rich.console import Group
        from rich.text import Text

        lines: list[RenderableType] = []
        hidden = 0
        failures = 0
        while self._above:
            kind, text = self._above.popleft()
            if kind == "phase":  # the whole title, wrapped if need be: it stays
                title = one_line(text, 1000)
                fill = self.console.width - len(title) - 4
                lines.append(Text.assemble(("── ", "dim"), (title, "bold"),
                                           (" " + "─" * fill if fill > 0 else "", "dim")))
            elif kind == "log":
                lines.append(Text(printable(text), style="dim"))
            elif failures < FAILURES_PER_DRAW:
                failures += 1
                lines.append(Text("✗ " + text, style="red", no_wrap=True, overflow="ellipsis"))
            else:
                hidden += 1
        if hidden:
            lines.append(Text(f"✗ … and {hidden} more agents without a result "
                              "(grouped in the summary)", style="red"))
        return Group(*lines) if lines else None

    def render(self) -> Group:
        """The live region."""
        from rich.console import Group
        from rich.table import Table
        from rich.text import Text

        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="bold", no_wrap=True, width=8)
        grid.add_column(no_wrap=True, overflow="ellipsis")
        grid.add_row("phase", self._phase_text())
        grid.add_row("agents", self._agents_text())
        for name, spent, cap, words in self._caps():
            grid.add_row(name, _bar(spent, cap) + Text("  " + words))
        usage = self.usage
        tokens = f"{usage.input_tokens:,} in / {usage.output_tokens:,} out"
        if usage.estimated:
            tokens += " (estimated)"
        if usage.cost_usd or not usage.cost_complete:
            tokens += " · " + format_cost(usage)
        grid.add_row("tokens", Text(tokens))
        grid.add_row("elapsed", Text(short_duration(self.elapsed)))
        shown = max(1, min(self.max_running, self.console.height - 10))
        oldest = self.oldest_running(shown)
        for i, (label, seconds) in enumerate(oldest):
            grid.add_row("running" if i == 0 else "",
                         Text(f"{short_duration(seconds):>7}  {label}"))
        more = len(self.running) - len(oldest)
        if more > 0:
            grid.add_row("", Text(f"… and {more} more", style="dim"))
        return Group(grid)

    def _phase_text(self) -> Text:
        from rich.text import Text

        if not self.phases:
            return Text("-", style="dim")
        current = self.phase
        return Text(" → ").join(
            Text(one_line(p, 60), style="bold" if p == current else "dim")
            for p in list(self.phases))

    def _agents_text(self) -> Text:
        from rich.text import Text

        text = Text(self.counts_words())
        if self.not_ok:
            text.stylize("bold red")
        return text

    def _caps(self) -> list[tuple[str, float, float, str]]:
        words = self.budget_words()
        caps: list[tuple[str, float, float]] = []
        if self.budget is not None:
            caps.append(("budget", self.input_tokens + self.output_tokens, self.budget))
        if self.max_cost is not None:
            caps.append(("cost cap", self.cost_usd, self.max_cost))
        return [(*cap, w) for cap, w in zip(caps, words, strict=True)]

    # -- lifetime ----------------------------------------------------------------------

    def _tick_until_stopped(self) -> None:
        while not self._stop.wait(self._interval):
            self.tick()

    def __enter__(self) -> LiveView:
        self._live.start()
        self.draw()
        if self._use_ticker:
            self._ticker = threading.Thread(target=self._tick_until_stopped,
                                            name="flowdsl-live-view", daemon=True)
            self._ticker.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
        self._drawing.acquire()  # no draw is under way; none comes: draw the last lines
        try:
            above = self._take_above()
            if above is not None:
                self.console.print(above)
        finally:
            self._drawing.release()
        self._live.stop()


def _bar(spent: float, cap: float) -> Text:
    from rich.text import Text

    share = min(1.0, spent / cap) if cap > 0 else 1.0
    filled = round(share * _BAR)
    style = "red" if share >= 0.9 else "yellow" if share >= 0.7 else "green"
    return Text("━" * filled, style=style) + Text("─" * (_BAR - filled), style="dim")
