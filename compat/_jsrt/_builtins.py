"""The JS global objects: Object, Array, Number, String, Boolean, Math, JSON, Promise,
Map, Set, Date, URL, RegExp, the Error classes and the global functions.

Over 400 lines on purpose: the global namespace scripts see, kept in one place; the
semantics behind each global live in the other modules."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, ClassVar

from ._arrays import iterate
from ._collections import JSMap, JSSet
from ._convert import to_number, to_property_key, to_string
from ._date import JSDate, date_parse, date_utc, new_date
from ._json import json_parse, json_stringify
from ._numbers import parse_float, parse_int, to_integer
from ._objects import js_spread_object
from ._promise import JSPromise, adopt, new_promise
from ._regexp import JSRegExp, regexp_from
from ._uri import (
    URIError,
    decodeURI,
    decodeURIComponent,
    encodeURI,
    encodeURIComponent,
    escape,
    unescape,
)
from ._url import JSURL, URL_STATICS
from ._values import (
    JSError,
    JSObjectBase,
    JSRangeError,
    JSReferenceError,
    JSSyntaxError,
    JSTypeError,
    is_callable,
    js_caught,
    js_truthy,
    num,
    undefined,
)

__all__ = [
    "JSON",
    "URL",
    "Array",
    "Boolean",
    "Date",
    "Error",
    "Infinity",
    "Map",
    "Math",
    "NaN",
    "Number",
    "Object",
    "Promise",
    "RangeError",
    "ReferenceError",
    "RegExp",
    "Set",
    "String",
    "SyntaxError",
    "TypeError",
    "URIError",
    "decodeURI",
    "decodeURIComponent",
    "encodeURI",
    "encodeURIComponent",
    "escape",
    "isFinite",
    "isNaN",
    "parseFloat",
    "parseInt",
    "unescape",
]

NaN = math.nan
Infinity = math.inf


class JSBuiltin(JSObjectBase):
    """A global such as ``Math`` or ``Array``: members, maybe callable, maybe a class."""

    __slots__ = ("call", "construct", "instance_check", "members", "name")
    js_class = "Function"
    js_callable: ClassVar[bool] = True

    def __init__(
        self,
        name: str,
        members: dict[str, Any],
        call: Callable[..., Any] | None = None,
        construct: Callable[..., Any] | None = None,
        instance_check: Callable[[Any], bool] | None = None,
    ) -> None:
        self.name = name
        self.members = members
        self.call = call
        self.construct = construct
        self.instance_check = instance_check

    def __call__(self, *args: Any) -> Any:
        if self.call is None:
            raise JSTypeError(f"{self.name} is not a function"
                              if self.construct is None else
                              f"Class constructor {self.name} cannot be invoked without 'new'")
        return self.call(*args)

    def js_property(self, key: str) -> Any:
        return self.members.get(key, undefined)

    def js_construct(self, *args: Any) -> Any:
        if self.construct is None:
            raise JSTypeError(f"{self.name} is not a constructor")
        return self.construct(*args)

    def js_instance_check(self, value: Any) -> bool:
        return self.instance_check(value) if self.instance_check else False

    def js_to_string(self) -> str:
        return f"function {self.name}() {{ [native code] }}"


class JSNamespace(JSBuiltin):
    """``Math`` and ``JSON``: plain objects, not callable."""

    js_class = "Object"
    js_callable: ClassVar[bool] = False


# -- Object ---------------------------------------------------------------------------------


def _keys(obj: Any = undefined, *_: Any) -> list[str]:
    if obj is None or obj is undefined:
        raise JSTypeError("Cannot convert undefined or null to object")
    return list(js_spread_object(obj))


def _from_entries(iterable: Any = undefined, *_: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for entry in iterate(iterable):
        if isinstance(entry, list):
            key = entry[0] if entry else undefined
            out[to_property_key(key)] = entry[1] if len(entry) > 1 else undefined
        else:
            raise JSTypeError("Iterator value is not an entry object")
    return out


def _assign(target: Any = undefined, *sources: Any) -> Any:
    if target is None or target is undefined:
        raise JSTypeError("Cannot convert undefined or null to object")
    from ._objects import js_set

    for source in sources:
        if source is None or source is undefined:
            continue
        for key, value in js_spread_object(source).items():
            js_set(target, key, value)
    return target


Object = JSBuiltin("Object", {
    "keys": _keys,
    "values": lambda obj=undefined, *_: list(js_spread_object(obj).values()) if not (
        obj is None or obj is undefined) else _keys(obj),
    "entries": lambda obj=undefined, *_: [[k, v] for k, v in js_spread_object(obj).items()]
    if not (obj is None or obj is undefined) else _keys(obj),
    "assign": _assign,
    "fromEntries": _from_entries,
    "freeze": lambda obj=undefined, *_: obj,
    "isFrozen": lambda obj=undefined, *_: False,
    "seal": lambda obj=undefined, *_: obj,
    "create": lambda proto=undefined, *_: {},
    "hasOwn": lambda obj=undefined, key=undefined, *_: (
        to_property_key(key) in js_spread_object(obj)),
    "getOwnPropertyNames": _keys,
    "is": lambda a=undefined, b=undefined, *_: _same_value(a, b),
}, call=lambda value=undefined, *_: {} if value is None or value is undefined else value,
    construct=lambda value=undefined, *_: {} if value is None or value is undefined else value,
    instance_check=lambda v: not isinstance(v, str | int | float | bool) and v is not None
    and v is not undefined)


def _same_value(a: Any, b: Any) -> bool:
    from ._ops import js_eq

    if type(a) in (int, float) and type(b) in (int, float):
        if a != a and b != b:
            return True
        if a == 0 and b == 0:
            return math.copysign(1, a) == math.copysign(1, b)
    return js_eq(a, b)


# -- Array ----------------------------------------------------------------------------------


def _array_from(items: Any = undefined, fn: Any = undefined, *_: Any) -> list[Any]:
    if isinstance(items, dict):
        length = to_integer(to_number(items.get("length", 0)))
        values: list[Any] = [items.get(str(i), undefined) for i in range(max(length, 0))]
    elif items is None or items is undefined:
        raise JSTypeError(f"{to_string(items)} is not iterable")
    else:
        values = list(iterate(items)) if not isinstance(items, int | float) else []
    if is_callable(fn):
        return [fn(v, i) for i, v in enumerate(values)]
    return values


def _new_array(*args: Any) -> list[Any]:
    if len(args) == 1 and type(args[0]) in (int, float):
        size = args[0]
        if size != int(size) or size < 0:
            raise JSRangeError("Invalid array length")
        return [undefined] * int(size)
    return list(args)


Array = JSBuiltin("Array", {
    "isArray": lambda value=undefined, *_: isinstance(value, list),
    "from": _array_from,
    "of": lambda *items: list(items),
}, call=_new_array, construct=_new_array, instance_check=lambda v: isinstance(v, list))


# -- Number, String, Boolean ------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    return type(value) in (int, float)


def _is_integer(value: Any = undefined, *_: Any) -> bool:
    return _is_number(value) and math.isfinite(value) and float(value).is_integer()


Number = JSBuiltin("Number", {
    "isInteger": _is_integer,
    "isSafeInteger": lambda v=undefined, *_: _is_integer(v) and abs(v) <= 2**53 - 1,
    "isFinite": lambda v=undefined, *_: _is_number(v) and math.isfinite(v),
    "isNaN": lambda v=undefined, *_: type(v) is float and v != v,
    "parseFloat": parse_float,
    "parseInt": parse_int,
    "MAX_SAFE_INTEGER": 2**53 - 1,
    "MIN_SAFE_INTEGER": -(2**53 - 1),
    "MAX_VALUE": 1.7976931348623157e308,
    "MIN_VALUE": 5e-324,
    "EPSILON": 2.0**-52,
    "POSITIVE_INFINITY": math.inf,
    "NEGATIVE_INFINITY": -math.inf,
    "NaN": math.nan,
}, call=lambda value=0, *_: to_number(value),
    instance_check=lambda v: False)


String = JSBuiltin("String", {
    "fromCharCode": lambda *codes: "".join(chr(int(to_number(c)) & 0xFFFF) for c in codes),
    "fromCodePoint": lambda *codes: "".join(chr(int(to_number(c))) for c in codes),
}, call=lambda value="", *_: to_string(value), instance_check=lambda v: False)

Boolean = JSBuiltin("Boolean", {}, call=lambda value=undefined, *_: js_truthy(value),
                    instance_check=lambda v: False)


# -- Math -------------------------------------------------------------------------------------


def _math1(fn: Callable[[float], float]) -> Callable[..., Any]:
    def apply(x: Any = undefined, *_: Any) -> Any:
        value = to_number(x)
        if value != value:
            return math.nan
        try:
            return num(float(fn(value)))
        except (ValueError, OverflowError):
            return math.nan

    return apply


def _round(x: Any = undefined, *_: Any) -> Any:
    value = to_number(x)
    if type(value) is int:
        return value
    if not math.isfinite(value):
        return value
    result = math.floor(value)
    if value - result >= 0.5:
        result += 1
    if result == 0 and (value < 0 or math.copysign(1, value) < 0):
        return -0.0
    return num(float(result))


def _minmax(values: tuple[Any, ...], pick: Callable[..., Any], empty: float) -> Any:
    numbers = [to_number(v) for v in values]
    if not numbers:
        return empty
    if any(n != n for n in numbers):
        return math.nan
    return pick(numbers)


def _random(*_: Any) -> Any:
    raise JSError("Math.random() is unavailable in workflows")


def _sign(x: Any = undefined, *_: Any) -> Any:
    value = to_number(x)
    if value != value or value == 0:
        return value
    return 1 if value > 0 else -1


def _trunc(value: float) -> float:
    return float(math.trunc(value)) if math.isfinite(value) else value


Math = JSNamespace("Math", {
    "PI": math.pi, "E": math.e, "LN2": math.log(2), "LN10": math.log(10),
    "LOG2E": 1 / math.log(2), "LOG10E": 1 / math.log(10), "SQRT2": math.sqrt(2),
    "SQRT1_2": math.sqrt(0.5),
    "abs": _math1(abs),
    "floor": _math1(lambda v: math.floor(v) if math.isfinite(v) else v),
    "ceil": _math1(lambda v: math.ceil(v) if math.isfinite(v) else v),
    "trunc": _math1(_trunc),
    "round": _round,
    "sign": _sign,
    "sqrt": _math1(math.sqrt),
    "cbrt": _math1(lambda v: math.copysign(abs(v) ** (1 / 3), v)),
    "exp": _math1(math.exp),
    "log": _math1(lambda v: math.log(v) if v > 0 else (-math.inf if v == 0 else math.nan)),
    "log2": _math1(lambda v: math.log2(v) if v > 0 else (-math.inf if v == 0 else math.nan)),
    "log10": _math1(lambda v: math.log10(v) if v > 0 else (-math.inf if v == 0 else math.nan)),
    "sin": _math1(math.sin), "cos": _math1(math.cos), "tan": _math1(math.tan),
    "atan": _math1(math.atan), "asin": _math1(math.asin), "acos": _math1(math.acos),
    "atan2": lambda y=undefined, x=undefined, *_: num(math.atan2(to_number(y), to_number(x))),
    "pow": lambda x=undefined, y=undefined, *_: _pow(x, y),
    "hypot": lambda *xs: num(math.hypot(*(to_number(x) for x in xs))),
    "max": lambda *xs: _minmax(xs, max, -math.inf),
    "min": lambda *xs: _minmax(xs, min, math.inf),
    "random": _random,
}, call=None)


def _pow(x: Any, y: Any) -> Any:
    from ._ops import js_pow

    return js_pow(x, y)


# -- JSON, Promise, RegExp, Map, Set, Date, URL ----------------------------------------------

JSON = JSNamespace("JSON", {"stringify": json_stringify, "parse": json_parse})


def _promise_all(iterable: Any = undefined, *_: Any) -> JSPromise:
    items = list(iterate(iterable))
    promises = [JSPromise.resolved(x) if not isinstance(x, JSPromise) else x for x in items]

    async def wait_all() -> list[Any]:
        return [await adopt(p) for p in promises]

    return JSPromise.spawn(wait_all)


def _promise_all_settled(iterable: Any = undefined, *_: Any) -> JSPromise:
    items = list(iterate(iterable))

    async def wait_all() -> list[Any]:
        out: list[Any] = []
        for item in items:
            try:
                out.append({"status": "fulfilled", "value": await adopt(item)})
            except Exception as exc:
                out.append({"status": "rejected", "reason": js_caught(exc)})
        return out

    return JSPromise.spawn(wait_all)


def _promise_race(iterable: Any = undefined, *_: Any) -> JSPromise:
    items = list(iterate(iterable))
    result = JSPromise.deferred()

    async def watch(item: Any) -> None:
        try:
            value = await adopt(item)
        except Exception as exc:
            result.settle(False, js_caught(exc))
        else:
            result.settle(True, value)

    for item in items:
        JSPromise.spawn(watch, item)
    return result


def _promise_any(iterable: Any = undefined, *_: Any) -> JSPromise:
    items = list(iterate(iterable))
    result = JSPromise.deferred()
    failures: list[Any] = []

    async def watch(item: Any) -> None:
        try:
            value = await adopt(item)
        except Exception as exc:
            failures.append(js_caught(exc))
            if len(failures) == len(items):
                result.settle(False, JSError("All promises were rejected"))
        else:
            result.settle(True, value)

    if not items:
        result.settle(False, JSError("All promises were rejected"))
    for item in items:
        JSPromise.spawn(watch, item)
    return result


Promise = JSBuiltin("Promise", {
    "all": _promise_all,
    "allSettled": _promise_all_settled,
    "race": _promise_race,
    "any": _promise_any,
    "resolve": lambda value=undefined, *_: JSPromise.resolved(value),
    "reject": lambda reason=undefined, *_: JSPromise.rejected(reason),
}, construct=new_promise, instance_check=lambda v: isinstance(v, JSPromise))

RegExp = JSBuiltin("RegExp", {}, call=regexp_from, construct=regexp_from,
                   instance_check=lambda v: isinstance(v, JSRegExp))
Map = JSBuiltin("Map", {}, construct=JSMap, instance_check=lambda v: isinstance(v, JSMap))
Set = JSBuiltin("Set", {}, construct=JSSet, instance_check=lambda v: isinstance(v, JSSet))


def _date_call(*_: Any) -> Any:
    raise JSError("Date() is unavailable in workflows: pass timestamps in args")


def _date_now(*_: Any) -> Any:
    raise JSError("Date.now() is unavailable in workflows")


Date = JSBuiltin("Date", {"now": _date_now, "parse": date_parse, "UTC": date_utc},
                 call=_date_call, construct=new_date,
                 instance_check=lambda v: isinstance(v, JSDate))
URL = JSBuiltin("URL", URL_STATICS, construct=JSURL,
                instance_check=lambda v: isinstance(v, JSURL))

Error = JSError
TypeError = JSTypeError
RangeError = JSRangeError
SyntaxError = JSSyntaxError
ReferenceError = JSReferenceError


def isNaN(value: Any = undefined, *_: Any) -> bool:
    number = to_number(value)
    return number != number


def isFinite(value: Any = undefined, *_: Any) -> bool:
    number = to_number(value)
    return math.isfinite(number)


parseInt = parse_int
parseFloat = parse_float
