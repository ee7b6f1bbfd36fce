"""Is the worker of a run still alive? pid, process start time, boot id, heartbeat.

A pid alone is not enough: after a reboot or a long time, another process may have the
same pid. On Linux the process start time (``/proc/PID/stat`` field 22) and the boot id
pin the exact process; a zombie counts as dead. Elsewhere, or for a worker on another
host (a store shared through PostgreSQL), the heartbeat decides: a worker that has not
written one for ``STALE_AFTER`` seconds (15 heartbeats) is dead.
"""

from __future__ import annotations

import os
from functools import lru_cache

__all__ = [
    "HEARTBEAT_EVERY",
    "STALE_AFTER",
    "START_GRACE",
    "boot_id",
    "hostname",
    "process_start",
    "worker_alive",
]

HEARTBEAT_EVERY = 2.0
"""Seconds between heartbeats a worker writes."""
STALE_AFTER = 15 * HEARTBEAT_EVERY
"""A heartbeat older than this (30 s) means the worker is gone (when the pid cannot be
checked: another host, or no ``/proc``)."""
START_GRACE = 30.0
"""A run row with no pid yet is "starting" for this long, then interrupted."""


@lru_cache(maxsize=1)
def boot_id() -> str | None:
    """This machine's boot id (Linux), or None."""
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as f:
            return f.read().strip() or None
    except OSError:
        return None


@lru_cache(maxsize=1)
def hostname() -> str:
    import socket  # only when a live run's host is compared: keeps `runs list` light

    return socket.gethostname()


def _stat_fields(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            text = f.read()
    except OSError:
        return None
    # the command name (field 2) may contain spaces and parentheses: split after the last ")"
    return text[text.rfind(")") + 2:].split()


def process_start(pid: int) -> int | None:
    """The start time of process ``pid`` in clock ticks since boot (Linux), or None."""
    fields = _stat_fields(pid)
    if not fields or len(fields) < 20:
        return None
    return int(fields[19])


def worker_alive(
    *,
    pid: int | None,
    pid_start: int | None,
    run_boot_id: str | None,
    host: str | None,
    heartbeat: float | None,
    since: float,
    now: float,
) -> bool:
    """Whether the worker recorded for a running/paused run still exists."""
    if host is not None and host != hostname():
        last = heartbeat if heartbeat is not None else since
        return now - last < STALE_AFTER
    if pid is None:
        return now - since < START_GRACE
    current_boot = boot_id()
    if run_boot_id is not None and current_boot is not None and run_boot_id != current_boot:
        return False
    fields = _stat_fields(pid)
    if fields is not None:
        if fields[0] in ("Z", "X"):
            return False
        return pid_start is None or len(fields) < 20 or int(fields[19]) == pid_start
    if os.path.isdir("/proc/self"):
        return False  # Linux and no /proc entry: the process is gone
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    last = heartbeat if heartbeat is not None else since
    return now - last < STALE_AFTER
