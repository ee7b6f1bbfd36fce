"""What ``flowdsl run``'s exit code says about a run, and the summary's words for it.

| code | meaning |
|---|---|
| 0 | completed, every agent ok or replayed (or within ``--allow-failures``) |
| 1 | the run failed or was stopped |
| 2 | bad input or configuration (a backend configuration error ends the run at once) |
| 3 | completed, but some agent failed, was refused or was cancelled |
| 4 | paused: the provider's quota or usage limit ran out (``flowdsl runs resume``) |
| 130 | interrupted |
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .._failure_limit import FailureLimit
    from .._types import RunResult

__all__ = ["EXIT_AGENTS_FAILED", "EXIT_QUOTA", "exit_code", "exit_meaning", "quota_words"]

EXIT_AGENTS_FAILED = 3
EXIT_QUOTA = 4
_CONFIG_ERRORS = frozenset({"BackendConfigError"})


def exit_code(result: RunResult, allow: FailureLimit | None = None) -> int:
    """The exit code of a finished run (``allow``: ``--allow-failures``)."""
    if result.error_type in _CONFIG_ERRORS:
        return 2
    if result.status == "paused":
        return EXIT_QUOTA
    if result.status != "completed":
        return 1
    counts = result.outcomes()
    bad = counts["failed"] + counts["refused"] + counts["cancelled"]
    if bad and (allow is None or not allow.allows(bad, counts["total"])):
        return EXIT_AGENTS_FAILED
    return 0


def quota_words(resets_at: float | None, now: float | None = None) -> str:
    """``quota; resets 2026-12-03 00:00 UTC (in 2 h 30 min)``, or that no time was given."""
    if resets_at is None:
        return "quota; the provider gave no reset time"
    from datetime import UTC, datetime  # only a paused run's status needs dates

    now = time.time() if now is None else now
    when = datetime.fromtimestamp(resets_at, UTC).strftime("%Y-%m-%d %H:%M UTC")
    left = resets_at - now
    if left <= 0:
        return f"quota; the limit reset at {when}"
    minutes = int(left // 60)
    span = f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{max(minutes, 1)} min"
    return f"quota; resets {when} (in {span})"


def exit_meaning(code: int, result: RunResult | None = None) -> str:
    """The summary's last line: what the exit code means (for a paused run, when its
    quota resets and how to continue it)."""
    if code == EXIT_QUOTA and result is not None:
        resume = f"flowdsl runs resume {result.run_id}" if result.run_id else "a new run"
        return (f"exit 4: paused for {quota_words(result.resets_at)}; continue with "
                f"'{resume}' (or run with --resume-after-quota)")
    return {
        0: "exit 0: completed, every agent ok",
        1: "exit 1: the run failed or was stopped",
        2: "exit 2: a configuration error ended the run",
        EXIT_AGENTS_FAILED: "exit 3: completed, but agents failed, were refused or cancelled "
                            "(--allow-failures N|P% accepts some)",
        EXIT_QUOTA: "exit 4: paused, the provider's quota ran out; continue with "
                    "'flowdsl runs resume'",
    }.get(code, f"exit {code}")
