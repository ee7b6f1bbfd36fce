"""The script's builtins and globals: the only code that builds a script namespace.

The builtins are an allow-list. A name that is not here does not exist for a script
(``NameError``); the policy turns the well-known absent ones (``open``, ``eval``,
``type``, ...) into a compile-time :class:`SandboxViolation` with a hint.

Ticks: loops and comprehensions in script code call ``_tick_`` themselves; the few
builtins that can produce unbounded work *in C*, where no script code runs, are
wrapped to tick too: ``range`` above ten million items and ``iter(f, sentinel)``;
``pow`` is the size-guarded one of ``_size_caps``, which the ``**`` rewrite also calls.

:func:`start_script` is how compiled code runs: a fresh namespace from the script's
policy, the run's hooks and the DSL, then the entry coroutine.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Coroutine, Iterator, Mapping
from types import CodeType
from typing import TYPE_CHECKING, Any, SupportsIndex, cast

from ..errors import (
    AgentLimitExceeded,
    AgentTypeError,
    BudgetExceeded,
    CostLimitExceeded,
    FailurePolicyExceeded,
    FlowError,
    IsolationError,
    ItemLimitExceeded,
    SchemaError,
    WorkflowNestingError,
)
from ._guards import SCRIPT_MARKER, guarded_exc, guarded_write, violation
from ._hooks import ScriptHooks, Tick
from ._modules import Importer
from ._size_caps import OPERATOR_GUARDS, guarded_pow, ticking

if TYPE_CHECKING:
    from ._policy import SandboxPolicy

__all__ = ["BIG_RANGE", "BIG_RANGE_ATTRIBUTES", "ENTRY", "SAFE_BUILTINS", "BigRange",
           "script_globals", "start_script"]

ENTRY = "__flow_main__"
"""Name of the async function a compiled script defines; :func:`start_script` calls it."""

_PLAIN = """abs aiter all anext any ascii bin bool callable chr dict divmod enumerate
    filter float format frozenset hex int isinstance len list map max min next oct ord
    repr reversed round set slice sorted str sum tuple zip"""

_EXCEPTIONS = """ArithmeticError AssertionError AttributeError Exception IndexError KeyError
    LookupError NotImplementedError OverflowError RecursionError RuntimeError
    StopAsyncIteration StopIteration TimeoutError TypeError UnicodeError ValueError
    ZeroDivisionError"""

SAFE_BUILTINS: Mapping[str, object] = {
    **{name: getattr(builtins, name) for name in (*_PLAIN.split(), *_EXCEPTIONS.split())},
    # The flowdsl errors a script may want to catch around agent() / parallel().
    "FlowError": FlowError,
    "BudgetExceeded": BudgetExceeded,
    "AgentLimitExceeded": AgentLimitExceeded,
    "ItemLimitExceeded": ItemLimitExceeded,
    "SchemaError": SchemaError,
    "AgentTypeError": AgentTypeError,
    "IsolationError": IsolationError,
    "CostLimitExceeded": CostLimitExceeded,
    "FailurePolicyExceeded": FailurePolicyExceeded,
    "WorkflowNestingError": WorkflowNestingError,
    "pow": guarded_pow,
}
"""The default policy's builtins; ``script_globals`` adds the per-run ones and the
policy's ``getattr`` / ``hasattr``."""

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


BIG_RANGE_ATTRIBUTES = frozenset({"count", "index", "start", "step", "stop"})
"""What scripts may read on a :class:`BigRange` (what they may read on a ``range``)."""


def _make_range(span: range, tick: Tick) -> range | BigRange:
    try:
        small = len(span) <= BIG_RANGE
    except OverflowError:  # longer than sys.maxsize
        small = False
    return span if small else BigRange(span, tick)


def _per_run_builtins(
    dsl: Mapping[str, object], hooks: ScriptHooks, policy: SandboxPolicy
) -> dict[str, object]:
    log = dsl.get("log")
    tick = hooks.tick

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

    return {
        "print": print_,
        "range": range_,
        "iter": iter_,
        "getattr": policy.guards.script_getattr,
        "hasattr": policy.guards.script_hasattr,
        "__import__": Importer(policy, hooks),
    }


def script_globals(
    dsl: Mapping[str, object], hooks: ScriptHooks, policy: SandboxPolicy
) -> dict[str, object]:
    """Build the namespace a compiled workflow runs in.

    Args:
        dsl: the DSL names the script sees as globals (``agent``, ``parallel``,
            ``pipeline``, ``phase``, ``log``, ``args``, ``budget``, ``workflow``, ...).
        hooks: the run's hooks; ``hooks.tick`` is called on every loop iteration,
            comprehension item and function entry, and raises (a ``BaseException``)
            to stop the script at the run's deadline.
        policy: what the script may touch (its builtins, attributes and modules).

    Returns:
        A fresh dict for ``exec(code, namespace)``.

    Raises:
        SandboxViolation: a DSL name starts with ``_`` (reserved for the sandbox).
    """
    for name in dsl:
        if name.startswith("_"):
            raise violation(f"DSL name {name!r} is private: DSL names may not start with `_`")
    script_builtins = dict(policy.builtins)
    script_builtins.update(_per_run_builtins(dsl, hooks, policy))
    namespace: dict[str, object] = {
        "__builtins__": script_builtins,
        "__name__": "__workflow__",
        SCRIPT_MARKER: True,
        "_getattr_": policy.guards.guarded_getattr,
        "_write_": guarded_write,
        "_exc_": guarded_exc,
        "_tick_": hooks.tick,
        **OPERATOR_GUARDS,
    }
    namespace.update(dsl)
    return namespace


def start_script(
    code: CodeType, dsl: Mapping[str, object], hooks: ScriptHooks, policy: SandboxPolicy
) -> Coroutine[Any, Any, Any]:
    """Run a compiled script's module code and return its entry coroutine (not started).

    Args:
        code: the code object of :func:`compile_python` (it defines :data:`ENTRY`).
        dsl: the DSL names, as for :func:`script_globals`.
        hooks: the run's hooks.
        policy: the policy the script was compiled under.
    """
    namespace = script_globals(dsl, hooks, policy)
    exec(code, namespace)
    entry = cast("Callable[[], Coroutine[Any, Any, Any]]", namespace[ENTRY])
    return entry()
