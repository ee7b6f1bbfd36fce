"""Import a provider SDK and instructor when an HTTP backend is built, not in its first call.

``openai``, ``anthropic`` and instructor take seconds to import, and parts of them load
lazily on first use (the SDK's resource modules, instructor's provider handlers). Done
inside the first agent calls, that import ran on the event loop after the per-agent
timeouts had started: on a loaded machine the whole first wave of agents timed out.
Building the backend (``create``) happens before the run starts, so it pays the cost there.

Importing :mod:`flowdsl` or :mod:`flowdsl.backends` still imports no SDK: only building an
HTTP backend does.
"""

from __future__ import annotations

import contextlib
import importlib

from ..errors import BackendConfigError

__all__ = ["preload"]

_INSTRUCTOR_NAMES = ("patch", "Mode", "Provider")
"""instructor's lazy attributes the backends use; reading one imports its module."""


def preload(backend: str, package: str, provider: str, warmups: tuple[str, ...] = ()) -> None:
    """Import ``package``, instructor and the modules their calls would import lazily.

    Args:
        backend: the backend's name (``openai``), also the name of the extra to install.
        package: the provider SDK (``openai``, ``anthropic``); required.
        provider: instructor's provider name; its handlers are imported if they exist.
        warmups: SDK submodules first used inside a call. They are imported if they exist:
            a module renamed by a newer SDK costs time at the first call, never an error.

    Raises:
        BackendConfigError: the SDK or instructor is not installed.
    """
    try:
        importlib.import_module(package)
        instructor = importlib.import_module("instructor")
    except ImportError as exc:
        raise BackendConfigError(
            f"the {backend} backend needs the {exc.name or package!r} package: "
            f"pip install 'flowdsl[{backend}]'"
        ) from exc
    for name in _INSTRUCTOR_NAMES:
        with contextlib.suppress(ImportError, AttributeError):
            getattr(instructor, name)
    for module in (*warmups, f"instructor.v2.providers.{provider}.handlers"):
        with contextlib.suppress(ImportError):
            importlib.import_module(module)
