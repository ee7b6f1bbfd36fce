"""Which backend a run uses: an object, a name / ``module:factory``, or the configuration.

The shipped backends that talk to a provider (``openai``, ``anthropic``, ``claude``,
``codex``) are built with the run's ``model`` and ``base_url``, the project
configuration and the project directory (``cwd``: where their agents work); ``simulate``
and ``module:factory`` backends take no options (the run's model reaches them on every
request anyway).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .._options import RunOptions
from ..backends import BACKENDS, AgentBackend, load_backend
from ..errors import BackendConfigError, UsageError

if TYPE_CHECKING:
    from .._distributed import QueueBackend

__all__ = ["choose_backend", "queue_backend"]

_CONFIGURED = ("openai", "anthropic", "claude", "codex")
"""Shipped backends whose factories take ``model``, ``base_url`` and ``config``."""


def choose_backend(backend: AgentBackend | str | None, options: RunOptions) -> AgentBackend:
    """The backend for a run: ``backend`` if given, else ``options.backend``.

    Raises:
        BackendConfigError: no backend is named anywhere (the message lists what to set);
            there is deliberately no fallback to a fake backend.
        UsageError: the name is unknown, or the object has no async ``run(request)``.
    """
    if backend is not None and not isinstance(backend, str):
        if not isinstance(backend, AgentBackend):
            raise UsageError(
                f"backend must have an async run(request) method, not {backend!r:.60}")
        return backend
    name = backend or options.backend
    if not name:
        known = ", ".join(sorted(BACKENDS))
        raise BackendConfigError(
            f"no backend configured: pass --backend NAME (backend=... in Python) or set "
            f'backend = "NAME" under [tool.flowdsl] in pyproject.toml or in flowdsl.toml; '
            f"NAME is one of {known} or module:factory ('simulate' runs offline at no cost)"
        )
    return load_backend(name, search_dir=options.cwd, **_factory_options(name, options))


def _factory_options(name: str, options: RunOptions) -> dict[str, Any]:
    if name not in _CONFIGURED:
        return {}
    return {"model": options.model, "base_url": options.base_url, "config": options.config,
            "cwd": options.cwd}


def queue_backend(backend: AgentBackend | str | None, options: RunOptions, *, run_id: str,
                  store_location: str,
                  failed_before: Callable[[str], bool] = lambda key: False) -> QueueBackend:
    """The backend of a ``distributed`` run: each agent through the queue of the
    PostgreSQL store, to a worker that builds the named backend itself.

    Raises:
        UsageError: a backend object (workers build theirs by name), or a store that is
            not PostgreSQL.
        BackendConfigError: no backend named, or the queue's database unreachable.
    """
    if backend is not None and not isinstance(backend, str):
        raise UsageError("a distributed run names its backend (workers build their own): "
                         "pass a name, not an object")
    name = backend or options.backend
    if not name:
        choose_backend(None, options)  # the message that lists what to set
    from .._distributed import QueueBackend

    return QueueBackend(store_location, run_id=run_id, backend=str(name), model=options.model,
                        default_timeout=options.agent_timeout, failed_before=failed_before)
