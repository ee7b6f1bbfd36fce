"""The import allow-list: which modules a script may import, and what it sees of them.

``import json`` binds a :class:`ModuleProxy` holding only the listed members, so module
internals (``json.codecs``, ``json.decoder``, ``re._compiler``) do not exist for a script.
Which modules exist is the policy's ``modules`` table (:data:`MODULES` for the default
policy). Imports are checked when the script is compiled (:func:`check_import`), so a
refused import fails before anything runs, with a message saying what to do instead;
the run-time :class:`Importer` enforces the same list for anything that gets past.

A module is either a fixed mapping of members or a :data:`ModuleFactory` called once
per script run with the run's :class:`ScriptHooks`: members that can produce unbounded
work in C (``itertools.count``, ``cycle``, ``repeat`` without ``times`` or with a huge
one, and the combinatoric iterators) are wrapped so that consuming them ticks the run's
deadline like a script loop does; ``json.dumps`` with an ``indent`` ticks per chunk.
``re``, ``math``, ``textwrap`` and ``statistics`` members that could run long where no
tick reaches are the size-capped versions from ``_size_caps`` and ``_regex_check``.
"""

from __future__ import annotations

import collections
import functools
import itertools
import json
import math
import re
import string
import textwrap
from collections.abc import Callable, Iterable, Iterator, Mapping
from types import ModuleType
from typing import TYPE_CHECKING, Any

from ._guards import MODULE_HINT, ModuleProxy, violation
from ._hooks import ScriptHooks, Tick
from ._regex_check import re_members
from ._size_caps import (
    json_members,
    math_members,
    statistics_members,
    textwrap_members,
    ticking,
)

if TYPE_CHECKING:
    from ._policy import SandboxPolicy

__all__ = [
    "MODULES",
    "REFUSED_MEMBERS",
    "REFUSED_MODULES",
    "Importer",
    "ModuleFactory",
    "ModuleSource",
    "check_import",
]

ModuleFactory = Callable[[ScriptHooks], Mapping[str, object]]
"""Builds a module's members for one script run (those that tick, or need the run).

Also called at compile time, with hooks whose tick does nothing, to learn the member
names: it must be cheap and have no side effects."""

ModuleSource = Mapping[str, object] | ModuleFactory
"""A module of a policy: its members, or a factory of them."""


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

BIG_REPEAT = 10_000_000
"""``itertools.repeat(x, times)`` above this many items ticks (like ``range``)."""

MAX_TEE = 1_000
"""``itertools.tee(it, n)`` builds its ``n`` copies in C: a cap instead of a tick."""


def _ticking_factory(factory: Callable[..., Iterable[Any]], tick: Tick) -> Callable[..., Any]:
    def make(*args: Any, **kwargs: Any) -> Iterator[Any]:
        return ticking(factory(*args, **kwargs), tick)

    return make


def _itertools_members(hooks: ScriptHooks) -> dict[str, object]:
    tick = hooks.tick
    members = _members(itertools, _ITERTOOLS)
    unbounded = "count cycle product permutations combinations combinations_with_replacement"
    for name in unbounded.split():
        members[name] = _ticking_factory(getattr(itertools, name), tick)

    def repeat(value: object, times: int | None = None) -> Iterator[object]:
        if times is None:
            return ticking(itertools.repeat(value), tick)
        if times > BIG_REPEAT:
            return ticking(itertools.repeat(value, times), tick)
        return itertools.repeat(value, times)

    def tee(iterable: Iterable[Any], n: int = 2) -> tuple[Iterator[Any], ...]:
        if isinstance(n, int) and n > MAX_TEE:
            raise violation(f"`itertools.tee` makes at most {MAX_TEE:,} copies, not {n:,}")
        return itertools.tee(iterable, n)

    members["repeat"] = repeat
    members["tee"] = tee
    return members


_JSON = _members(json, "dumps loads JSONDecodeError")


def _json_members(hooks: ScriptHooks) -> dict[str, object]:
    return json_members(_JSON, hooks.tick)


def _statistics_members(hooks: ScriptHooks) -> Mapping[str, object]:
    return statistics_members(tuple(_STATISTICS.split()))


MODULES: Mapping[str, ModuleSource] = {
    "json": _json_members,
    "re": re_members(_members(re, _RE)),
    "math": math_members({name: getattr(math, name) for name in dir(math) if name[0] != "_"}),
    "itertools": _itertools_members,
    "functools": _members(functools, "cache cmp_to_key lru_cache partial reduce"),
    "collections": _members(collections, "Counter OrderedDict defaultdict deque"),
    "string": _members(string, _STRING),
    "textwrap": textwrap_members(_members(textwrap, "dedent fill indent shorten wrap")),
    "statistics": _statistics_members,
}
"""The default policy's modules: name -> the members a script sees (everything else is
unreachable), or a factory of them per run (``itertools`` and ``json`` tick)."""

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
"""Modules scripts commonly reach for, and what to do instead (messages only: a module
not in the policy's ``modules`` does not exist for a script)."""

REFUSED_MEMBERS: Mapping[tuple[str, str], str] = {
    ("collections", "namedtuple"): "it builds a class from source: use a dict",
    ("functools", "wraps"): "decorators cannot copy function internals in workflows",
}


def check_import(module: str, names: Iterable[str] | None, policy: SandboxPolicy) -> str | None:
    """Why ``import module`` / ``from module import names`` is refused, or None if allowed.

    Args:
        module: the dotted module name as written.
        names: the names of a ``from`` import, or None for ``import module``.
        policy: the policy the script is compiled under.

    Raises:
        SandboxViolation: a module factory failed (e.g. a runtime that is not installed).
    """
    top = module.partition(".")[0]
    members = policy.member_names(module)
    if members is None:
        if top in policy.refused_modules:
            return f"`{module}` is not available in workflows: {policy.refused_modules[top]}"
        if policy.member_names(top) is not None:
            return f"`{module}` is not available in workflows: import `{top}` itself"
        allowed = ", ".join(sorted(policy.modules))
        return f"`{module}` is not available in workflows (allowed: {allowed})"
    for name in names or ():
        if name not in members:
            return _member_refusal(policy, module, name)
    return None


def _member_refusal(policy: SandboxPolicy, module: str, name: str) -> str:
    hint = policy.refused_members.get((module, name), MODULE_HINT)
    return f"`{module}.{name}` is not available in workflows: {hint}"


class Importer:
    """The script's ``__import__``: module proxies from the policy, built per run."""

    __slots__ = ("_hooks", "_policy", "_proxies")

    def __init__(self, policy: SandboxPolicy, hooks: ScriptHooks) -> None:
        self._policy = policy
        self._hooks = hooks
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
                raise violation(_member_refusal(self._policy, name, member))
        return proxy

    def _proxy(self, name: str) -> ModuleProxy:
        members = self._policy.module_members(name, self._hooks)
        if members is None:
            raise violation(check_import(name, None, self._policy) or name)
        hints = {
            member: hint
            for (module, member), hint in self._policy.refused_members.items()
            if module == name
        }
        return ModuleProxy(name, members, hints)
