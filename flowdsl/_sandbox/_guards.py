"""Run-time guards: the attribute guard built per policy, and the helpers the
transformer's rewrites call.

Every ``a.b`` in a script becomes ``_getattr_(a, "b")``, and ``_getattr_`` is the
:class:`Guards` of the script's own policy: the hot path is one dict lookup keyed by
``type(a)`` and one frozenset membership test; everything else (module proxies, class
objects, exceptions, objects that opt in) is on the slow path, which ends in a
:class:`SandboxViolation` when nothing allows the name. Two policies in one process
each have their own guards; no table here is shared or grown at run time.

Opting in, for library classes whose instances reach scripts (the runtime's budget,
the JavaScript layer's values):

- ``__sandbox_attrs__ = frozenset({"total", "spent"})`` on the class: the attribute
  names scripts may read (cached in the reading policy's own table on first use);
- ``__sandbox_writable__ = True`` on the class: scripts may assign and delete items.

Item reads, iteration and unpacking stay native: everything a script can reach is a
plain value or an allow-listed callable, whose items are plain values again.
"""

from __future__ import annotations

import collections
import functools
import re
import string
import sys
from collections.abc import Callable, Mapping, Sequence
from types import FrameType
from typing import Any, NoReturn

from RestrictedPython.transformer import INSPECT_ATTRIBUTES

from ..errors import SandboxViolation

__all__ = [
    "MAX_FORMAT_FIELDS",
    "MODULE_HINT",
    "SCRIPT_MARKER",
    "Guards",
    "ModuleProxy",
    "guarded_exc",
    "guarded_write",
    "violation",
]

SCRIPT_MARKER = "__flow_script__"
"""A global every script namespace holds (set to True): how :func:`violation` finds the
script's frame. Scripts cannot name it (names starting with ``_`` are refused)."""


def violation(message: str) -> SandboxViolation:
    """A run-time violation pointing at the script line that caused it."""
    frame: FrameType | None = sys._getframe(1)
    # Walk out of the sandbox's helpers (and stdlib frames such as string.Formatter's)
    # to the innermost frame of the script itself: its globals are the script's.
    while frame is not None and frame.f_globals.get(SCRIPT_MARKER) is not True:
        frame = frame.f_back
    if frame is None:
        return SandboxViolation(message)
    return SandboxViolation(message, path=frame.f_code.co_filename, line=frame.f_lineno)


MODULE_HINT = "a sandboxed module exposes only its allow-listed functions and constants"


class ModuleProxy:
    """What ``import json`` binds: only the allow-listed members of the module.

    Scripts read members through ``_getattr_``; the ``__getattr__`` below only serves
    ``from json import dumps`` (the interpreter's own lookup for ``import from``).
    """

    __slots__ = ("_flow_hints", "_flow_members", "_flow_name")

    def __init__(
        self, name: str, members: Mapping[str, object], hints: Mapping[str, str] | None = None
    ) -> None:
        self._flow_name = name
        self._flow_members = dict(members)
        self._flow_hints = dict(hints or {})

    def __getattr__(self, name: str) -> object:
        try:
            return self._flow_members[name]
        except KeyError:
            raise AttributeError(name) from None

    def __repr__(self) -> str:
        return f"<module {self._flow_name!r} (sandboxed)>"

    def member(self, name: str) -> object:
        try:
            return self._flow_members[name]
        except KeyError:
            pass
        hint = self._flow_hints.get(name, MODULE_HINT)
        raise violation(f"`{self._flow_name}.{name}` is not available in workflows: {hint}")


_ANY_EXCEPTION = frozenset({"args"})
"""A caught exception shows its ``args`` (and ``str(e)``), never its traceback."""

_MISSING = object()


class Guards:
    """The attribute guards of one policy: ``_getattr_``, ``getattr``, ``hasattr`` and
    ``str.format``, all answering from the same tables.

    Attributes:
        guarded_getattr: ``obj.name`` for scripts (the ``_getattr_`` global).
    """

    __slots__ = ("_classes", "_exceptions", "_format", "_table", "guarded_getattr")

    def __init__(
        self,
        attributes: Mapping[type, frozenset[str]],
        class_attributes: Mapping[object, frozenset[str]],
        exception_attributes: Mapping[type, frozenset[str]],
    ) -> None:
        # A private copy: classes that opt in (``__sandbox_attrs__``) are cached here,
        # in this policy's table only.
        self._table: dict[type, frozenset[str]] = dict(attributes)
        self._classes = class_attributes
        self._exceptions = exception_attributes
        lookup = self._table.get
        slow = self._slow_getattr

        def guarded_getattr(obj: object, name: str) -> Any:
            """``obj.name`` for scripts: the allow-list, then the slow path."""
            allowed = lookup(type(obj))
            if allowed is not None and name in allowed:
                return getattr(obj, name)
            return slow(obj, name)

        self.guarded_getattr = guarded_getattr
        formatter = _SafeFormatter(guarded_getattr)
        self._format: dict[str, Callable[..., str]] = {
            "format": functools.partial(_safe_format, formatter),
            "format_map": functools.partial(_safe_format_map, formatter),
        }

    def _slow_getattr(self, obj: object, name: str) -> Any:
        cls = type(obj)
        if cls is ModuleProxy:
            return obj.member(name)  # type: ignore[attr-defined]
        if cls is str and name in ("format", "format_map"):
            return functools.partial(self._format[name], obj)
        if not isinstance(name, str):
            raise TypeError(f"attribute name must be a string, not {type(name).__name__}")
        if not name.startswith("_"):
            if cls is type and obj in self._classes:
                return self._class_attribute(obj, name)
            if isinstance(obj, BaseException):
                if name in self._exceptions.get(cls, _ANY_EXCEPTION):
                    return getattr(obj, name)
            opted_in = getattr(cls, "__sandbox_attrs__", None)
            if isinstance(opted_in, frozenset) and name in opted_in:
                self._table[cls] = self._table.get(cls, frozenset()) | opted_in
                return getattr(obj, name)
        _refuse(obj, name)

    def _class_attribute(self, cls: Any, name: str) -> Any:
        if cls is str and name in ("format", "format_map"):
            return self._format[name]
        if name in self._classes[cls]:
            return getattr(cls, name)
        _refuse(cls, name)

    def script_getattr(self, obj: object, name: str, default: object = _MISSING, /) -> Any:
        """``getattr`` for scripts: the same allow-list as ``obj.name``.

        With a default, an attribute the sandbox hides counts as missing, except private
        and frame/code names: asking for those is always an error.
        """
        if default is _MISSING:
            return self.guarded_getattr(obj, name)
        try:
            return self.guarded_getattr(obj, name)
        except AttributeError:
            return default
        except SandboxViolation:
            if isinstance(name, str) and (name.startswith("_") or name in INSPECT_ATTRIBUTES):
                raise
            return default

    def script_hasattr(self, obj: object, name: str, /) -> bool:
        """``hasattr`` that answers for the sandbox's view of ``obj``."""
        try:
            self.guarded_getattr(obj, name)
        except (AttributeError, SandboxViolation):
            return False
        return True


def _describe(obj: object) -> str:
    if type(obj) is type:
        return f"class `{obj.__name__}`"
    if isinstance(obj, BaseException):
        return "exceptions"
    return f"`{type(obj).__name__}` values"


def _refuse(obj: object, name: str) -> NoReturn:
    if name.startswith("__"):
        hint = "double-underscore attributes are never available in workflows"
    elif isinstance(obj, BaseException):
        hint = "a caught exception exposes only `e.args` and `str(e)`"
    else:
        hint = "workflows may read only the documented attributes of plain values"
    raise violation(f"`.{name}` is not available on {_describe(obj)}: {hint}")


def guarded_write(obj: Any) -> Any:
    """The container of ``obj[k] = v`` / ``del obj[k]``: only the mutable plain values.

    Library classes whose items scripts may assign (the JavaScript layer's values) opt
    in with a class attribute ``__sandbox_writable__ = True``.
    """
    if type(obj) in _WRITABLE or isinstance(obj, _WRITABLE):
        return obj
    if getattr(type(obj), "__sandbox_writable__", False) is True:
        return obj
    raise violation(
        f"items cannot be assigned on {_describe(obj)}: only lists and dicts are writable"
    )


_WRITABLE = (list, dict, collections.deque)


def guarded_exc(handler: Any) -> Any:
    """The class of an ``except`` clause: only ``Exception`` subclasses.

    A script must never catch the run's stop signal (a ``BaseException``), and must not
    turn it into an ordinary error either: an invalid handler met while such a signal is
    propagating matches nothing, so the signal keeps going.
    """
    if _catchable(handler):
        return handler
    current = sys.exception()
    if current is not None and not isinstance(current, Exception):
        return ()
    raise violation("`except` accepts only Exception and its subclasses (or a tuple of them)")


def _catchable(handler: object) -> bool:
    if isinstance(handler, tuple):
        return all(_catchable(item) for item in handler)
    return isinstance(handler, type) and issubclass(handler, Exception)


class _SafeFormatter(string.Formatter):
    """``str.format`` whose field names (``{0.attr}``) go through the attribute guard."""

    def __init__(self, guarded_getattr: Callable[[object, str], Any]) -> None:
        super().__init__()
        self._getattr = guarded_getattr

    def get_field(self, field_name: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
        first, rest = _split_field(field_name)
        obj = self.get_value(first, args, kwargs)
        for is_attr, key in rest:
            obj = self._getattr(obj, key) if is_attr else obj[key]
        return obj, first


_FIELD_PART = re.compile(r"\.([^.\[]+)|\[([^\]]+)\]")


def _split_field(field_name: str) -> tuple[int | str, list[tuple[bool, Any]]]:
    head = re.match(r"[^.\[]*", field_name)
    first_text = head.group() if head else ""
    first: int | str = int(first_text) if first_text.isdigit() else first_text
    rest: list[tuple[bool, Any]] = []
    pos = len(first_text)
    while pos < len(field_name):
        part = _FIELD_PART.match(field_name, pos)
        if part is None:
            raise ValueError(f"invalid format field {field_name!r}")
        attr, key = part.group(1), part.group(2)
        if attr is not None:
            rest.append((True, attr))
        else:
            rest.append((False, int(key) if key.isdigit() else key))
        pos = part.end()
    return first, rest


MAX_FORMAT_FIELDS = 10_000
"""Replacement fields a ``str.format`` template may hold: the formatter is pure Python,
so its loop over the fields is out of the tick's reach (about 2 us a field)."""


def _check_template(template: object, method: str) -> None:
    if type(template) is not str:
        raise TypeError(f"{method}() needs a str template")
    fields = template.count("{")
    if fields > MAX_FORMAT_FIELDS:
        raise violation(
            f"`str.{method}` template is too big for a workflow ({fields:,} fields; the "
            f'limit is {MAX_FORMAT_FIELDS:,}): join the parts with `"".join(...)`'
        )


def _safe_format(formatter: _SafeFormatter, template: str, /, *args: Any, **kwargs: Any) -> str:
    """``template.format(*args, **kwargs)`` with guarded field access."""
    _check_template(template, "format")
    return formatter.vformat(template, args, kwargs)


def _safe_format_map(
    formatter: _SafeFormatter, template: str, mapping: Mapping[str, Any], /
) -> str:
    """``template.format_map(mapping)`` with guarded field access."""
    _check_template(template, "format_map")
    return formatter.vformat(template, (), mapping)
