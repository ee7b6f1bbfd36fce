"""What a run checks and starts on its backend before the script runs."""

from __future__ import annotations

from contextlib import AsyncExitStack
from typing import Any

from .._frontends import CompiledWorkflow
from ..backends import AgentBackend
from ..errors import BackendConfigError

__all__ = ["check_models", "enter_backend"]


def check_models(backend: AgentBackend, compiled: CompiledWorkflow,
                 default_model: str | None) -> BackendConfigError | None:
    """The backend's verdict on ``--model`` and the phases' models, before any agent
    runs (a backend without ``check_models`` takes any name): an alias nobody defined."""
    check = getattr(backend, "check_models", None)
    if check is None:
        return None
    names = [(default_model, "--model")] if default_model else []
    for phase in compiled.meta.get("phases") or ():
        if isinstance(phase, dict) and isinstance(phase.get("model"), str):
            names.append((phase["model"], f"phase {phase.get('title')!r}"))
    try:
        check(names)
    except BackendConfigError as exc:
        return exc
    return None


async def enter_backend(backend: AgentBackend, stack: AsyncExitStack) -> str | None:
    """Enter a backend that is an async context manager for the run's lifetime (its MCP
    servers start with the run and stop after it); the error when it cannot."""
    manager: Any = backend
    if not hasattr(manager, "__aenter__") or not hasattr(manager, "__aexit__"):
        return None
    try:
        await stack.enter_async_context(manager)
    except Exception as exc:
        return f"the backend could not start: {type(exc).__name__}: {exc}"
    return None
