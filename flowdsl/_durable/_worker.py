"""The background worker process: ``python -m flowdsl._durable._worker RUN_ID --store DIR``.

With ``--detach`` it forks once and the parent prints the worker's pid and exits, so the
caller reaps its child at once and the worker is an orphan in its own session that no
shell or test harness leaves behind as a zombie. The worker's stdout/stderr go to
``DIR/logs/RUN_ID.log``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

from flowdsl._durable._execute_stored import execute_stored
from flowdsl._event_loop import run_loop
from flowdsl._store import Store, resolve_store_dir
from flowdsl._types import RunResult
from flowdsl.errors import FlowError

__all__ = ["main"]


# -- the worker process ---------------------------------------------------------------------


def _detach(log: Path) -> None:
    """Fork; the parent prints the child's pid and exits; the child continues detached."""
    pid = os.fork()
    if pid:
        sys.stdout.write(f"{pid}\n")
        sys.stdout.flush()
        os._exit(0)
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    sys.stdout = open(1, "w", encoding="utf-8", errors="replace", buffering=1, closefd=False)
    sys.stderr = open(2, "w", encoding="utf-8", errors="replace", buffering=1, closefd=False)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m flowdsl._durable._worker")
    parser.add_argument("run_id")
    parser.add_argument("--store")  # None: $FLOWDSL_STORE (a URL's password stays off argv)
    parser.add_argument("--detach", action="store_true")
    ns = parser.parse_args(argv)
    if ns.detach:
        _detach(resolve_store_dir(ns.store) / "logs" / f"{ns.run_id}.log")
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    print(f"[{stamp}] worker pid {os.getpid()} for run {ns.run_id}", flush=True)
    try:
        with Store.open(ns.store, create=False) as store:
            result = run_loop(_work, store, ns.run_id)
    except FlowError as exc:
        print(f"flowdsl worker: error: {exc}", file=sys.stderr, flush=True)
        return 2
    except Exception as exc:  # a bug: one line first, then the details for a report
        print(f"flowdsl worker: internal error: {type(exc).__name__}: {exc}",
              file=sys.stderr, flush=True)
        traceback.print_exc()
        return 1
    print(f"[{time.strftime('%Y-%m-%d %H:%M:%S')}] run {ns.run_id} {result.status}", flush=True)
    return 0 if result.status == "completed" else 1


async def _work(store: Store, run_id: str) -> RunResult:
    return await execute_stored(store, run_id, handle_signals=True)


if __name__ == "__main__":
    sys.exit(main())
