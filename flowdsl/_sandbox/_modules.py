"""The import allow-list: which modules a script may import, and what it sees of them.

``import json`` binds a :class:`ModuleProxy` holding only the listed members, so module
internals (``json.codecs``, ``json.decoder``, ``re._compiler``) do not exist for a script.
Imports are checked when the script is compiled (:func:`check_import`), so a refused
import fails before anything runs, with a message saying what to do instead; the
run-time :class:`Importer` enforces the same list for anything that gets past.

Members that can produce unbounded work in C (``itertools.count``, ``cycle``,
``repeat`` without ``times`` or with a huge one, and the combinatoric iterators) are
wrapped so that consuming them ticks the run's deadline like a script loop does;
``json.dumps`` with an ``indent`` ticks per chunk. ``re``, ``math``, ``textwrap`` and
``statistics`` members that could run long where no tick reaches are the size-capped
versions from ``_limits``.
"""

from __future__ import annotations

import collections
import functools
import importlib
import itertools
import json
import math
import re
import statistics
import string
import textwrap
from collections.abc import Callable, Iterable, Iterator, Mapping
from types import ModuleType
from typing import Any

from .._frontends import Tick
from ._guards import CLASS_ATTRIBUTES, MODULE_HINT, ModuleProxy, allow_attributes, violation
from ._limits import (
    json_members,
    math_members,
    re_members,
    statistics_members,
    textwrap_members,
    ticking,
)

__all__ = ["ALLOWED_MODULES", "REFUSED_MODULES", "Importer", "check_import", "ticking"]


def _members(module: ModuleType, names: str) -> dict[str, object]:
    return {name: getattr(module, name) for name in names.split() if hasattr(module, name)}


_RE = """compile match search fullmatch findall finditer sub subn split escape error
    IGNORECASE I MULTILINE M DOTALL S VERBOSE X ASCII A"""
_ITERTOOLS = """accumulate batched chain combinations combinations_with_replacement compress
    count cycle dropwhile filterfalse groupby islice pairwise permutations product repeat
    starmap takewhile tee zip_longest"""
_STATISTICS = """correlation covariance fmean geometric_mean harmonic_mean linear_regression
    mean median median_grouped median_high median_low mode multimode pstdev pvariance
    quantiles stdev variance StatisticsError"""
_STRING = """ascii_letters ascii_lowercase ascii_uppercase capwords digits hexdigits
    octdigits printable punctuation whitespace"""

ALLOWED_MODULES: Mapping[str, Mapping[str, object]] = {
    "json": _members(json, "dumps loads JSONDecodeError"),
    "re": re_members(_members(re, _RE)),
    "math": math_members({name: getattr(math, name) for name in dir(math) if name[0] != "_"}),
    "itertools": _members(itertools, _ITERTOOLS),
    "functools": _members(functools, "cache cmp_to_key lru_cache partial reduce"),
    "collections": _members(collections, "Counter OrderedDict defaultdict deque"),
    "string": _members(string, _STRING),
    "textwrap": textwrap_members(_members(textwrap, "dedent fill indent shorten wrap")),
    "statistics": statistics_members(_members(statistics, _STATISTICS)),
}
"""Module name -> the members a script sees (everything else is unreachable).

Members that could run unbounded work where no tick reaches are size-capped versions
(see ``_limits``); ``itertools`` and ``json`` are completed per run, with the tick."""

if hasattr(statistics, "LinearRegression"):
    allow_attributes(statistics.LinearRegression, frozenset({"slope", "intercept"}))
CLASS_ATTRIBUTES[itertools.chain] = frozenset({"from_iterable"})

_TIME = "pass the time you need in `args` (workflows are deterministic and replayable)"
_IO = "workflows do no I/O themselves: ask an agent to do it, or pass the values in `args`"

REFUSED_MODULES: Mapping[str, str] = {
    "time": _TIME,
    "datetime": _TIME,
    "calendar": _TIME,
    "random": "pass random values or a seed in `args` (workflows are replayable)",
    "secrets": "pass random values in `args` (workflows are replayable)",
    "uuid": "pass identifiers in `args`, or derive them from the inputs",
    "os": _IO,
    "sys": _IO,
    "subprocess": _IO,
    "socket": _IO,
    "pathlib": _IO,
    "shutil": _IO,
    "io": _IO,
    "urllib": _IO,
    "http": _IO,
    "requests": _IO,
    "asyncio": "use the DSL: `parallel(...)`, `pipeline(...)` and `await agent(...)`",
    "threading": "use the DSL: `parallel(...)` and `pipeline(...)`",
}
"""Modules scripts commonly reach for, and what to do instead."""

REFUSED_MEMBERS: Mapping[tuple[str, str], str] = {
    ("collections", "namedtuple"): "it builds a class from source: use a dict",
    ("functools", "wraps"): "decorators cannot copy function internals in workflows",
}

BIG_REPEAT = 10_000_000
"""``itertools.repeat(x, times)`` above this many items ticks (like ``range``)."""

MAX_TEE = 1_000
"""``itertools.tee(it, n)`` builds its ``n`` copies in C: a cap instead of a tick."""

JSRT = "jsrt"
"""The JavaScript runtime helpers (``compat._jsrt``), importable by transpiled scripts."""
_JSRT_MODULE = "compat._jsrt"


def _allowed_list() -> str:
    return ", ".join(sorted(ALLOWED_MODULES))


def _load_jsrt() -> dict[str, object]:
    try:
        module = importlib.import_module(_JSRT_MODULE)
    except ImportError:
        raise violation("JavaScript runtime not installed (`compat._jsrt` is missing)") from None
    return {name: getattr(module, name) for name in getattr(module, "__all__", ())}


def check_import(module: str, names: Iterable[str] | None, *, javascript: bool) -> str | None:
    """Why ``import module`` / ``from module import names`` is refused, or None if allowed.

    Args:
        module: the dotted module name as written.
        names: the names of a ``from`` import, or None for ``import module``.
        javascript: whether the script came from the JavaScript layer. ``jsrt`` is open to
            both: the Python form that ``flowdsl transpile`` writes is a ``.flow.py``.
    """
    top = module.partition(".")[0]
    if module == JSRT:  # also for .flow.py: `flowdsl transpile` output imports it
        members: Mapping[str, object] = _load_jsrt()
    elif module in ALLOWED_MODULES:
        members = ALLOWED_MODULES[module]
    elif top in REFUSED_MODULES:
        return f"`{module}` is not available in workflows: {REFUSED_MODULES[top]}"
    elif top in ALLOWED_MODULES:
        return f"`{module}` is not available in workflows: import `{top}` itself"
    else:
        return f"`{module}` is not available in workflows (allowed: {_allowed_list()})"
    for name in names or ():
        if name not in members:
            return _member_refusal(module, name)
    return None


def _member_refusal(module: str, name: str) -> str:
    hint = REFUSED_MEMBERS.get((module, name))
    if hint is not None:
        return f"`{module}.{name}` is not available in workflows: {hint}"
    return f"`{module}.{name}` is not available in workflows: {MODULE_HINT}"


def _ticking_factory(factory: Callable[..., Iterable[Any]], tick: Tick) -> Callable[..., Any]:
    def make(*args: Any, **kwargs: Any) -> Iterator[Any]:
        return ticking(factory(*args, **kwargs), tick)

    return make


def _itertools_members(tick: Tick) -> dict[str, object]:
    members = dict(ALLOWED_MODULES["itertools"])
    unbounded = "count cycle product permutations combinations combinations_with_replacement"
    for name in unbounded.split():
        members[name] = _ticking_factory(getattr(itertools, name), tick)

    def repeat(value: object, times: int | None = None) -> Iterator[object]:
        if times is None:
            return ticking(itertools.repeat(value), tick)
        if times > BIG_REPEAT:
            return ticking(itertools.repeat(value, times), tick)
        return itertools.repeat(value, times)

    members["repeat"] = repeat

    def tee(iterable: Iterable[Any], n: int = 2) -> tuple[Iterator[Any], ...]:
        if isinstance(n, int) and n > MAX_TEE:
            raise violation(f"`itertools.tee` makes at most {MAX_TEE:,} copies, not {n:,}")
        return itertools.tee(iterable, n)

    members["tee"] = tee
    return members


class Importer:
    """The script's ``__import__``: module proxies from the allow-list, built per run."""

    __slots__ = ("_proxies", "_tick")

    def __init__(self, tick: Tick) -> None:
        self._tick = tick
        self._proxies: dict[str, ModuleProxy] = {}

    def __call__(
        self,
        name: str,
        globals: Mapping[str, object] | None = None,
        locals: Mapping[str, object] | None = None,
        fromlist: Iterable[str] | None = (),
        level: int = 0,
    ) -> ModuleProxy | None:
        if fromlist == ["__doc__"]:
            # PyImport_Import(): C code inside a script frame (the "coroutine was never
            # awaited" warning imports `warnings`) calls the frame's __import__ this way,
            # then ignores the result and reads sys.modules. Scripts cannot make this
            # call: `__doc__` and `__import__` are names the policy refuses.
            return None
        if level:
            raise violation("relative imports are not available in workflows")
        proxy = self._proxies.get(name)
        if proxy is None:
            proxy = self._proxies[name] = self._proxy(name)
        for member in fromlist or ():
            if member not in proxy._flow_members:
                raise violation(_member_refusal(name, member))
        return proxy

    def _proxy(self, name: str) -> ModuleProxy:
        if name == JSRT:
            members: Mapping[str, object] = _load_jsrt()
        elif name == "itertools":
            members = _itertools_members(self._tick)
        elif name == "json":
            members = json_members(ALLOWED_MODULES["json"], self._tick)
        elif name in ALLOWED_MODULES:
            members = ALLOWED_MODULES[name]
        else:
            raise violation(check_import(name, None, javascript=False) or name)
        hints = {
            member: hint for (module, member), hint in REFUSED_MEMBERS.items() if module == name
        }
        return ModuleProxy(name, members, hints)
