"""The agent queue both sides agree on: its names, the DBOS settings, the database checks.

One DBOS application, ``flowdsl``, with one queue of agent calls and one workflow that
runs a call. Workers register the queue (its global concurrency and per-worker
concurrency) and run the workflow; coordinators only enqueue and read results through a
``DBOSClient``. The application version is fixed by the protocol, not derived from
source code as DBOS does by default: workers and coordinators of one protocol version
share the queue whatever else differs between their machines.
"""

from __future__ import annotations

from typing import Any

from .._store._location import is_url, mask_url
from ..errors import UsageError

__all__ = ["APP_NAME", "APP_VERSION", "DEAD_AFTER", "QUEUE", "WORKFLOW", "dbos_config",
           "queue_url"]

APP_NAME = "flowdsl"
APP_VERSION = "flowdsl-queue-1"
"""Bumped when the payload or the workflow changes incompatibly."""
DEAD_AFTER = 15.0
"""Seconds without a heartbeat after which a worker is dead (``flowdsl worker``'s
default ``--dead-after``)."""
QUEUE = "flowdsl-agents"
WORKFLOW = "flowdsl_agent"

def queue_url(url: str) -> str:
    """The PostgreSQL URL the queue lives in (DBOS's ``dbos`` schema beside the store's).

    Raises:
        UsageError: not a ``postgresql://`` URL (distribution needs PostgreSQL).
    """
    if not is_url(url):
        raise UsageError(f"distributed runs need a PostgreSQL store (postgresql://…), not "
                         f"{mask_url(url)!r}")
    return "postgresql://" + url.partition("://")[2]  # DBOS takes this scheme only


def dbos_config(url: str, executor_id: str) -> dict[str, Any]:
    """The configuration a worker launches DBOS with."""
    return {"name": APP_NAME, "system_database_url": queue_url(url), "executor_id": executor_id,
            "application_version": APP_VERSION, "log_level": "WARNING",
            "use_listen_notify": True}
