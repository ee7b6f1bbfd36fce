"""Agent backends: the one-method protocol and the registry of shipped implementations.

A backend turns one :class:`~flowdsl.AgentRequest` into one :class:`~flowdsl.AgentResult`.
It reports real usage; the runtime's budget gate trusts those numbers. Implementations
are loaded lazily by name (``simulate``, ``openai``, ``anthropic``, ``claude``, ``codex``)
so that importing flowdsl never imports an SDK the user did not ask for.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable, Mapping
from typing import Any, Protocol, runtime_checkable

from .._types import AgentRequest, AgentResult
from ..errors import UsageError

__all__ = ["BACKENDS", "AgentBackend", "load_backend"]


@runtime_checkable
class AgentBackend(Protocol):
    """Runs one subagent. Raise to fail the call; ``agent()`` then returns None."""

    async def run(self, request: AgentRequest) -> AgentResult: ...


BACKENDS: Mapping[str, str] = {
    "simulate": "flowdsl.backends._simulate:SimulateBackend",
    "openai": "flowdsl.backends._openai:create_backend",
    "anthropic": "flowdsl.backends._anthropic:create_backend",
    "claude": "flowdsl.backends._claude:create_backend",
    "codex": "flowdsl.backends._codex:create_backend",
}
"""Shipped backends by name -> ``module:factory`` (a zero-or-keyword-argument callable)."""


def _import_target(spec: str) -> Callable[..., Any]:
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise UsageError(f"backend {spec!r} is not a name or 'module:factory'")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # like uvicorn: user modules resolve from the cwd
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise UsageError(f"backend {spec!r}: cannot import {module_name!r} ({exc})") from exc
    try:
        target: Callable[..., Any] = getattr(module, attr)
    except AttributeError:
        raise UsageError(f"backend {spec!r}: {module_name!r} has no {attr!r}") from None
    return target


def load_backend(name: str, **options: Any) -> AgentBackend:
    """Build a backend from a shipped name or a ``module:factory`` reference.

    Raises:
        UsageError: the name is unknown or the factory cannot be imported or called.
    """
    spec = BACKENDS.get(name, name)
    if ":" not in spec:
        known = ", ".join(sorted(BACKENDS))
        raise UsageError(f"unknown backend {name!r} (known: {known}, or module:factory)")
    factory = _import_target(spec)
    backend = factory(**options) if options else factory()
    if not isinstance(backend, AgentBackend):
        raise UsageError(f"backend {name!r}: {spec} did not return an object with async run()")
    return backend
