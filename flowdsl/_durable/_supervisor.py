"""The supervisor of a stored run: events, heartbeat, checkpoints and control requests."""

from __future__ import annotations

import signal
import sys
import time

import anyio
import anyio.to_thread

from .._runtime import Run
from .._store import HEARTBEAT_EVERY, Store
from ..errors import StoreError
from ._store_journal import StoreJournal, StoreObserver

__all__ = ["CHECKPOINT_EVERY", "Supervisor"]

CHECKPOINT_EVERY = 2.0
"""Seconds between the supervisor's WAL checkpoints (taken in a thread)."""

RUNNING_EVERY = 0.5
"""Seconds between two writes of the running agents' labels (when they changed)."""


class Supervisor:
    """Runs beside the script: flushes events, writes the heartbeat, obeys control requests.

    Control requests (``pause``, ``unpause``, ``stop``) are written to the run's row by
    ``flowdsl runs pause|resume|stop`` from any process; the supervisor polls for them
    every ``poll`` seconds and acknowledges by setting the row's status.
    """

    def __init__(self, store: Store, run_id: str, journal: StoreJournal, *,
                 observer: StoreObserver | None = None, poll: float = 0.1,
                 handle_signals: bool = False) -> None:
        self.store = store
        self.run_id = run_id
        self.journal = journal
        self.observer = observer
        self.poll = poll
        self.handle_signals = handle_signals

    async def __call__(self, run: Run) -> None:
        if not self.handle_signals:
            await self._loop(run)
            return
        # A plain signal handler (not the event loop's): it runs between bytecodes, so a
        # script spinning in a CPU-bound loop is stopped too (its next loop tick halts).
        previous = {sig: signal.signal(sig, lambda *_: run.control.request_stop())
                    for sig in (signal.SIGTERM, signal.SIGHUP)}
        try:
            await self._loop(run)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    async def _loop(self, run: Run) -> None:
        last_beat = last_checkpoint = last_running = time.monotonic()
        while True:
            await anyio.sleep(self.poll)
            try:
                self._tick(run)
                observer = self.observer
                if (observer is not None and observer.running_changed
                        and time.monotonic() - last_running >= RUNNING_EVERY):
                    observer.running_changed = False
                    self.store.set_running(self.run_id, observer.running)
                    last_running = time.monotonic()
                if time.monotonic() - last_beat >= HEARTBEAT_EVERY:
                    self.store.heartbeat(self.run_id)
                    last_beat = time.monotonic()
            except StoreError as exc:  # a busy store must not kill the run; try again
                print(f"flowdsl worker: store: {exc}", file=sys.stderr, flush=True)
            if time.monotonic() - last_checkpoint >= CHECKPOINT_EVERY:
                await anyio.to_thread.run_sync(self.store.checkpoint_wal)
                last_checkpoint = time.monotonic()

    def _tick(self, run: Run) -> None:
        if run.control.stop_requested:  # from the signal handler: cancel what is awaiting too
            run.control.stop()
            return
        self.journal.flush()
        action = self.store.take_control(self.run_id)
        if action == "pause":
            run.control.pause()
            self.journal.flush()
            self.store.set_status(self.run_id, "paused")
        elif action == "unpause":
            run.control.unpause()
            self.journal.flush()
            self.store.set_status(self.run_id, "running")
        elif action == "stop":
            run.control.stop()
