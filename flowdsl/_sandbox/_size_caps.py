"""Size caps on single operations that run where no tick reaches them.

A tick stops script loops, but one C call (``10 ** 10 ** 8``, ``"x" * 10 ** 10``,
``math.factorial(10 ** 7)``, a catastrophic regular expression) or one pure-Python
stdlib loop (``textwrap.wrap``, ``statistics.mean``, ``json.dumps(..., indent=2)``)
runs to its end, past the run's deadline and deaf to ``stop``. The guards here refuse
such an operation *before* it starts, from the size of its operands, with a
:class:`SandboxViolation` saying what to do instead:

- ``*``, ``**`` and ``<<`` (the policy rewrites them, and ``*=``, ``**=``, ``<<=``, to
  the guards below; operations on two small constants stay native and are folded by
  the compiler): an int result may have at most :data:`MAX_INT_BITS` bits, a repeated
  sequence at most :data:`MAX_ITEMS` items;
- ``pow()``, ``math.factorial`` / ``comb`` / ``perm`` / ``prod`` / ``lcm``: the same int cap;
- ``re``: patterns that can backtrack catastrophically (``_regex_check.py``);
- ``textwrap`` and ``statistics`` inputs are capped (:data:`MAX_TEXT`, :data:`MAX_DATA`),
  ``str.format`` templates at :data:`MAX_FORMAT_FIELDS` fields, and ``json.dumps`` with
  ``indent`` (a pure-Python encoder) ticks per chunk.

Each cap sits far above what an orchestration script needs and bounds the operation
to well under a second on a slow machine. The guards are plain functions; the fast
path of ``guarded_mul`` (int by int, float by anything) costs about 150 ns against
20 ns native, which scripts that orchestrate agents never notice.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
import textwrap
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from ..errors import SandboxViolation
from ._guards import MAX_FORMAT_FIELDS, violation
from ._hooks import Tick

__all__ = [
    "MAX_DATA",
    "MAX_FORMAT_FIELDS",
    "MAX_INT_BITS",
    "MAX_ITEMS",
    "MAX_TEXT",
    "OPERATOR_GUARDS",
    "guarded_imul",
    "guarded_lshift",
    "guarded_mul",
    "guarded_pow",
    "json_members",
    "math_members",
    "safe_constant_operation",
    "statistics_members",
    "substitute",
    "textwrap_members",
    "ticking",
]

MAX_INT_BITS = 100_000
"""Bits of an int a single operation may produce (about 30,000 decimal digits)."""

MAX_ITEMS = 10_000_000
"""Items (characters for strings) a single sequence repetition may produce."""

MAX_TEXT = 100_000
"""Characters of the text ``textwrap`` functions accept (their loops are pure Python)."""

MAX_DATA = 100_000
"""Data points ``statistics`` functions accept (their loops are pure Python)."""

_HINT = "workflows orchestrate agents: ask an agent for heavy computation"
_SEQUENCES = (str, bytes, list, tuple, deque)


def _too_big(what: str, size: int, limit: int, unit: str) -> SandboxViolation:
    return violation(
        f"{what} is too big for a workflow ({size:,} {unit}; the limit is {limit:,}): {_HINT}"
    )


def _check_bits(what: str, bits: float) -> None:
    if bits > MAX_INT_BITS:
        raise _too_big(what, int(bits), MAX_INT_BITS, "bits")


def _check_repeat(sequence: Any, count: int) -> None:
    if count > 0 and len(sequence) * count > MAX_ITEMS:
        raise _too_big("`*` on a sequence", len(sequence) * count, MAX_ITEMS, "items")


def _check_mul(left: Any, right: Any) -> None:
    if isinstance(left, int):
        if isinstance(right, int):
            _check_bits("`*`", left.bit_length() + right.bit_length())
        elif isinstance(right, _SEQUENCES):
            _check_repeat(right, left)
    elif isinstance(right, int) and isinstance(left, _SEQUENCES):
        _check_repeat(left, right)


def guarded_mul(left: Any, right: Any, /) -> Any:
    """``left * right``, refused when the result would be huge."""
    # Fast paths first (about 150 ns against 20 ns native; scripts are not numeric).
    if type(left) is int and type(right) is int:
        if left.bit_length() + right.bit_length() <= MAX_INT_BITS:
            return left * right
    elif type(left) is float:
        return left * right
    _check_mul(left, right)
    return left * right


def guarded_imul(left: Any, right: Any, /) -> Any:
    """``left *= right`` (in place for lists), refused when the result would be huge."""
    _check_mul(left, right)
    left *= right
    return left


def _pow_bits(base: int, exponent: int) -> float:
    if exponent <= 0 or -1 <= base <= 1:
        return 0.0
    return exponent * math.log2(abs(base))


_MODULAR_WORK = MAX_INT_BITS * 1000
"""30-bit digit operations a modular ``pow()`` may take (about 0.1 s)."""


def _check_pow(base: Any, exponent: Any, modulus: Any = None) -> None:
    if not (isinstance(base, int) and isinstance(exponent, int)):
        return
    if modulus is None:
        _check_bits("`**` (or `pow()`)", _pow_bits(base, exponent))
    elif isinstance(modulus, int):
        # One squaring and one reduction per exponent bit, each quadratic in the
        # modulus' 30-bit digits.
        digits = modulus.bit_length() // 30 + 1
        work = exponent.bit_length() * digits * digits
        if work > _MODULAR_WORK:
            raise _too_big("`pow()` with a modulus", work, _MODULAR_WORK, "digit operations")


def guarded_pow(base: Any, exponent: Any, modulus: Any = None, /) -> Any:
    """``base ** exponent`` and ``pow()``, refused when the result or the work is huge."""
    if modulus is None and (type(base) is float or type(exponent) is float):
        return base**exponent
    _check_pow(base, exponent, modulus)
    if modulus is None:
        return base**exponent
    return pow(base, exponent, modulus)


def _check_lshift(left: Any, right: Any) -> None:
    if isinstance(left, int) and isinstance(right, int) and left and right > 0:
        _check_bits("`<<`", left.bit_length() + right)


def guarded_lshift(left: Any, right: Any, /) -> Any:
    """``left << right``, refused when the result would be huge."""
    _check_lshift(left, right)
    return left << right


OPERATOR_GUARDS: Mapping[str, Callable[..., Any]] = {
    "_mul_": guarded_mul,
    "_imul_": guarded_imul,
    "_pow_": guarded_pow,
    "_lshift_": guarded_lshift,
}
"""The script globals the policy's operator rewrites call."""


def safe_constant_operation(op: str, left: object, right: object) -> bool:
    """Whether ``left op right`` on two constants may stay native (the compiler folds it)."""
    if not isinstance(left, int | float | str | bytes) or not isinstance(right, int | float):
        return False
    checks: dict[str, Callable[[Any, Any], None]] = {
        "*": _check_mul,
        "**": _check_pow,
        "<<": _check_lshift,
    }
    try:
        checks[op](left, right)
    except (SandboxViolation, TypeError, ValueError, ArithmeticError):
        return False
    return True


# -- math ----------------------------------------------------------------------------


def _factorial(n: int, /) -> int:
    if isinstance(n, int) and n > 2:
        _check_bits("`math.factorial`", n * math.log2(n))
    return math.factorial(n)


def _comb(n: int, k: int, /) -> int:
    if isinstance(n, int) and isinstance(k, int) and n > 2:
        # comb(n, k) < n ** min(k, n - k)
        _check_bits("`math.comb`", min(max(k, 0), max(n - k, 0)) * math.log2(n))
    return math.comb(n, k)


def _perm(n: int, k: int | None = None, /) -> int:
    if isinstance(n, int) and n > 2:
        taken = n if k is None or not isinstance(k, int) else min(max(k, 0), n)
        _check_bits("`math.perm`", taken * math.log2(n))
    return math.perm(n, k)


def _int_bits(values: Iterable[Any]) -> int:
    return sum(abs(v).bit_length() for v in values if isinstance(v, int))


def _prod(iterable: Iterable[Any], /, *, start: Any = 1) -> Any:
    values = list(iterable)
    _check_bits("`math.prod`", _int_bits(values) + _int_bits((start,)))
    return math.prod(values, start=start)


def _lcm(*integers: int) -> int:
    _check_bits("`math.lcm`", _int_bits(integers))
    return math.lcm(*integers)


def math_members(members: Mapping[str, object]) -> dict[str, object]:
    """``math``'s members with the size-capped versions of the unbounded ones."""
    capped: dict[str, object] = {
        "factorial": _factorial,
        "comb": _comb,
        "perm": _perm,
        "prod": _prod,
        "lcm": _lcm,
    }
    return substitute(members, capped)


def substitute(members: Mapping[str, object], guarded: Mapping[str, object]) -> dict[str, object]:
    """``members`` with each name that ``guarded`` holds replaced by its guarded version."""
    return {name: guarded.get(name, member) for name, member in members.items()}


# -- textwrap, statistics, json --------------------------------------------------------


def _check_text(function: str, text: object, limit: int = MAX_TEXT) -> None:
    if isinstance(text, str) and len(text) > limit:
        raise _too_big(f"`textwrap.{function}`", len(text), limit, "characters")


def _textwrap(function: str) -> Callable[..., Any]:
    original = getattr(textwrap, function)

    @functools.wraps(original)
    def capped(text: Any, *args: Any, **kwargs: Any) -> Any:
        _check_text(function, text)
        # Prefixes, indents and placeholders are repeated once per line.
        for extra in (*args, *kwargs.values()):
            _check_text(function, extra, 100)
        return original(text, *args, **kwargs)

    return capped


def textwrap_members(members: Mapping[str, object]) -> dict[str, object]:
    """``textwrap``'s members with their text inputs capped."""
    return {name: _textwrap(name) for name in members}


def _bounded_data(function: str, data: Any) -> Any:
    if data is None or isinstance(data, int | float):
        return data
    if isinstance(data, list | tuple | str):
        items = data
    else:
        items = list(itertools.islice(data, MAX_DATA + 1))
    if len(items) > MAX_DATA:
        raise _too_big(f"`statistics.{function}`", len(items), MAX_DATA, "data points")
    return items


def _statistics(statistics: Any, function: str) -> Callable[..., Any]:
    original = getattr(statistics, function)

    @functools.wraps(original)
    def capped(*args: Any, **kwargs: Any) -> Any:
        bounded = [_bounded_data(function, arg) for arg in args]
        if "weights" in kwargs:
            kwargs["weights"] = _bounded_data(function, kwargs["weights"])
        n = kwargs.get("n")
        if isinstance(n, int) and n > MAX_DATA:
            raise _too_big(f"`statistics.{function}`", n, MAX_DATA, "quantiles")
        return original(*bounded, **kwargs)

    return capped


@functools.cache
def statistics_members(names: tuple[str, ...]) -> Mapping[str, object]:
    """``statistics``' members ``names``, functions with their data capped (classes pass
    through); ``linear_regression``'s result reads ``slope`` and ``intercept``.

    Built on the first import by a script, not before: ``statistics`` loads ``fractions``
    and ``decimal``, a fifth of a short command's start-up.
    """
    import statistics

    class LinearRegression(statistics.LinearRegression):
        """The stdlib result, with the attributes a script may read."""

        __slots__ = ()
        __sandbox_attrs__ = frozenset({"slope", "intercept"})

    members: dict[str, object] = {}
    for name in names:
        member = getattr(statistics, name, None)
        if member is None:
            continue
        members[name] = member if isinstance(member, type) else _statistics(statistics, name)
    capped = members.get("linear_regression")
    if callable(capped):

        @functools.wraps(capped)
        def linear_regression(*args: Any, **kwargs: Any) -> LinearRegression:
            return LinearRegression(*capped(*args, **kwargs))

        members["linear_regression"] = linear_regression
    return members


def json_members(members: Mapping[str, object], tick: Tick) -> dict[str, object]:
    """``json`` for one run: ``dumps(..., indent=...)`` ticks while it encodes."""

    def dumps(obj: Any, **options: Any) -> str:
        if options.get("indent") is None or options.get("cls") is not None:
            return json.dumps(obj, **options)
        # With an indent the encoder is pure Python: iterate it and tick per chunk.
        encoder = json.JSONEncoder(**options)
        return "".join(ticking(encoder.iterencode(obj), tick))

    return {**members, "dumps": dumps}


def ticking(items: Iterable[Any], tick: Tick) -> Iterator[Any]:
    """Iterate ``items`` calling ``tick`` before each item (for loops outside scripts)."""
    for item in items:
        tick()
        yield item
