"""The process boundary: the script in a supervised child, its agents in the parent.

``_parent`` starts and serves the child (the run's side); ``_child`` is the child's
entry point; ``_protocol`` the messages between them; ``_confine`` what the child gives
up before its script starts; ``_crash`` the one-line reasons of a child that died.
"""

from __future__ import annotations

import importlib as _importlib
import typing as _typing

if _typing.TYPE_CHECKING:
    from ._parent import GRACE as GRACE
    from ._parent import run_in_child as run_in_child

_LAZY: dict[str, tuple[str, str]] = {
    "GRACE": ("._parent", "GRACE"),
    "run_in_child": ("._parent", "run_in_child"),
}


def __getattr__(name: str) -> _typing.Any:
    """Import a public name on first use (a process that needs little loads little)."""
    try:
        module, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(_importlib.import_module(module, __name__), attr)
    globals()[name] = value
    return value


__all__ = ("GRACE", "run_in_child")
