"""Agent backends: the one-method protocol and the registry of shipped implementations.

A backend turns one :class:`~flowdsl.AgentRequest` into one :class:`~flowdsl.AgentResult`.
It reports real usage; the runtime's budget gate trusts those numbers. Implementations
are loaded lazily by name (``simulate``, ``openai``, ``anthropic``, ``claude``, ``codex``)
so that importing flowdsl never imports an SDK the user did not ask for.

A ``module:factory`` reference resolves like uvicorn's: an importable module, else a
module or package in the current directory, found there without editing ``sys.path``.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import os
import sys
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any, Protocol, runtime_checkable

from .._types import AgentRequest, AgentResult
from ..errors import BackendConfigError, UsageError

__all__ = ["BACKENDS", "AgentBackend", "load_backend"]


@runtime_checkable
class AgentBackend(Protocol):
    """Runs one subagent. Raise to fail the call; ``agent()`` then returns None.

    Optional class attributes, each a promise the runtime relies on:

    - ``needs_call_key = True``: the backend names its work by the call's content (the
      distributed queue); the runtime puts the journal's key on each request of a
      journaled run (``request.call_key``).
    - ``opens_no_scope_before_waiting = True``: ``run`` enters no cancel scope — no task
      group, ``fail_after``/``move_on_after`` or thread call — before it first waits for
      anything. The runtime then starts the call before it files the agent's timeout
      (counted from the start all the same), so an answer that comes without waiting
      costs no timeout at all. Where agents get a cancel scope each (trio; on asyncio
      the timeout needs none), a backend that breaks the promise fails its agents with
      anyio's "cancel scope that isn't the current task's" error.
    """

    async def run(self, request: AgentRequest) -> AgentResult: ...


BACKENDS: Mapping[str, str] = {
    "simulate": "flowdsl.backends._simulate:SimulateBackend",
    "openai": "flowdsl.backends._openai:create_backend",
    "anthropic": "flowdsl.backends._anthropic:create_backend",
    "claude": "flowdsl.backends._claude:create_backend",
    "codex": "flowdsl.backends._codex:create_backend",
}
"""Shipped backends by name -> ``module:factory`` (a zero-or-keyword-argument callable)."""

_EXTRAS = {"openai": "openai", "anthropic": "anthropic"}
"""Shipped backends that need an optional extra's packages, and that extra's name."""


def _import_from(module_name: str, directory: str) -> ModuleType:
    """Import ``module_name``; when its top-level package is not importable, from ``directory``.

    The top-level module is found in ``directory`` alone and registered in
    ``sys.modules`` under its name, so the dotted rest (``pkg.sub``) imports through the
    package's own ``__path__``; ``sys.path`` is never touched.
    """
    top = module_name.partition(".")[0]
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != top:
            raise  # the module exists but something it imports is missing
        spec = importlib.machinery.PathFinder.find_spec(top, [directory])
        if spec is None or spec.loader is None:
            raise
    module = importlib.util.module_from_spec(spec)
    sys.modules[top] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(top, None)
        raise
    return importlib.import_module(module_name)


def _import_target(spec: str, directory: str) -> Callable[..., Any]:
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise UsageError(f"backend {spec!r} is not a name or 'module:factory'")
    try:
        module = _import_from(module_name, directory)
    except ImportError as exc:
        raise UsageError(f"backend {spec!r}: cannot import {module_name!r} ({exc})") from exc
    try:
        target: Callable[..., Any] = getattr(module, attr)
    except AttributeError:
        raise UsageError(f"backend {spec!r}: {module_name!r} has no {attr!r}") from None
    return target


def load_backend(
    name: str, *, search_dir: str | os.PathLike[str] | None = None, **options: Any
) -> AgentBackend:
    """Build a backend from a shipped name or a ``module:factory`` reference.

    Args:
        name: a shipped backend's name, or ``module:factory``.
        search_dir: where a ``module`` that is not installed is looked for (like
            uvicorn's app lookup); default: the current directory.
        **options: keyword arguments for the factory.

    Raises:
        UsageError: the name is unknown or the factory cannot be imported or called.
    """
    spec = BACKENDS.get(name, name)
    if ":" not in spec:
        known = ", ".join(sorted(BACKENDS))
        raise UsageError(f"unknown backend {name!r} (known: {known}, or module:factory)")
    if name in _EXTRAS:
        try:
            importlib.import_module(spec.partition(":")[0])
        except ModuleNotFoundError as exc:
            raise BackendConfigError(
                f"the {name} backend needs the {exc.name!r} package, which is not installed: "
                f"pip install 'flowdsl[{_EXTRAS[name]}]'") from None
    factory = _import_target(spec, os.fspath(search_dir) if search_dir else os.getcwd())
    backend = factory(**options) if options else factory()
    if not isinstance(backend, AgentBackend):
        raise UsageError(f"backend {name!r}: {spec} did not return an object with async run()")
    return backend
