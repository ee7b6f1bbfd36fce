"""How many failed agents a run accepts: ``N`` agents or ``P%`` of them.

Two uses, one notation:

- ``--max-failures`` / ``max_failures`` (the failure policy): once more agents than the
  limit have failed, the run dispatches no new agent — later calls are refused — and ends
  ``failed`` with that reason (resumable). A percentage is of the agents finished so
  far, and is judged once at least :data:`MIN_SAMPLE` agents have finished, so the first
  failure of a run does not count as 100 %.
- ``--allow-failures`` (the exit code): a completed run whose failed, refused and
  cancelled agents are within the limit exits 0 instead of 3. A percentage is of all its
  agents.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .errors import UsageError

__all__ = ["MIN_SAMPLE", "FailureLimit"]

MIN_SAMPLE = 10
"""Finished agents before a percentage failure policy is judged."""


@dataclass(frozen=True, slots=True)
class FailureLimit:
    """At most ``count`` failed agents, or at most ``percent`` % of them."""

    count: int | None = None
    percent: float | None = None

    @classmethod
    def parse(cls, text: str | int, what: str = "max_failures") -> FailureLimit:
        """``"10"`` / ``10`` / ``"5%"``.

        Raises:
            UsageError: not a whole number >= 0 or a percentage in 0..100.
        """
        raw = str(text).strip()
        try:
            if raw.endswith("%"):
                percent = float(raw[:-1])
                if not 0 <= percent <= 100 or math.isnan(percent):
                    raise ValueError(raw)
                return cls(percent=percent)
            count = int(raw)
            if count < 0:
                raise ValueError(raw)
            return cls(count=count)
        except ValueError:
            raise UsageError(f"{what} must be a number of agents (10) or a percentage "
                             f"(5%), got {text!r}") from None

    def exceeded(self, failed: int, finished: int) -> bool:
        """The failure policy: have too many of the ``finished`` agents failed?"""
        if self.count is not None:
            return failed > self.count
        assert self.percent is not None
        return finished >= MIN_SAMPLE and failed * 100 > self.percent * finished

    def allows(self, failed: int, total: int) -> bool:
        """The exit code: are ``failed`` of ``total`` agents within the limit?"""
        if self.count is not None:
            return failed <= self.count
        assert self.percent is not None
        return failed * 100 <= self.percent * total

    def __str__(self) -> str:
        return f"{self.count}" if self.count is not None else f"{self.percent:g}%"
