"""Distributed runs: agents on ``flowdsl worker`` processes through DBOS on PostgreSQL.

A run started with ``--distributed`` (config ``distributed = true``) executes its script
where it was started, with every limit, and sends each agent through a DBOS queue in the
database of its PostgreSQL store; ``flowdsl worker`` processes, on any machine, run the
agents with their own backends and send the outcomes back. The queue's global
concurrency limit holds across all runs and workers.

- ``_queue``: the queue's names and DBOS settings both sides share;
- ``_payload``: the JSON a call and its outcome travel as;
- ``_backend``: :class:`QueueBackend`, the coordinator's side (a backend that enqueues);
- ``_worker``: :func:`serve`, the worker's side;
- ``_heartbeats``: which workers are alive, so the live ones recover the dead ones' agents.

Imports DBOS (the ``distributed`` extra) only when used.
"""

from ._backend import QueueBackend as QueueBackend
from ._backend import cancel_queued as cancel_queued
from ._queue import DEAD_AFTER as DEAD_AFTER
from ._worker import BackendFactory as BackendFactory
from ._worker import WorkerSettings as WorkerSettings
from ._worker import serve as serve

__all__ = ["DEAD_AFTER", "BackendFactory", "QueueBackend", "WorkerSettings", "cancel_queued",
           "serve"]
