"""What ``flowdsl run``'s exit code says about a run, and the summary's words for it.

| code | meaning |
|---|---|
| 0 | completed, every agent ok or replayed (or within ``--allow-failures``) |
| 1 | the run failed or was stopped |
| 2 | bad input or configuration (a backend configuration error ends the run at once) |
| 3 | completed, but some agent failed, was refused or was cancelled |
| 130 | interrupted |
"""

from __future__ import annotations

from .._failure_limit import FailureLimit
from .._types import RunResult

__all__ = ["EXIT_AGENTS_FAILED", "exit_code", "exit_meaning"]

EXIT_AGENTS_FAILED = 3
_CONFIG_ERRORS = frozenset({"BackendConfigError"})


def exit_code(result: RunResult, allow: FailureLimit | None = None) -> int:
    """The exit code of a finished run (``allow``: ``--allow-failures``)."""
    if result.error_type in _CONFIG_ERRORS:
        return 2
    if result.status != "completed":
        return 1
    counts = result.outcomes()
    bad = counts["failed"] + counts["refused"] + counts["cancelled"]
    if bad and (allow is None or not allow.allows(bad, counts["total"])):
        return EXIT_AGENTS_FAILED
    return 0


def exit_meaning(code: int) -> str:
    """The summary's last line: what the exit code means."""
    return {
        0: "exit 0: completed, every agent ok",
        1: "exit 1: the run failed or was stopped",
        2: "exit 2: a configuration error ended the run",
        EXIT_AGENTS_FAILED: "exit 3: completed, but agents failed, were refused or cancelled "
                            "(--allow-failures N|P% accepts some)",
    }.get(code, f"exit {code}")
