"""Run-time guards: the attribute allow-list and the helpers the policy calls.

Every ``a.b`` in a script becomes ``_getattr_(a, "b")``. The hot path is one dict
lookup keyed by ``type(a)`` and one frozenset membership test; everything else
(module proxies, class objects, exceptions, objects that opt in) is on the slow path,
which ends in a :class:`SandboxViolation` when nothing allows the name. Subclasses of
allowed types get nothing: scripts cannot define classes, so any subclass is library
code that must opt in itself.

Opting in, for library classes whose instances reach scripts (the runtime's budget,
the JavaScript layer's values):

- ``__sandbox_attrs__ = frozenset({"total", "spent"})`` on the class: the attribute
  names scripts may read (cached into the hot-path table on first use);
- ``__sandbox_writable__ = True`` on the class: scripts may assign and delete items.

Item reads, iteration and unpacking stay native: everything a script can reach is a
plain value or an allow-listed callable, whose items are plain values again.
"""

from __future__ import annotations

import collections
import functools
import json
import re
import string
import sys
from collections.abc import Callable, Mapping, Sequence
from types import FrameType
from typing import Any, NoReturn

from ..errors import (
    AgentLimitExceeded,
    BudgetExceeded,
    ItemLimitExceeded,
    SandboxViolation,
)

__all__ = [
    "ATTRIBUTES",
    "CLASS_ATTRIBUTES",
    "MAX_FORMAT_FIELDS",
    "ModuleProxy",
    "allow_attributes",
    "guarded_exc",
    "guarded_getattr",
    "guarded_hasattr",
    "guarded_write",
    "safe_format",
    "violation",
]


def violation(message: str) -> SandboxViolation:
    """A run-time violation pointing at the script line that caused it."""
    frame: FrameType | None = sys._getframe(1)
    # Walk out of the sandbox's helpers (and stdlib frames such as string.Formatter's)
    # to the innermost frame of the script itself: its globals are the script's.
    while frame is not None and frame.f_globals.get("_getattr_") is not guarded_getattr:
        frame = frame.f_back
    if frame is None:
        return SandboxViolation(message)
    return SandboxViolation(message, path=frame.f_code.co_filename, line=frame.f_lineno)


def _methods(cls: type, names: str) -> frozenset[str]:
    # Filtered by hasattr so one table serves every supported Python version.
    return frozenset(name for name in names.split() if hasattr(cls, name))


_STR = """capitalize casefold center count endswith expandtabs find index isalnum isalpha
    isascii isdecimal isdigit isidentifier islower isnumeric isprintable isspace istitle
    isupper join ljust lower lstrip maketrans partition removeprefix removesuffix replace
    rfind rindex rjust rpartition rsplit rstrip split splitlines startswith strip swapcase
    title translate upper zfill"""
_LIST = "append clear copy count extend index insert pop remove reverse sort"
_DICT = "clear copy fromkeys get items keys pop popitem setdefault update values"
_SET = """add clear copy difference difference_update discard intersection
    intersection_update isdisjoint issubset issuperset pop remove symmetric_difference
    symmetric_difference_update union update"""
_FROZENSET = """copy difference intersection isdisjoint issubset issuperset
    symmetric_difference union"""
_INT = """as_integer_ratio bit_count bit_length conjugate denominator imag is_integer
    numerator real"""
_FLOAT = "as_integer_ratio conjugate fromhex hex imag is_integer real"
_PATTERN = "findall finditer flags fullmatch groupindex groups match pattern search split sub subn"
_MATCH = """end endpos expand group groupdict groups lastgroup lastindex pos re regs span
    start string"""
_DEQUE = """append appendleft clear copy count extend extendleft index insert maxlen pop
    popleft remove reverse rotate"""

ATTRIBUTES: dict[type, frozenset[str]] = {
    str: _methods(str, _STR),
    list: _methods(list, _LIST),
    dict: _methods(dict, _DICT),
    set: _methods(set, _SET),
    frozenset: _methods(frozenset, _FROZENSET),
    tuple: _methods(tuple, "count index"),
    int: _methods(int, _INT),
    bool: _methods(bool, _INT),
    float: _methods(float, _FLOAT),
    range: _methods(range, "count index start step stop"),
    type({}.keys()): frozenset({"isdisjoint"}),
    type({}.items()): frozenset({"isdisjoint"}),
    type({}.values()): frozenset(),
    re.Pattern: _methods(re.Pattern, _PATTERN),
    re.Match: _methods(re.Match, _MATCH),
    # Not `elements`: `Counter(a=10**9).elements()` is a billion items produced in C,
    # where no tick reaches (write `[k for k, n in c.items() for _ in range(n)]`).
    collections.Counter: _methods(collections.Counter, _DICT + " most_common subtract total"),
    collections.defaultdict: _methods(collections.defaultdict, _DICT),
    collections.OrderedDict: _methods(collections.OrderedDict, _DICT + " move_to_end"),
    collections.deque: _methods(collections.deque, _DEQUE),
}
"""Instance attributes scripts may read, by exact type (the hot path of ``_getattr_``)."""

CLASS_ATTRIBUTES: dict[object, frozenset[str]] = {
    cls: frozenset(name for name in ATTRIBUTES[cls] if callable(getattr(cls, name)))
    for cls in (str, list, dict, set, frozenset, tuple, int, float)
}
"""Attributes of class objects, for ``str.upper`` in ``map(str.upper, xs)`` and the like."""

_EXCEPTION_ATTRIBUTES: dict[type, frozenset[str]] = {
    BudgetExceeded: frozenset({"args", "total", "spent"}),
    AgentLimitExceeded: frozenset({"args", "limit"}),
    ItemLimitExceeded: frozenset({"args", "limit", "actual"}),
    json.JSONDecodeError: frozenset({"args", "msg", "pos", "lineno", "colno"}),
}
_ANY_EXCEPTION = frozenset({"args"})
"""A caught exception shows its ``args`` (and ``str(e)``), never its traceback."""


def allow_attributes(cls: type, names: frozenset[str]) -> None:
    """Let scripts read ``names`` on instances of exactly ``cls`` (used for DSL objects)."""
    ATTRIBUTES[cls] = ATTRIBUTES.get(cls, frozenset()) | names


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


def guarded_getattr(obj: object, name: str) -> Any:
    """``obj.name`` for scripts: the allow-list, then the slow path."""
    allowed = ATTRIBUTES.get(type(obj))
    if allowed is not None and name in allowed:
        return getattr(obj, name)
    return _slow_getattr(obj, name)


def _slow_getattr(obj: object, name: str) -> Any:
    cls = type(obj)
    if cls is ModuleProxy:
        return obj.member(name)  # type: ignore[attr-defined]
    if cls is str and name in ("format", "format_map"):
        return _bound_format(obj, name)  # type: ignore[arg-type]
    if not isinstance(name, str):
        raise TypeError(f"attribute name must be a string, not {type(name).__name__}")
    if not name.startswith("_"):
        if cls is type and obj in CLASS_ATTRIBUTES:
            return _class_attribute(obj, name)
        if isinstance(obj, BaseException):
            names = _EXCEPTION_ATTRIBUTES.get(cls, _ANY_EXCEPTION)
            if name in names:
                return getattr(obj, name)
        opted_in = getattr(cls, "__sandbox_attrs__", None)
        if isinstance(opted_in, frozenset) and name in opted_in:
            allow_attributes(cls, opted_in)
            return getattr(obj, name)
    _refuse(obj, name)


def _class_attribute(cls: Any, name: str) -> Any:
    if cls is str and name in ("format", "format_map"):
        return _FORMAT_FUNCTIONS[name]
    if name in CLASS_ATTRIBUTES[cls]:
        return getattr(cls, name)
    _refuse(cls, name)


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


def guarded_hasattr(obj: object, name: str) -> bool:
    """``hasattr`` that answers for the sandbox's view of ``obj``."""
    try:
        guarded_getattr(obj, name)
    except (AttributeError, SandboxViolation):
        return False
    return True


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

    def get_field(self, field_name: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
        first, rest = _split_field(field_name)
        obj = self.get_value(first, args, kwargs)
        for is_attr, key in rest:
            obj = guarded_getattr(obj, key) if is_attr else obj[key]
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


_FORMATTER = _SafeFormatter()


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


def safe_format(template: str, /, *args: Any, **kwargs: Any) -> str:
    """``template.format(*args, **kwargs)`` with guarded field access."""
    _check_template(template, "format")
    return _FORMATTER.vformat(template, args, kwargs)


def safe_format_map(template: str, mapping: Mapping[str, Any], /) -> str:
    """``template.format_map(mapping)`` with guarded field access."""
    _check_template(template, "format_map")
    return _FORMATTER.vformat(template, (), mapping)


_FORMAT_FUNCTIONS: dict[str, Callable[..., str]] = {
    "format": safe_format,
    "format_map": safe_format_map,
}


def _bound_format(template: str, name: str) -> Callable[..., str]:
    return functools.partial(_FORMAT_FUNCTIONS[name], template)
