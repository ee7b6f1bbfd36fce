"""Waiting for a process the tests started (or that a backend started) to be gone."""

from __future__ import annotations

import time
from pathlib import Path

__all__ = ["wait_gone"]


def wait_gone(pid: int, timeout: float = 10.0) -> bool:
    """True once ``pid`` is gone or a zombie (killed, but never reaped by this container's
    init); False if it still runs after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_bytes().split(b") ", 1)[1][:1]
        except OSError:
            return True
        if state == b"Z":
            return True
        time.sleep(0.02)
    return False
