"""Starting the script's process — early, if the caller knows it will need one.

A new interpreter costs about 0.2 s of CPU before it can run a script (its imports). The
``flowdsl run`` command starts it first thing (:func:`prestart`), so that those imports
run on another core while the command itself is still importing; the run then adopts it.
Its hash seed is chosen when it starts and stored with the run (``RunOptions.hash_seed``),
so a resume starts its own process with the same seed.

This module imports only the standard library: it is imported before anything else.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ScriptProcess", "hash_seed_for", "prestart", "start_script_process"]

_PACKAGE_ROOT = str(Path(__file__).resolve().parents[3])


@dataclass(frozen=True, slots=True)
class ScriptProcess:
    """A started script process waiting for its ``init`` message, and its hash seed."""

    process: subprocess.Popen[bytes]
    seed: int

    def discard(self) -> None:
        """Stop it unused (the command did not run a script in a child after all)."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


def hash_seed_for(key: str) -> int:
    """A ``PYTHONHASHSEED`` fixed by ``key`` (1..2**32-1: 0 would turn hashing off)."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "big") % (2**32 - 1) + 1


def start_script_process(seed: int) -> ScriptProcess:
    """Start ``python -m flowdsl._runtime._process._child`` with an empty environment (the
    caller's API keys never reach it), in its own session (Ctrl-C reaches only the
    caller), in ``/``.

    Raises:
        OSError: the interpreter could not be started.
    """
    env = {"PYTHONHASHSEED": str(seed), "PYTHONPATH": _PACKAGE_ROOT,
           "PYTHONDONTWRITEBYTECODE": "1", "PYTHONUTF8": "1", "PATH": os.defpath}
    process = subprocess.Popen(
        [sys.executable, "-s", "-B", "-P", "-m", "flowdsl._runtime._process._child"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
        cwd="/", start_new_session=True)
    return ScriptProcess(process, seed)


def prestart() -> ScriptProcess | None:
    """A script process started now for a run that begins shortly; None if it failed
    to start (the run then starts its own, and reports why if that fails too)."""
    try:
        return start_script_process(secrets.randbelow(2**32 - 1) + 1)
    except OSError:
        return None
