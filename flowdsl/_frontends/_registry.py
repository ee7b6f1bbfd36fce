"""The suffix registry: which frontend turns which file into the sandbox's Python form.

One table, :data:`FRONTENDS`, maps every workflow suffix to its frontend; everything
else that needs to know suffixes (workflow lookup, ``flowdsl transpile``, the runtime's
``workflow()``) asks here. The JavaScript layer is imported lazily, by this module only
(the way anyio loads its backends): the core never imports ``compat`` itself.

Both languages run under one sandbox policy, the default one plus ``jsrt`` (the JS
semantics helpers, built per run with the run's scheduler): the Python form that
``flowdsl transpile`` writes is a ``.flow.py`` that imports ``jsrt``.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from os import PathLike
from typing import TYPE_CHECKING, Literal

from .._sandbox import LineMap, SandboxPolicy, ScriptHooks, collector_paused
from ..errors import SandboxViolation, UsageError

if TYPE_CHECKING:
    from types import ModuleType

__all__ = [
    "FRONTENDS",
    "JSRT",
    "WORKFLOW_SUFFIXES",
    "Frontend",
    "Language",
    "frontend_available",
    "frontend_for",
    "is_javascript",
    "language_of",
    "suffix_of",
    "workflow_policy",
]

Language = Literal["python", "javascript"]

JSRT = "jsrt"
"""The module name under which scripts import the JavaScript runtime helpers."""


@dataclass(frozen=True, slots=True)
class Frontend:
    """How one language becomes the sandbox's Python form, and how it names errors."""

    language: Language

    def to_python(self, source: str, path: str) -> tuple[str, LineMap | None]:
        """The Python form of ``source`` and its line map (None: the lines are the same).

        Raises:
            UsageError: the language's layer is not installed.
            ScriptError: the source is not a valid script of this language.
        """
        if self.language == "python":
            return source, None
        with collector_paused():  # no GC between parse and transpile (_collector_pause)
            transpiled = _javascript_layer(path).transpile(source, path)
        return transpiled.source, transpiled.line_map

    def error_name(self, error: BaseException) -> str:
        """``error``'s type as the script's language names it (a JS ``TypeError`` is
        not Python's)."""
        if self.language == "javascript":
            name: str = _javascript_layer("").error_name(error)
            return name
        return type(error).__name__


PYTHON = Frontend("python")
JAVASCRIPT = Frontend("javascript")

FRONTENDS: Mapping[str, Frontend] = {
    ".flow.py": PYTHON,
    ".py": PYTHON,
    ".js": JAVASCRIPT,
    ".mjs": JAVASCRIPT,
    ".cjs": JAVASCRIPT,
}
"""Workflow file suffix -> frontend; the longest matching suffix wins."""

WORKFLOW_SUFFIXES: tuple[str, ...] = tuple(FRONTENDS)
"""Every workflow suffix, preferred first (``.flow.py`` before ``.py``)."""

_BY_LENGTH = sorted(FRONTENDS, key=len, reverse=True)


def suffix_of(path: str | PathLike[str]) -> str:
    """The workflow suffix ``path`` ends with (``.flow.py`` beats ``.py``), or its last
    suffix (``""`` if none) when it is not a workflow file."""
    text = str(path)
    name = text.replace("\\", "/").rsplit("/", 1)[-1]
    for suffix in _BY_LENGTH:
        if name.endswith(suffix):
            return suffix
    dot = name.rfind(".")
    return name[dot:] if dot > 0 else ""


def frontend_for(path: str | PathLike[str]) -> Frontend:
    """The frontend for ``path``'s suffix.

    Raises:
        UsageError: the suffix is not a workflow suffix.
    """
    frontend = FRONTENDS.get(suffix_of(path))
    if frontend is None:
        known = ", ".join(sorted(FRONTENDS))
        raise UsageError(f"{path}: unknown workflow file type (expected one of {known})")
    return frontend


def language_of(path: str | PathLike[str]) -> Language | None:
    """The language of the workflow file ``path``, or None for another file."""
    frontend = FRONTENDS.get(suffix_of(path))
    return None if frontend is None else frontend.language


def is_javascript(path: str | PathLike[str]) -> bool:
    """Whether ``path`` is a JavaScript workflow (``.js``, ``.mjs``, ``.cjs``)."""
    return language_of(path) == "javascript"


def frontend_available(suffix: str) -> bool:
    """Whether workflows with ``suffix`` can be compiled here (the JS layer is optional)."""
    frontend = FRONTENDS.get(suffix)
    if frontend is None:
        return False
    if frontend.language == "python":
        return True
    try:
        _javascript_layer("")
    except UsageError:
        return False
    return True


def _javascript_layer(path: str) -> ModuleType:
    try:
        return importlib.import_module("compat")
    except ImportError:
        where = f"{path}: " if path else ""
        raise UsageError(
            f"{where}JavaScript workflows need the JS layer (the `compat` package), "
            "which is not installed"
        ) from None


def _jsrt_members(hooks: ScriptHooks) -> Mapping[str, object]:
    """The ``jsrt`` module factory: the JS layer's helpers, bound to the run's hooks."""
    try:
        compat = _javascript_layer("")
    except UsageError as exc:
        raise SandboxViolation(str(exc)) from None
    members: Mapping[str, object] = compat.jsrt_members(hooks)
    return members


def preload_runtime(language: str) -> None:
    """Import now what running scripts of ``language`` imports lazily (a process that
    may open no file once its script starts loads it first)."""
    if language == "javascript":
        try:
            _javascript_layer("").jsrt_members  # noqa: B018 - the import is the point
        except UsageError:
            pass


@functools.cache
def workflow_policy() -> SandboxPolicy:
    """The sandbox policy workflows of every language compile and run under."""
    return SandboxPolicy.default().with_module(JSRT, _jsrt_members)
