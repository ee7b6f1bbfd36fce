"""Helpers for tests of the process boundary: find and signal the script's process."""

from __future__ import annotations

import os
from pathlib import Path

CHILD_MODULE = "flowdsl._runtime._process._child"


def child_pids(parent: int | None = None) -> list[int]:
    """Pids of the script children of ``parent`` (default: this process), from /proc."""
    me = str(parent if parent is not None else os.getpid())
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = next((ln.split()[1] for ln in status.splitlines() if ln.startswith("PPid:")), "")
        if ppid == me and CHILD_MODULE.encode() in cmdline:
            found.append(int(entry.name))
    return found
