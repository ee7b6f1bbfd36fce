"""``flowdsl worker``: run agents from the queue with this machine's backends.

A worker is a DBOS application process: it registers the agent queue (the global
concurrency limit and its own), runs each dequeued call on the backend the call's run
names — built here, from this machine's configuration and API keys — in this worker's
project directory, and sends back the outcome as JSON (:mod:`._payload`). Failures are
outcomes, not exceptions: DBOS records the workflow as finished either way.

While it runs, the worker beats (:mod:`._heartbeats`) and recovers the agents of workers
whose beat stopped: an agent whose worker died runs again on another (at-least-once for
the agents in flight when a worker dies). A call cancelled on the queue (the run's stop,
its timeout on the coordinator) is cancelled here within :data:`CANCEL_POLL` seconds.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio

from .._store._location import mask_url
from .._types import request_with_workspace
from ..backends import AgentBackend
from ..errors import AgentTimeout, RemoteAgentError, StoreError
from ._heartbeats import Heartbeats
from ._payload import decode_call, encode_failure, encode_result
from ._queue import DEAD_AFTER, QUEUE, WORKFLOW, dbos_config, queue_url

__all__ = ["CANCEL_POLL", "BackendFactory", "WorkerSettings", "serve"]

CANCEL_POLL = 1.0
"""Seconds between a running agent's looks at whether its call was cancelled."""
_GRACE = 5.0
"""Seconds past its timeout an agent may run here before the worker gives up on it (the
coordinator has given up already and cancelled the call)."""

BackendFactory = Callable[[str, "str | None"], AgentBackend]
"""Builds the backend a run names (its name and the run's model) from this machine's
configuration; raises ``BackendConfigError`` when it cannot."""


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkerSettings:
    url: str
    """The PostgreSQL store the queue lives in."""
    workdir: Path
    """Where agents work (their tool root), unless a call is isolated."""
    concurrency: int = 8
    """Agents this worker runs at once."""
    global_concurrency: int | None = None
    """Agents running at once on all workers together (the queue's limit; the worker
    started last sets it)."""
    rate_limit: tuple[int, float] | None = None
    """At most N agent starts per PERIOD seconds for each model, all workers together
    (the queue's, partitioned by model; the worker started last sets it)."""
    executor_id: str
    beat_every: float = 2.0
    dead_after: float = DEAD_AFTER
    """A worker whose beat is older than this is dead; its agents are re-enqueued."""
    poll_every: float = 0.1
    """How often the worker looks for queued agents (DBOS's queue polling)."""


def serve(settings: WorkerSettings, make_backend: BackendFactory, stop: threading.Event,
          on_ready: Callable[[], None] = lambda: None) -> None:
    """Run agents from the queue until ``stop`` is set (blocks the calling thread)."""
    from dbos import DBOS

    DBOS(config=dbos_config(settings.url, settings.executor_id))  # type: ignore[arg-type]
    backends: dict[tuple[str, str | None], AgentBackend] = {}
    lock = threading.Lock()

    def backend_for(name: str, model: str | None) -> AgentBackend:
        with lock:
            backend = backends.get((name, model))
            if backend is None:
                backend = backends[name, model] = make_backend(name, model)
            return backend

    async def run_call(payload: str) -> str:
        workflow_id = DBOS.workflow_id
        call = decode_call(payload)
        try:
            backend = backend_for(call.backend, call.model)
        except Exception as exc:  # a configuration error: the coordinator ends the run
            return encode_failure(exc)
        request = request_with_workspace(call.request, str(settings.workdir))
        outcome: str | None = None
        async with anyio.create_task_group() as tasks:
            if workflow_id is not None:
                tasks.start_soon(_cancel_when_cancelled, DBOS, workflow_id, tasks.cancel_scope)
            with anyio.move_on_after(call.seconds + _GRACE) as limit:
                try:
                    outcome = encode_result(await backend.run(request))
                except Exception as exc:
                    outcome = encode_failure(exc)
            tasks.cancel_scope.cancel()
        if outcome is None:  # nobody waits for it any more: the coordinator moved on
            outcome = encode_failure(AgentTimeout(call.seconds, request.label)
                                     if limit.cancelled_caught
                                     else RemoteAgentError("cancelled on the queue"))
        return outcome

    DBOS.workflow(name=WORKFLOW)(run_call)
    try:
        DBOS.launch()
        limit = settings.rate_limit
        DBOS.register_queue(QUEUE, worker_concurrency=settings.concurrency,
                            global_concurrency=settings.global_concurrency,
                            partition_limiter=None if limit is None else {
                                "limit": limit[0], "period": limit[1]},
                            polling_interval_sec=settings.poll_every,
                            on_conflict="always_update")
        heartbeats = Heartbeats(queue_url(settings.url), settings.executor_id)
    except Exception as exc:
        DBOS.destroy()
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise StoreError(f"{mask_url(settings.url)}: cannot serve the queue: "
                         f"{type(exc).__name__}: {first_line}") from None
    try:
        heartbeats.beat(pid=os.getpid(), concurrency=settings.concurrency)
        on_ready()
        while not stop.wait(settings.beat_every):
            _beat_and_recover(DBOS, heartbeats, settings)
        heartbeats.leave()
    finally:
        heartbeats.close()
        DBOS.destroy()


def _beat_and_recover(dbos: Any, heartbeats: Heartbeats, settings: WorkerSettings) -> None:
    """One beat; the agents of workers found dead go back on the queue. A database that
    does not answer costs a line and is tried again at the next beat."""
    try:
        heartbeats.beat(pid=os.getpid(), concurrency=settings.concurrency)
        for dead in heartbeats.dead(settings.dead_after):
            dbos._recover_pending_workflows([dead])  # re-enqueued on their queue
            heartbeats.forget(dead)
    except Exception as exc:  # the connection dropped: psycopg's or SQLAlchemy's error
        print(f"flowdsl worker: heartbeat failed ({type(exc).__name__}); trying again",
              file=sys.stderr)


async def _cancel_when_cancelled(dbos: type, workflow_id: str, scope: anyio.CancelScope) -> None:
    """Cancel ``scope`` once the call's workflow is cancelled on the queue."""
    while True:
        await anyio.sleep(CANCEL_POLL)
        status = await anyio.to_thread.run_sync(dbos.get_workflow_status, workflow_id)  # type: ignore[attr-defined]
        if status is not None and status.status == "CANCELLED":
            scope.cancel()
            return
