"""Who owns a run's worktrees: an ``flock`` on ``<run_id>.lock`` beside them.

The process creating a run's worktrees holds an exclusive lock on the file for as long as
it may still use them; the kernel drops it when the process ends, however it ends (kill -9
included). A sweep (another run in the project, ``runs rm``) leaves alone every run whose
lock is held — a run of another store, or one run through the Python API without a store,
is as safe as one the store knows is live.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

__all__ = ["OwnerLock", "is_owned"]


class OwnerLock:
    """The lock a run holds on its worktrees while it is alive."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def take(self) -> None:
        """Hold the lock (idempotent). A lock another process holds is left to it: two
        processes never run the same run id at once (the store's claim sees to that)."""
        if self._fd is not None:
            return
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return
        self._fd = fd

    def release(self) -> None:
        """Remove the lock file and let the lock go; a stale file (its owner died) is
        removed too, one a live process holds is not (idempotent)."""
        if self._fd is None:
            if not is_owned(self.path):
                self.path.unlink(missing_ok=True)
            return
        self.path.unlink(missing_ok=True)
        os.close(self._fd)
        self._fd = None


def is_owned(path: Path) -> bool:
    """Whether a live process holds the lock at ``path``."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing drops a lock this call took
    return False
