"""Watching a stored run from another process: what ``runs status`` adds to its lines, and
``runs logs --follow``'s loop with its running line.

Both read what the run's worker keeps in the store: the labels of the agents running
now (written by its supervisor at most twice a second, oldest first), the journal's
outcome counts, failures counted by status and error, the last phase event, and the
run's caps (its stored options). Everything from the run is printed through
``_terminal_text``. Neither rich nor the runtime is imported.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

from .._store import RUNNING_SHOWN, failure_counts
from .._terminal_text import indented, one_line
from ._progress import Clock, budget_words, counts_words, grouped_reasons, short_duration

if TYPE_CHECKING:
    from .._store import EventRow, RunInfo, Store
    from .._types import JSONValue

__all__ = ["FOLLOW_POLL", "PROGRESS_EVERY", "RunningLine", "agent_lines", "caps",
           "failure_groups", "failure_lines", "follow", "status_json"]

FOLLOW_POLL = 0.2
"""Seconds between two reads of a followed run."""
PROGRESS_EVERY = 10.0
"""Seconds between two progress lines of ``runs logs -f`` off a terminal."""
RUNNING_LISTED = 10
"""Running agents ``runs status`` lists by label."""


def caps(info: RunInfo) -> tuple[int | None, float | None]:
    """The run's token budget and cost cap, from its stored options."""
    budget, max_cost = info.options.get("budget"), info.options.get("max_cost")
    return (budget if isinstance(budget, int) else None,
            float(max_cost) if isinstance(max_cost, int | float) else None)


def failure_groups(store: Store, run_id: str, limit: int = 8) -> list[tuple[str, int]]:
    """The run's not-ok agents grouped by reason (as the run's summary groups them), most
    frequent first; past ``limit`` reasons the rest are "other reasons"."""
    return grouped_reasons(((row.status, row.error, row.count)
                            for row in failure_counts(store, run_id)), limit)


def _running_count(info: RunInfo) -> str:
    n = len(info.running)
    return f"{n}+" if n >= RUNNING_SHOWN else str(n)


def _started(outcomes: dict[str, int], info: RunInfo) -> str:
    n = sum(outcomes.values()) + len(info.running)
    return f"{n}+" if len(info.running) >= RUNNING_SHOWN else str(n)


def agent_lines(info: RunInfo, outcomes: dict[str, int]) -> list[str]:
    """``runs status``'s lines about the agents: counts by outcome, the running ones
    (oldest first), spending against the run's caps. Safe to print."""
    pad = " " * 10
    lines = ["agents:   " + counts_words(outcomes, _running_count(info), _started(outcomes, info))]
    if info.running:
        now = time.time()
        listed = [(f"{short_duration(now - since):>7}  " if since is not None else "")
                  + one_line(label, 120) for label, since in info.running_since[:RUNNING_LISTED]]
        more = len(info.running) - len(listed)
        lines.append("running:  " + listed[0] + ("   (oldest first)" if len(listed) > 1 else ""))
        lines += [pad + label for label in listed[1:]]
        if more:
            plus = "+" if len(info.running) >= RUNNING_SHOWN else ""
            lines.append(f"{pad}… and {more}{plus} more")
    budget, max_cost = caps(info)
    for words in budget_words(info.usage, budget, max_cost):
        lines.append(("budget:   " if " tokens " in words else "cost cap: ") + words)
    return lines


def failure_lines(store: Store, run_id: str) -> list[str]:
    """``runs status``'s failures, grouped by reason, most frequent first."""
    pad = " " * 10
    return [("failures: " if i == 0 else pad) + f"{n} × {indented(reason, pad)}"
            for i, (reason, n) in enumerate(failure_groups(store, run_id))]


def status_json(store: Store, info: RunInfo) -> dict[str, JSONValue]:
    """What ``runs status --json`` adds: the phase, failures by reason, the caps."""
    phase = store.last_event(info.id, "phase")
    budget, max_cost = caps(info)
    return {
        "phase": phase.text if phase is not None else None,
        "failures": [{"reason": reason, "count": n}
                     for reason, n in failure_groups(store, info.id)],
        "budget": budget,
        "max_cost": max_cost,
    }


class RunningLine:
    """``runs logs -f``'s progress of a live run: on a terminal one line redrawn in place
    under the events (cleared before each event is printed); elsewhere a plain line at
    most every :data:`PROGRESS_EVERY` seconds, when something changed."""

    def __init__(self, out: TextIO, *, terminal: bool, clock: Clock = time.monotonic) -> None:
        self.out = out
        self.terminal = terminal
        self.clock = clock
        self._shown = False
        self._due = clock() + PROGRESS_EVERY
        self._last = ""

    def text(self, store: Store, info: RunInfo) -> str:
        outcomes = store.outcomes(info.id)
        words = [counts_words(outcomes, _running_count(info), _started(outcomes, info))]
        words += budget_words(info.usage, *caps(info))
        if info.running:
            now = time.time()
            words.append("running: " + ", ".join(
                one_line(label, 60) + (f" {short_duration(now - since)}" if since else "")
                for label, since in info.running_since[:5])
                         + (", …" if len(info.running) > 5 else ""))
        return " · ".join(words)

    def update(self, store: Store, info: RunInfo) -> None:
        if not self.terminal:
            if self.clock() < self._due:
                return
            self._due = self.clock() + PROGRESS_EVERY
        text = self.text(store, info)
        if self.terminal:
            if self._shown and text == self._last:
                return  # unchanged: no write
            width = max(20, shutil.get_terminal_size().columns - 1)
            self.out.write("\r\x1b[2K" + one_line(f".. {text}", width))
            self.out.flush()
            self._shown = True
        elif text != self._last:
            print(f"{time.strftime('%H:%M:%S')} .. {text}", file=self.out, flush=True)
        self._last = text

    def clear(self) -> None:
        if self._shown:
            self.out.write("\r\x1b[2K")
            self.out.flush()
            self._shown = False


def follow(store: Store, run_id: str, *, emit: Callable[[EventRow], None], until_end: bool,
           line: RunningLine | None, sleep: Callable[[float], None] = time.sleep) -> None:
    """Print the run's events through ``emit``; with ``until_end``, until the run ends,
    with ``line`` (if any) under them while it runs."""
    last = 0
    while True:
        info = store.get_run(run_id)
        live = info.live  # read before the events: none is missed
        events = store.events(run_id, after=last)
        if events and line is not None:
            line.clear()
        for event in events:
            emit(event)
            last = event.id
        if not until_end or not live:
            if line is not None:
                line.clear()
            return
        if line is not None:
            line.update(store, info)
        sleep(FOLLOW_POLL)
