"""Array.prototype methods (arrays are Python lists; holes are not modelled)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from ._convert import to_number, to_string
from ._numbers import to_integer
from ._ops import js_eq, same_value_zero
from ._strings import relative_index
from ._values import JSIterator, JSRangeError, JSTypeError, is_callable, js_truthy, undefined

__all__ = ["ARRAY_METHODS", "array_get", "iterate", "to_list"]


def _fn(value: Any, method: str) -> Callable[..., Any]:
    if not is_callable(value):
        raise JSTypeError(f"{to_string(value) if not callable(value) else 'value'} is not a "
                          f"function (in Array.prototype.{method})")
    return value  # type: ignore[no-any-return]


def iterate(value: Any) -> Any:
    """What ``for...of`` and spread iterate: arrays, strings, Maps, Sets, iterators."""
    if isinstance(value, list | str):
        return value
    js_iter = getattr(value, "js_iter", None)
    if js_iter is not None:
        return js_iter()
    if value is undefined or value is None:
        raise JSTypeError(f"{to_string(value)} is not iterable")
    raise JSTypeError(f"{to_string(value) if not isinstance(value, dict) else 'object'} is "
                      "not iterable")


def to_list(value: Any) -> list[Any]:
    return list(iterate(value))


def array_get(arr: list[Any], key: str) -> Any:
    if key == "length":
        return len(arr)
    if key[:1].isdigit():
        index = int(key) if key.isdigit() else -1
        if 0 <= index < len(arr) and str(index) == key:
            return arr[index]
        return undefined
    method = ARRAY_METHODS.get(key)
    if method is not None:
        return lambda *args: method(arr, *args)
    extra = getattr(arr, "js_extra", None)
    return extra(key) if extra is not None else undefined


def _map(arr: list[Any], fn: Any = undefined, *_: Any) -> list[Any]:
    f = _fn(fn, "map")
    return [f(x, i, arr) for i, x in enumerate(arr)]


def _for_each(arr: list[Any], fn: Any = undefined, *_: Any) -> Any:
    f = _fn(fn, "forEach")
    for i, x in enumerate(arr):
        f(x, i, arr)
    return undefined


def _filter(arr: list[Any], fn: Any = undefined, *_: Any) -> list[Any]:
    f = _fn(fn, "filter")
    return [x for i, x in enumerate(arr) if js_truthy(f(x, i, arr))]


def _some(arr: list[Any], fn: Any = undefined, *_: Any) -> bool:
    f = _fn(fn, "some")
    return any(js_truthy(f(x, i, arr)) for i, x in enumerate(arr))


def _every(arr: list[Any], fn: Any = undefined, *_: Any) -> bool:
    f = _fn(fn, "every")
    return all(js_truthy(f(x, i, arr)) for i, x in enumerate(arr))


def _find(arr: list[Any], fn: Any = undefined, *_: Any) -> Any:
    f = _fn(fn, "find")
    for i, x in enumerate(arr):
        if js_truthy(f(x, i, arr)):
            return x
    return undefined


def _find_index(arr: list[Any], fn: Any = undefined, *_: Any) -> int:
    f = _fn(fn, "findIndex")
    for i, x in enumerate(arr):
        if js_truthy(f(x, i, arr)):
            return i
    return -1


def _find_last(arr: list[Any], fn: Any = undefined, *_: Any) -> Any:
    f = _fn(fn, "findLast")
    for i in range(len(arr) - 1, -1, -1):
        if js_truthy(f(arr[i], i, arr)):
            return arr[i]
    return undefined


def _find_last_index(arr: list[Any], fn: Any = undefined, *_: Any) -> int:
    f = _fn(fn, "findLastIndex")
    for i in range(len(arr) - 1, -1, -1):
        if js_truthy(f(arr[i], i, arr)):
            return i
    return -1


def _reduce(arr: list[Any], fn: Any = undefined, *init: Any) -> Any:
    f = _fn(fn, "reduce")
    if init:
        acc, start = init[0], 0
    elif arr:
        acc, start = arr[0], 1
    else:
        raise JSTypeError("Reduce of empty array with no initial value")
    for i in range(start, len(arr)):
        acc = f(acc, arr[i], i, arr)
    return acc


def _reduce_right(arr: list[Any], fn: Any = undefined, *init: Any) -> Any:
    f = _fn(fn, "reduceRight")
    indices = list(range(len(arr) - 1, -1, -1))
    if init:
        acc = init[0]
    elif indices:
        acc = arr[indices.pop(0)]
    else:
        raise JSTypeError("Reduce of empty array with no initial value")
    for i in indices:
        acc = f(acc, arr[i], i, arr)
    return acc


def _flat(arr: list[Any], depth: Any = undefined, *_: Any) -> list[Any]:
    level = 1 if depth is undefined else to_integer(to_number(depth))
    out: list[Any] = []
    for x in arr:
        if isinstance(x, list) and level > 0:
            out.extend(_flat(x, level - 1))
        else:
            out.append(x)
    return out


def _flat_map(arr: list[Any], fn: Any = undefined, *_: Any) -> list[Any]:
    f = _fn(fn, "flatMap")
    out: list[Any] = []
    for i, x in enumerate(arr):
        value = f(x, i, arr)
        if isinstance(value, list):
            out.extend(value)
        else:
            out.append(value)
    return out


def _includes(arr: list[Any], value: Any = undefined, start: Any = undefined, *_: Any) -> bool:
    begin = relative_index(start, len(arr), 0)
    return any(same_value_zero(x, value) for x in arr[begin:])


def _index_of(arr: list[Any], value: Any = undefined, start: Any = undefined, *_: Any) -> int:
    begin = relative_index(start, len(arr), 0)
    for i in range(begin, len(arr)):
        if js_eq(arr[i], value):
            return i
    return -1


def _last_index_of(arr: list[Any], value: Any = undefined, *_: Any) -> int:
    for i in range(len(arr) - 1, -1, -1):
        if js_eq(arr[i], value):
            return i
    return -1


def _at(arr: list[Any], pos: Any = undefined, *_: Any) -> Any:
    i = 0 if pos is undefined else to_integer(to_number(pos))
    if i < 0:
        i += len(arr)
    return arr[i] if 0 <= i < len(arr) else undefined


def _slice(arr: list[Any], start: Any = undefined, end: Any = undefined, *_: Any) -> list[Any]:
    n = len(arr)
    return arr[relative_index(start, n, 0):relative_index(end, n, n)]


def _splice(arr: list[Any], *args: Any) -> list[Any]:
    n = len(arr)
    start = relative_index(args[0] if args else undefined, n, 0)
    if not args:
        count = 0
    elif len(args) == 1:
        count = n - start
    else:
        count = min(max(to_integer(to_number(args[1])), 0), n - start)
    removed = arr[start:start + count]
    arr[start:start + count] = list(args[2:])
    return removed


def _default_compare(a: Any, b: Any) -> int:
    if a is undefined:
        return 0 if b is undefined else 1
    if b is undefined:
        return -1
    x, y = to_string(a), to_string(b)
    if x == y:
        return 0
    return -1 if _utf16(x) < _utf16(y) else 1


def _utf16(text: str) -> Any:
    if text.isascii() or all(ord(c) < 0xD800 for c in text):
        return text
    return text.encode("utf-16-be")


def _sort(arr: list[Any], compare: Any = undefined, *_: Any) -> list[Any]:
    if compare is undefined:
        key = functools.cmp_to_key(_default_compare)
    else:
        f = _fn(compare, "sort")

        def user(a: Any, b: Any) -> int:
            if a is undefined or b is undefined:
                return _default_compare(a, b)
            result = to_number(f(a, b))
            return 0 if result != result else (result > 0) - (result < 0)

        key = functools.cmp_to_key(user)
    arr.sort(key=key)
    return arr


def _join(arr: list[Any], sep: Any = undefined, *_: Any) -> str:
    separator = "," if sep is undefined else to_string(sep)
    return separator.join("" if x is None or x is undefined else to_string(x) for x in arr)


def _concat(arr: list[Any], *items: Any) -> list[Any]:
    out = list(arr)
    for item in items:
        if isinstance(item, list):
            out.extend(item)
        else:
            out.append(item)
    return out


def _fill(arr: list[Any], value: Any = undefined, start: Any = undefined, end: Any = undefined,
          *_: Any) -> list[Any]:
    n = len(arr)
    for i in range(relative_index(start, n, 0), relative_index(end, n, n)):
        arr[i] = value
    return arr


def _push(arr: list[Any], *items: Any) -> int:
    arr.extend(items)
    return len(arr)


def _pop(arr: list[Any], *_: Any) -> Any:
    return arr.pop() if arr else undefined


def _shift(arr: list[Any], *_: Any) -> Any:
    return arr.pop(0) if arr else undefined


def _unshift(arr: list[Any], *items: Any) -> int:
    arr[0:0] = items
    return len(arr)


def _reverse(arr: list[Any], *_: Any) -> list[Any]:
    arr.reverse()
    return arr


def _with(arr: list[Any], index: Any = undefined, value: Any = undefined, *_: Any) -> list[Any]:
    i = to_integer(to_number(index))
    if i < 0:
        i += len(arr)
    if not 0 <= i < len(arr):
        raise JSRangeError("Invalid index")
    out = list(arr)
    out[i] = value
    return out


ARRAY_METHODS: dict[str, Callable[..., Any]] = {
    "at": _at,
    "concat": _concat,
    "entries": lambda arr, *_: JSIterator([[i, x] for i, x in enumerate(arr)]),
    "every": _every,
    "fill": _fill,
    "filter": _filter,
    "find": _find,
    "findIndex": _find_index,
    "findLast": _find_last,
    "findLastIndex": _find_last_index,
    "flat": _flat,
    "flatMap": _flat_map,
    "forEach": _for_each,
    "includes": _includes,
    "indexOf": _index_of,
    "join": _join,
    "keys": lambda arr, *_: JSIterator(list(range(len(arr)))),
    "lastIndexOf": _last_index_of,
    "map": _map,
    "pop": _pop,
    "push": _push,
    "reduce": _reduce,
    "reduceRight": _reduce_right,
    "reverse": _reverse,
    "shift": _shift,
    "slice": _slice,
    "some": _some,
    "sort": _sort,
    "splice": _splice,
    "toReversed": lambda arr, *_: arr[::-1],
    "toSorted": lambda arr, cmp=undefined, *_: _sort(list(arr), cmp),
    "toSpliced": lambda arr, *args: (lambda c: (_splice(c, *args), c)[1])(list(arr)),
    "toString": lambda arr, *_: _join(arr),
    "unshift": _unshift,
    "values": lambda arr, *_: JSIterator(list(arr)),
    "with": _with,
}
