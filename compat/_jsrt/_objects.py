"""Property access with JS semantics: every ``a.b``, ``a[b]`` and ``a.m()`` of a script.

Scripts never use Python attribute access: these functions look properties up in the
JS value model only (dict keys, list indices, the method tables of the built-in types),
so nothing of Python's object model is reachable from a script.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._arrays import ARRAY_METHODS, array_get, iterate
from ._convert import own_keys, to_number, to_property_key, to_string
from ._numbers import number_to_string, to_fixed, to_integer, to_precision
from ._strings import STRING_METHODS, call_string_method, string_get
from ._values import (
    JSError,
    JSMethod,
    JSObjectBase,
    JSTypeError,
    error_name,
    int_key,
    is_callable,
    undefined,
)

__all__ = [
    "js_call",
    "js_delete",
    "js_for_in",
    "js_get",
    "js_index",
    "js_iter",
    "js_new",
    "js_object_rest",
    "js_optcall",
    "js_optget",
    "js_rest",
    "js_set",
    "js_spread",
    "js_spread_object",
]


def _describe(obj: Any) -> str:
    return "null" if obj is None else "undefined"


def _number_get(value: Any, key: str) -> Any:
    method = NUMBER_METHODS.get(key)
    if method is None:
        return undefined
    return lambda *args: method(value, *args)


def _object_proto(obj: dict[str, Any], key: str) -> Any:
    method = OBJECT_METHODS.get(key)
    if method is None:
        return undefined
    return lambda *args: method(obj, *args)


def _error_get(error: BaseException, key: str) -> Any:
    if isinstance(error, JSError):
        if key in error.props:
            return error.props[key]
        if key == "name":
            return error.js_name
        if key == "stack":
            from ._convert import error_to_string

            return error_to_string(error) + "\n    at <workflow>"
        if key == "toString":
            return lambda *_: to_string(error)
        return undefined
    if key == "message":
        return str(error)
    if key == "name":
        return error_name(error)
    if key == "stack":
        return to_string(error)
    return undefined


def js_get(obj: Any, key: Any) -> Any:
    """``obj[key]`` / ``obj.key``."""
    cls = type(obj)
    if cls is dict:
        k = key if type(key) is str else to_property_key(key)
        value = obj.get(k, undefined)
        if value is undefined and k not in obj:
            return _object_proto(obj, k)
        return value
    if cls is list:
        if type(key) is int:
            return obj[key] if 0 <= key < len(obj) else undefined
        return array_get(obj, _key(key))
    if cls is str:
        if type(key) is int and obj.isascii():
            return obj[key] if 0 <= key < len(obj) else undefined
        return string_get(obj, _key(key))
    if obj is None or obj is undefined:
        raise JSTypeError(f"Cannot read properties of {_describe(obj)} (reading "
                          f"'{to_string(key)}')")
    k = _key(key)
    if isinstance(obj, JSObjectBase):
        method = obj.JS_METHODS.get(k)
        if method is not None:
            return lambda *args: method(obj, *args)
        return obj.js_property(k)
    if cls is int or cls is float or cls is bool:
        return _number_get(obj, k) if cls is not bool else _bool_get(obj, k)
    if isinstance(obj, list):
        return array_get(obj, k)
    if isinstance(obj, BaseException):
        return _error_get(obj, k)
    if callable(obj):
        return _function_get(obj, k)
    return undefined


def _function_get(fn: Any, key: str) -> Any:
    """``f.call``, ``f.apply``, ``f.bind`` (``this`` matters only for JSMethods)."""
    def target(this: Any, args: Any) -> Any:
        return fn.fn(this, *args) if type(fn) is JSMethod else fn(*args)

    if key == "call":
        return lambda this=undefined, *args: target(this, args)
    if key == "apply":
        return lambda this=undefined, args=undefined, *_: target(
            this, [] if args is None or args is undefined else list(iterate(args)))
    if key == "bind":
        return lambda this=undefined, *bound: (lambda *args: target(this, (*bound, *args)))
    if key == "name":
        return getattr(fn, "__name__", "")
    return undefined


def _bool_get(value: bool, key: str) -> Any:
    if key in ("toString", "valueOf"):
        return lambda *_: ("true" if value else "false") if key == "toString" else value
    return undefined


def _key(key: Any) -> str:
    if type(key) is str:
        return key
    if type(key) is float and key.is_integer():
        return str(int(key))
    return to_property_key(key)


def js_set(obj: Any, key: Any, value: Any) -> Any:
    """``obj[key] = value``; returns ``value`` (assignment is an expression in JS)."""
    cls = type(obj)
    if cls is dict:
        obj[key if type(key) is str else to_property_key(key)] = value
        return value
    if isinstance(obj, list):
        _list_set(obj, _key(key), value)
        return value
    if obj is None or obj is undefined:
        raise JSTypeError(f"Cannot set properties of {_describe(obj)} (setting "
                          f"'{to_string(key)}')")
    if isinstance(obj, JSError):
        obj.props[_key(key)] = value
        if _key(key) == "message":
            obj.args = (to_string(value),)
        return value
    if isinstance(obj, JSObjectBase):
        obj.js_set_property(_key(key), value)
    return value


def _list_set(arr: list[Any], key: str, value: Any) -> None:
    if key == "length":
        size = to_integer(to_number(value))
        if size < len(arr):
            del arr[size:]
        else:
            arr.extend([undefined] * (size - len(arr)))
        return
    index = int_key(key)
    if index is None:
        return
    if index >= len(arr):
        arr.extend([undefined] * (index - len(arr) + 1))
    arr[index] = value


def js_delete(obj: Any, key: Any) -> bool:
    if isinstance(obj, dict):
        obj.pop(to_property_key(key), None)
    elif isinstance(obj, list):
        index = int_key(to_property_key(key))
        if index is not None and index < len(obj):
            obj[index] = undefined
    elif isinstance(obj, JSError):
        obj.props.pop(to_property_key(key), None)
    elif obj is None or obj is undefined:
        raise JSTypeError("Cannot convert undefined or null to object")
    return True


def js_call(obj: Any, key: Any, *args: Any) -> Any:
    """``obj.key(...args)``: the method tables first, then a function-valued property."""
    cls = type(obj)
    if cls is list:
        method = ARRAY_METHODS.get(key)
        if method is not None:
            return method(obj, *args)
    elif cls is str:
        method = STRING_METHODS.get(key)
        if method is not None:
            return call_string_method(obj, method, args)
    elif isinstance(obj, JSObjectBase):
        method = obj.JS_METHODS.get(key)
        if method is not None:
            return method(obj, *args)
    fn = js_get(obj, key)
    if type(fn) is JSMethod:
        return fn.fn(obj, *args)
    if not is_callable(fn):
        raise JSTypeError(f"{_name_of(obj)}.{to_string(key)} is not a function")
    return fn(*args)


def _name_of(obj: Any) -> str:
    if isinstance(obj, list):
        return "array"
    if isinstance(obj, str):
        return "string"
    if isinstance(obj, JSObjectBase):
        return obj.js_class
    return "object"


def js_optget(obj: Any, key: Any) -> Any:
    """``obj?.key``."""
    if obj is None or obj is undefined:
        return undefined
    return js_get(obj, key)


def js_optcall(fn: Any, *args: Any) -> Any:
    """``fn?.(...args)``."""
    if fn is None or fn is undefined:
        return undefined
    if not is_callable(fn):
        raise JSTypeError(f"{to_string(fn)} is not a function")
    return fn(*args)


def js_new(cls: Any, *args: Any) -> Any:
    """``new cls(...args)``."""
    construct = getattr(cls, "js_construct", None)
    if construct is not None:
        return construct(*args)
    if isinstance(cls, type) and issubclass(cls, BaseException):
        return cls(*args[:2])
    raise JSTypeError(f"{getattr(cls, '__name__', to_string(cls))} is not a constructor")


def js_iter(value: Any) -> Any:
    """What ``for (x of value)`` iterates."""
    return iterate(value)


def js_spread(value: Any) -> Any:
    """``...value`` in an array literal or a call."""
    return iterate(value)


def js_for_in(value: Any) -> list[str]:
    """The keys ``for (k in value)`` visits."""
    if isinstance(value, dict):
        return own_keys(value)
    if isinstance(value, list | str):
        return [str(i) for i in range(len(value))]
    if isinstance(value, JSObjectBase):
        return value.js_own_keys()
    return []


def js_spread_object(value: Any) -> dict[str, Any]:
    """``{...value}``: own enumerable properties in JS order."""
    if isinstance(value, dict):
        return {k: value[k] for k in own_keys(value)} if _has_index_keys(value) else value
    if isinstance(value, list | str):
        return {str(i): x for i, x in enumerate(value)}
    if isinstance(value, JSError):
        return {k: v for k, v in value.props.items() if k not in ("message", "cause")}
    if isinstance(value, JSObjectBase):
        return {k: value.js_property(k) for k in value.js_own_keys()}
    return {}


def _has_index_keys(value: dict[str, Any]) -> bool:
    return any(k[:1].isdigit() for k in value)


def js_object_rest(value: Any, exclude: list[str]) -> dict[str, Any]:
    """The ``...rest`` of an object pattern."""
    if value is None or value is undefined:
        raise JSTypeError(f"Cannot destructure '{to_string(value)}' as it is {to_string(value)}.")
    source = js_spread_object(value)
    return {k: v for k, v in source.items() if k not in exclude}


def js_index(value: Any, index: int) -> Any:
    """Element ``index`` of an array pattern's source (undefined past the end)."""
    if isinstance(value, list):
        return value[index] if index < len(value) else undefined
    items = list(iterate(value))
    return items[index] if index < len(items) else undefined


def js_rest(value: Any, start: int = 0) -> list[Any]:
    """The ``...rest`` of an array pattern, or a rest parameter (a tuple) as an array."""
    if isinstance(value, tuple):
        return list(value[start:])
    return list(iterate(value))[start:]


# -- methods of numbers and plain objects ------------------------------------------------


def _to_string_radix(value: float, radix: Any = undefined, *_: Any) -> str:
    base = 10 if radix is undefined else to_integer(to_number(radix))
    return number_to_string(value, base)


NUMBER_METHODS: dict[str, Callable[..., Any]] = {
    "toFixed": to_fixed,
    "toPrecision": to_precision,
    "toString": _to_string_radix,
    "toLocaleString": lambda v, *_: _locale_number(v),
    "valueOf": lambda v, *_: v,
}


def _locale_number(value: float) -> str:
    if value != value or value in (float("inf"), float("-inf")):
        return number_to_string(value)
    rounded = round(value, 3)
    text = f"{rounded:,.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _has_own(obj: dict[str, Any], key: Any = undefined, *_: Any) -> bool:
    return to_property_key(key) in obj


OBJECT_METHODS: dict[str, Callable[..., Any]] = {
    "hasOwnProperty": _has_own,
    "propertyIsEnumerable": _has_own,
    "toString": lambda obj, *_: "[object Object]",
    "toLocaleString": lambda obj, *_: "[object Object]",
    "valueOf": lambda obj, *_: obj,
    "isPrototypeOf": lambda obj, *_: False,
}
