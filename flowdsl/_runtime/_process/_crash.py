"""Why the script's process ended without reporting: one line for the run's error."""

from __future__ import annotations

import re
import signal
from collections.abc import Mapping

from ..._frontends import CompiledWorkflow
from .._script import format_bytes

__all__ = ["crash_reason", "script_line", "stall_reason"]

_FRAME = re.compile(r'^\s*File "(?P<path>[^"\n]*)", line (?P<line>\d+)', re.MULTILINE)


def script_line(dump: str, scripts: Mapping[str, CompiledWorkflow]) -> str | None:
    """``path:line`` of the innermost script frame in a ``faulthandler`` dump.

    faulthandler lists the most recent call first; the line is mapped back to what the
    user wrote (a ``.js`` script's own line).
    """
    for match in _FRAME.finditer(dump):
        compiled = scripts.get(match["path"])
        if compiled is not None:
            line, _ = compiled.original_position(int(match["line"]))
            return f"{compiled.path}:{line}"
    return None


def stall_reason(seconds: float, dump: str, scripts: Mapping[str, CompiledWorkflow]) -> str:
    where = script_line(dump, scripts)
    at = f" at {where}" if where else ""
    return f"script stalled for {seconds:g} s{at} (its event loop stopped: stall_timeout)"


def crash_reason(returncode: int | None, stderr: str, memory_limit: int,
                 scripts: Mapping[str, CompiledWorkflow]) -> str:
    """The one-line reason of a child that exited without reporting an outcome."""
    if "MemoryError" in stderr or "Cannot allocate memory" in stderr:
        return f"memory limit of {format_bytes(memory_limit)} exceeded"
    where = script_line(stderr, scripts)
    at = f" at {where}" if where else ""
    if returncode is not None and returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return f"worker crashed ({name}){at}"
    last = next((ln.strip() for ln in reversed(stderr.splitlines()) if ln.strip()), "")
    said = f": {last[:200]}" if last else ""
    return f"worker exited with status {returncode} without reporting{at}{said}"
