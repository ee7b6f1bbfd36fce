"""The process boundary: the script in a supervised child, its agents in the parent.

``_parent`` starts and serves the child (the run's side); ``_child`` is the child's
entry point; ``_protocol`` the messages between them; ``_confine`` what the child gives
up before its script starts; ``_crash`` the one-line reasons of a child that died.
"""

from __future__ import annotations

import typing as _typing

from ..._lazy import lazy_exports as _lazy_exports

if _typing.TYPE_CHECKING:
    from ._parent import GRACE as GRACE
    from ._parent import run_in_child as run_in_child
    from ._spawn import ScriptProcess as ScriptProcess
    from ._spawn import prestart as prestart

_LAZY: dict[str, tuple[str, str]] = {
    "GRACE": ("._parent", "GRACE"),
    "run_in_child": ("._parent", "run_in_child"),
    "ScriptProcess": ("._spawn", "ScriptProcess"),
    "prestart": ("._spawn", "prestart"),
}


__getattr__ = _lazy_exports(__name__, _LAZY)


__all__ = ("GRACE", "ScriptProcess", "prestart", "run_in_child")
