"""The default policy's attribute allow-lists: what scripts may read, per exact type.

These are the tables :meth:`SandboxPolicy.default` starts from; a policy copies them,
so nothing here changes at run time. Subclasses of listed types get nothing: scripts
cannot define classes, so any subclass is library code that must opt in itself
(``__sandbox_attrs__``, see ``_guards.py``).
"""

from __future__ import annotations

import collections
import itertools
import json
import re
from collections.abc import Mapping

from ..errors import AgentLimitExceeded, BudgetExceeded, ItemLimitExceeded

__all__ = ["ATTRIBUTES", "CLASS_ATTRIBUTES", "EXCEPTION_ATTRIBUTES"]


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

ATTRIBUTES: Mapping[type, frozenset[str]] = {
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

CLASS_ATTRIBUTES: Mapping[object, frozenset[str]] = {
    **{
        cls: frozenset(name for name in ATTRIBUTES[cls] if callable(getattr(cls, name)))
        for cls in (str, list, dict, set, frozenset, tuple, int, float)
    },
    itertools.chain: frozenset({"from_iterable"}),
}
"""Attributes of class objects, for ``str.upper`` in ``map(str.upper, xs)`` and the like."""

EXCEPTION_ATTRIBUTES: Mapping[type, frozenset[str]] = {
    BudgetExceeded: frozenset({"args", "total", "spent"}),
    AgentLimitExceeded: frozenset({"args", "limit"}),
    ItemLimitExceeded: frozenset({"args", "limit", "actual"}),
    json.JSONDecodeError: frozenset({"args", "msg", "pos", "lineno", "colno"}),
}
"""Attributes of caught exceptions, by exact type; any other exception shows only
``args`` (and ``str(e)``), never its traceback."""
