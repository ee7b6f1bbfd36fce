"""Room kept for a run's last words: a small reserve file beside the database.

On a full disk SQLite cannot append even the few WAL frames that record a run's outcome,
so the run would stay "running" with no error anywhere. A worker keeps this file while it
runs; when a write fails for lack of space, the file is deleted and the outcome (status
``failed``, the error ``database or disk is full``) fits in the room it leaves.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["RESERVE_BYTES", "RESERVE_NAME", "keep_reserve", "release_reserve"]

RESERVE_NAME = ".reserve"
RESERVE_BYTES = 256 * 1024
"""Enough for a run's final row update and status event (measured: 64 KiB suffice)."""


def keep_reserve(directory: Path) -> None:
    """Make sure the reserve file exists; silently nothing when there is no room for it."""
    path = directory / RESERVE_NAME
    try:
        if path.stat().st_size >= RESERVE_BYTES:
            return
    except OSError:
        pass
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, bytes(RESERVE_BYTES))
        finally:
            os.close(fd)
    except OSError:
        try:
            path.unlink(missing_ok=True)  # a partial reserve only takes room
        except OSError:
            pass


def release_reserve(directory: Path) -> bool:
    """Delete the reserve file; True when it was there (room was freed)."""
    try:
        (directory / RESERVE_NAME).unlink()
    except OSError:
        return False
    return True
