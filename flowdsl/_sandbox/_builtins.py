"""The script's builtins and globals: the only code that builds a script namespace.

The builtins are an allow-list. A name that is not here does not exist for a script
(``NameError``); the policy turns the well-known absent ones (``open``, ``eval``,
``type``, ...) into a compile-time :class:`SandboxViolation` with a hint.

Ticks: loops and comprehensions in script code call ``_tick_`` themselves; the few
builtins that can produce unbounded work *in C*, where no script code runs, are
wrapped to tick too: ``range`` above ten million items and ``iter(f, sentinel)``;
``pow`` is the size-guarded one of ``_limits``, which the ``**`` rewrite also calls.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterator, Mapping
from typing import Any, SupportsIndex

from RestrictedPython.transformer import INSPECT_ATTRIBUTES

from .._frontends import Tick
from ..errors import (
    AgentLimitExceeded,
    BudgetExceeded,
    FlowError,
    ItemLimitExceeded,
    SandboxViolation,
    SchemaError,
)
from ._guards import (
    ATTRIBUTES,
    allow_attributes,
    guarded_exc,
    guarded_getattr,
    guarded_hasattr,
    guarded_write,
    violation,
)
from ._limits import OPERATOR_GUARDS, guarded_pow
from ._modules import Importer, ticking

__all__ = ["BIG_RANGE", "SAFE_BUILTINS", "BigRange", "script_globals"]

_PLAIN = """abs aiter all anext any ascii bin bool callable chr dict divmod enumerate
    filter float format frozenset hex int isinstance len list map max min next oct ord
    repr reversed round set slice sorted str sum tuple zip"""

_EXCEPTIONS = """ArithmeticError AssertionError AttributeError Exception IndexError KeyError
    LookupError NotImplementedError OverflowError RecursionError RuntimeError
    StopAsyncIteration StopIteration TimeoutError TypeError UnicodeError ValueError
    ZeroDivisionError"""

_MISSING = object()


def _getattr(obj: object, name: str, default: object = _MISSING, /) -> Any:
    """``getattr`` for scripts: the same allow-list as ``obj.name``, never plain getattr.

    With a default, an attribute the sandbox hides counts as missing, except private
    and frame/code names: asking for those is always an error.
    """
    if default is _MISSING:
        return guarded_getattr(obj, name)
    try:
        return guarded_getattr(obj, name)
    except AttributeError:
        return default
    except SandboxViolation:
        if isinstance(name, str) and (name.startswith("_") or name in INSPECT_ATTRIBUTES):
            raise
        return default


SAFE_BUILTINS: Mapping[str, object] = {
    **{name: getattr(builtins, name) for name in (*_PLAIN.split(), *_EXCEPTIONS.split())},
    # The flowdsl errors a script may want to catch around agent() / parallel().
    "FlowError": FlowError,
    "BudgetExceeded": BudgetExceeded,
    "AgentLimitExceeded": AgentLimitExceeded,
    "ItemLimitExceeded": ItemLimitExceeded,
    "SchemaError": SchemaError,
    "getattr": _getattr,
    "hasattr": guarded_hasattr,
    "pow": guarded_pow,
}
"""Builtins that need no per-run state; ``script_globals`` adds the per-run ones."""

BIG_RANGE = 10_000_000
"""Ranges longer than this iterate in Python, ticking, instead of in C."""


class BigRange:
    """A ``range`` too long to hand to C code: same answers, ticking iteration."""

    __slots__ = ("_range", "_tick")

    def __init__(self, span: range, tick: Tick) -> None:
        self._range = span
        self._tick = tick

    @property
    def start(self) -> int:
        return self._range.start

    @property
    def stop(self) -> int:
        return self._range.stop

    @property
    def step(self) -> int:
        return self._range.step

    def count(self, value: int) -> int:
        return self._range.count(value)

    def index(self, value: int) -> int:
        return self._range.index(value)

    def __iter__(self) -> Iterator[int]:
        return ticking(self._range, self._tick)

    def __reversed__(self) -> Iterator[int]:
        return ticking(reversed(self._range), self._tick)

    def __len__(self) -> int:
        return len(self._range)

    def __contains__(self, value: object) -> bool:
        return value in self._range

    def __getitem__(self, index: SupportsIndex | slice) -> Any:
        if isinstance(index, slice):
            return _make_range(self._range[index], self._tick)
        return self._range[index]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, BigRange):
            return self._range == other._range
        return self._range == other

    def __hash__(self) -> int:
        return hash(self._range)

    def __repr__(self) -> str:
        return repr(self._range)


allow_attributes(BigRange, frozenset({"count", "index", "start", "step", "stop"}))


def _make_range(span: range, tick: Tick) -> range | BigRange:
    try:
        small = len(span) <= BIG_RANGE
    except OverflowError:  # longer than sys.maxsize
        small = False
    return span if small else BigRange(span, tick)


def _per_run_builtins(dsl: Mapping[str, object], tick: Tick) -> dict[str, object]:
    log = dsl.get("log")

    def print_(
        *values: object,
        sep: str | None = " ",
        end: str | None = "\n",
        file: object = None,
        flush: bool = False,
    ) -> None:
        """``print`` writes a narrator line through ``log`` (there is no stdout)."""
        if file is not None:
            raise violation("print(file=...) is not available in workflows: there are no files")
        if sep is not None and not isinstance(sep, str):
            raise TypeError(f"sep must be None or a string, not {type(sep).__name__}")
        if callable(log):
            log((" " if sep is None else sep).join(map(str, values)))

    def range_(*bounds: SupportsIndex) -> range | BigRange:
        return _make_range(range(*bounds), tick)

    def iter_(source: Any, *sentinel: Any) -> Iterator[Any]:
        if not sentinel:
            return iter(source)
        if len(sentinel) > 1:
            raise TypeError(f"iter expected at most 2 arguments, got {1 + len(sentinel)}")
        return ticking(iter(source, sentinel[0]), tick)

    names: dict[str, object] = {
        "print": print_,
        "range": range_,
        "iter": iter_,
        "__import__": Importer(tick),
    }
    return names


def script_globals(dsl: Mapping[str, object], tick: Callable[[], None]) -> dict[str, object]:
    """Build the namespace a compiled workflow runs in.

    Args:
        dsl: the DSL names the script sees as globals (``agent``, ``parallel``,
            ``pipeline``, ``phase``, ``log``, ``args``, ``budget``, ``workflow``, ...).
        tick: called on every loop iteration, comprehension item and function entry;
            it raises (a ``BaseException``) to stop the script at the run's deadline.

    Returns:
        A fresh dict for ``exec(compiled.code, namespace)``.
    """
    for name in dsl:
        if name.startswith("_"):
            raise violation(f"DSL name {name!r} is private: DSL names may not start with `_`")
    budget = dsl.get("budget")
    if budget is not None and type(budget) not in ATTRIBUTES:
        allow_attributes(type(budget), frozenset({"total", "spent", "remaining"}))
    script_builtins = dict(SAFE_BUILTINS)
    script_builtins.update(_per_run_builtins(dsl, tick))
    namespace: dict[str, object] = {
        "__builtins__": script_builtins,
        "__name__": "__workflow__",
        "_getattr_": guarded_getattr,
        "_write_": guarded_write,
        "_exc_": guarded_exc,
        "_tick_": tick,
        **OPERATOR_GUARDS,
    }
    namespace.update(dsl)
    return namespace
