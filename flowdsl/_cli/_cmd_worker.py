"""``flowdsl worker``: run the agents of distributed runs with this machine's backends.

Started on any machine that reaches the PostgreSQL store; it works in the directory it
was started in (the agents' project directory, whose configuration builds the backends)
until SIGINT or SIGTERM. See :mod:`flowdsl._distributed`.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from .._terminal_text import printable
from ..errors import UsageError
from . import EXIT_OK
from ._argtypes import positive_int, seconds

if TYPE_CHECKING:
    from pathlib import Path

    from .._distributed import BackendFactory
    from ..backends import AgentBackend

__all__ = ["register"]


def register(sub: Any) -> None:
    worker = sub.add_parser(
        "worker", help="run the agents of distributed runs (the queue in a PostgreSQL store)")
    worker.add_argument("--store", metavar="URL",
                        help="the PostgreSQL store whose queue to serve (default: the "
                             "configured store, else $FLOWDSL_STORE)")
    worker.add_argument("--concurrency", type=positive_int, default=8, metavar="N",
                        help="agents one worker runs at once (default 8; the queue keeps one "
                             "value for every worker: the worker started last sets it)")
    worker.add_argument("--global-concurrency", type=positive_int, metavar="N",
                        help="agents running at once on all workers together (the queue's "
                             "limit; the worker started last sets it; default: no limit)")
    worker.add_argument("--rate-limit", type=positive_int, metavar="N",
                        help="at most N agent starts per minute for each model, all workers "
                             "together (the worker started last sets it; default: no limit)")
    worker.add_argument("--rate-period", type=seconds, default=60.0, metavar="SECONDS",
                        help="the window of --rate-limit (default 60)")
    worker.add_argument("--dead-after", type=seconds, metavar="SECONDS",
                        help="a worker silent this long is dead: the live workers run its "
                             "agents again (default 15)")
    worker.set_defaults(handler=cmd_worker)


def cmd_worker(ns: argparse.Namespace) -> int:
    # here, not at the top: building the parser (every command) must not pay for them
    import importlib.util
    import os
    import signal
    import socket
    import threading
    import uuid
    from pathlib import Path

    if importlib.util.find_spec("dbos") is None:
        raise UsageError("flowdsl worker needs the distributed extra: "
                         "pip install 'flowdsl[distributed]'")
    from .._distributed import DEAD_AFTER, WorkerSettings, serve
    from .._options import RunOptions
    from .._store import Store, resolve_store_location
    from .._store._location import mask_url

    project = Path.cwd()
    location = resolve_store_location(RunOptions.resolve(project, store=ns.store).store)
    if not isinstance(location, str):
        raise UsageError("flowdsl worker serves the queue of a PostgreSQL store: "
                         "--store postgresql://USER@HOST/DB (or store = ... in the "
                         "configuration, or $FLOWDSL_STORE)")
    with Store.open(location):  # the store's one-line error if it cannot be reached
        pass
    executor_id = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    dead_after = ns.dead_after or DEAD_AFTER
    settings = WorkerSettings(url=location, workdir=project, concurrency=ns.concurrency,
                              global_concurrency=ns.global_concurrency,
                              rate_limit=None if ns.rate_limit is None else (
                                  ns.rate_limit, ns.rate_period),
                              executor_id=executor_id, dead_after=dead_after,
                              beat_every=min(2.0, dead_after / 4))
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())

    def ready() -> None:
        print(printable(f"flowdsl worker {executor_id}: serving {mask_url(location)}, "
                        f"{ns.concurrency} agents at once, in {project}"),
              file=sys.stderr, flush=True)

    serve(settings, _backend_factory(project), stop, on_ready=ready)
    print("flowdsl worker: stopped", file=sys.stderr)
    return EXIT_OK


def _backend_factory(project: Path) -> BackendFactory:
    """Backends as this machine's configuration builds them (keys, base URLs, CLIs)."""
    from .._durable import choose_backend
    from .._options import RunOptions

    def make(name: str, model: str | None) -> AgentBackend:
        return choose_backend(None, RunOptions.resolve(project, backend=name, model=model))

    return make
