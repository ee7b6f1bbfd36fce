"""What a run has done so far, kept by an observer, and its words: the counters both views
(:mod:`._view`, :mod:`._live_view`) render, and the phrases ``runs status`` shares.

Observers are called on the run's event loop for every event, so :meth:`Progress.__call__`
does O(1) work: it dispatches on the event's ``kind`` tag, bumps integers and keeps the
running agents in a dict by index (insertion order is start order: its first entries are
the longest-running). Nothing is formatted or sanitised per event; the views format what
they show when they draw (at most ~10 times a second). Neither rich nor the runtime is
imported here: ``runs status`` uses the phrases without loading either.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from itertools import islice
from typing import TYPE_CHECKING

from .._terminal_text import one_line
from .._types import Usage
from ._cost import format_cost

if TYPE_CHECKING:
    from .._runtime import RunEvent

__all__ = ["OUTCOMES", "Clock", "Progress", "budget_words", "counts_words", "failure_reason"]

Clock = Callable[[], float]
"""Seconds on a monotonic clock (``time.monotonic``; a fake one in tests)."""

OUTCOMES = ("ok", "failed", "refused", "cancelled", "replayed")
"""How an agent call can end, as counted (``timeout`` counts as ``failed``)."""


def failure_reason(status: str, error: str | None, limit: int = 100) -> str:
    """One agent's reason for not succeeding, as failures are grouped: ``"timeout"``,
    ``"refused: BudgetExceeded"``, ``"cancelled"``, else its error on one line."""
    if status == "timeout":
        return "timeout"
    if status == "cancelled":
        return "cancelled"
    reason = one_line(error or status, limit)
    if status == "refused":
        return "refused: " + reason.split(":", 1)[0]
    return reason


def grouped_reasons(reasons: Iterable[tuple[str, str | None, int]],
                    limit: int = 8) -> list[tuple[str, int]]:
    """``(status, error, count)`` of not-ok agents grouped by :func:`failure_reason`, most
    frequent first; past ``limit`` reasons the rest are one "other reasons" group."""
    groups: Counter[str] = Counter()
    for status, error, count in reasons:
        groups[failure_reason(status, error)] += count
    ranked = groups.most_common()
    if len(ranked) > limit:
        ranked = [*ranked[:limit - 1], ("other reasons", sum(n for _, n in ranked[limit - 1:]))]
    return ranked


def short_duration(seconds: float) -> str:
    """A duration, short: ``12.3 s``, ``4m05s``, ``2h10m``."""
    if seconds < 60:
        return f"{max(seconds, 0.0):.1f} s"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}m{rest:02d}s" if minutes < 60 else f"{minutes // 60}h{minutes % 60:02d}m"


def counts_words(counts: dict[str, int], running: int | str, started: int | str) -> str:
    """``"22 started: 8 running · 12 ok · 1 failed · 1 refused"`` (running, ok and failed
    always; the other outcomes when there are some)."""
    shown = [f"{counts.get(k, 0)} {k}" for k in OUTCOMES
             if counts.get(k, 0) or k in ("ok", "failed")]
    return f"{started} started: " + " · ".join([f"{running} running", *shown])


def budget_words(usage: Usage, budget: int | None, max_cost: float | None) -> list[str]:
    """The run's spending against its caps, one phrase per cap that is set:
    ``"41,200 of 100,000 tokens (41%)"``, ``"$0.4200 of $1.00 (42%)"``."""
    words = []
    if budget is not None:
        spent = usage.total_tokens
        words.append(f"{spent:,} of {budget:,} tokens ({_share(spent, budget)})")
    if max_cost is not None:
        words.append(f"{format_cost(usage)} of ${max_cost:.2f} "
                     f"({_share(usage.cost_usd, max_cost)})")
    return words


def _share(spent: float, cap: float) -> str:
    return f"{spent / cap:.0%}" if cap > 0 else "cap 0"


class Progress:
    """Counters an observer keeps up to date; both views render them.

    Args:
        budget: the run's token budget, if it has one (for the budget bar).
        max_cost: the run's cost cap in USD, if it has one.
        clock: a monotonic clock (injected in tests).
    """

    def __init__(self, *, budget: int | None = None, max_cost: float | None = None,
                 clock: Clock = time.monotonic) -> None:
        self.clock = clock
        self.budget = budget
        self.max_cost = max_cost
        self.started = clock()
        self.phase: str | None = None
        self.phases: list[str] = []
        self.counts = dict.fromkeys(OUTCOMES, 0)
        self.running: dict[int, tuple[str | None, float]] = {}
        """Agents dispatched and not finished: index -> (label, start time), oldest first."""
        self.input_tokens = 0
        self.output_tokens = 0
        self.cost_usd = 0.0
        self.unpriced_tokens = 0
        self.estimated = False
        self.last_log: str | None = None

    def __call__(self, event: RunEvent) -> None:
        if event.kind == "agent_started":
            self.running[event.index] = (event.request.label, self.clock())
        elif event.kind == "agent_finished":
            record = event.record
            self.running.pop(event.index, None)  # refused and replayed ones never started
            status = record.status
            self.counts["failed" if status == "timeout" else status] += 1
            usage = record.usage
            self.input_tokens += usage.input_tokens
            self.output_tokens += usage.output_tokens
            self.cost_usd += usage.cost_usd
            self.unpriced_tokens += usage.unpriced_tokens
            self.estimated = self.estimated or usage.estimated
            if status != "ok" and status != "replayed":
                self.agent_failed(event.index, record.request.label, status, record.error)
        elif event.kind == "phase":
            self.phase = event.title
            if event.title not in self.phases:
                self.phases.append(event.title)
            self.phase_started(event.title)
        elif event.kind == "log":
            self.last_log = event.text
            self.logged(event.text)

    # -- hooks for the views (called for the rare events only) -----------------------

    def phase_started(self, title: str) -> None:
        """The script entered phase ``title``."""

    def logged(self, text: str) -> None:
        """A log line."""

    def agent_failed(self, index: int, label: str | None, status: str,
                     error: str | None) -> None:
        """An agent ended failed, timed out, refused or cancelled."""

    # -- what the views show -----------------------------------------------------------

    @property
    def usage(self) -> Usage:
        return Usage(input_tokens=self.input_tokens, output_tokens=self.output_tokens,
                     cost_usd=self.cost_usd, unpriced_tokens=self.unpriced_tokens,
                     estimated=self.estimated)

    @property
    def finished(self) -> int:
        return sum(self.counts.values())

    @property
    def not_ok(self) -> int:
        """Agents that ended without a result (failed, timed out, refused, cancelled)."""
        counts = self.counts
        return counts["failed"] + counts["refused"] + counts["cancelled"]

    @property
    def elapsed(self) -> float:
        return self.clock() - self.started

    def oldest_running(self, n: int) -> list[tuple[str, float]]:
        """The ``n`` longest-running agents: (label, seconds running), longest first.

        The label is safe to print (one line); an unlabelled agent is ``agent #N``.
        """
        now = self.clock()
        # list(islice(...)) copies in C: safe against an event arriving from the loop's
        # thread while a ticker thread draws
        first = list(islice(self.running.items(), n))
        return [(one_line(label or f"agent #{index + 1}", 120), now - since)
                for index, (label, since) in first]

    def counts_words(self) -> str:
        running = len(self.running)
        return counts_words(self.counts, running, self.finished + running)

    def budget_words(self) -> list[str]:
        return budget_words(self.usage, self.budget, self.max_cost)

    def failure_line(self, index: int, label: str | None, status: str,
                     error: str | None, limit: int = 200) -> str:
        """``"<label> <status>: <reason>"`` on one safe line."""
        who = one_line(label or f"agent #{index + 1}", 80)
        reason = one_line(error or status, limit)
        return f"{who} {status}: {reason}"
