"""Type conversions: ToString, ToNumber, ToPrimitive, property keys, key order."""

from __future__ import annotations

import math
from typing import Any

from ._numbers import number_to_string, string_to_number
from ._values import JSError, JSObjectBase, JSTypeError, error_name, int_key, undefined

__all__ = ["js_str", "own_keys", "to_number", "to_primitive", "to_property_key", "to_string"]


def to_string(value: Any) -> str:
    """JS ToString (``String(value)`` and template literal parts)."""
    cls = type(value)
    if cls is str:
        return value  # type: ignore[no-any-return]
    if cls is int or cls is float:
        return number_to_string(value)
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if value is undefined:
        return "undefined"
    if isinstance(value, list):
        return ",".join("" if v is None or v is undefined else to_string(v) for v in value)
    if isinstance(value, dict):
        method = value.get("toString")
        if callable(method):
            return to_string(method())
        return "[object Object]"
    if isinstance(value, JSError):
        return error_to_string(value)
    if isinstance(value, BaseException):
        name = error_name(value)
        text = str(value)
        return f"{name}: {text}" if text else name
    if isinstance(value, JSObjectBase):
        return value.js_to_string()
    if callable(value):
        name = getattr(value, "__name__", "")
        return f"function {name}() {{ [native code] }}"
    raise JSTypeError(f"Cannot convert {cls.__name__} to a string")


js_str = to_string


def error_to_string(error: JSError) -> str:
    name = error.props.get("name", error.js_name)
    name = "Error" if name is undefined else to_string(name)
    message = error.message
    if not name:
        return message
    return f"{name}: {message}" if message else name


def to_primitive(value: Any, hint: str = "default") -> Any:
    """ToPrimitive for the objects scripts meet (arrays, plain objects, Dates, errors)."""
    if isinstance(value, list | dict | BaseException):
        return to_string(value)
    if isinstance(value, JSObjectBase):
        prim = getattr(value, "js_primitive", None)
        if prim is not None:
            return prim(hint)
        return value.js_to_string()
    if callable(value) and not isinstance(value, type):
        return to_string(value)
    return value


def to_number(value: Any) -> int | float:
    """JS ToNumber."""
    cls = type(value)
    if cls is int or cls is float:
        return value  # type: ignore[no-any-return]
    if value is True:
        return 1
    if value is False or value is None:
        return 0
    if value is undefined:
        return math.nan
    if cls is str:
        return string_to_number(value)
    return to_number(to_primitive(value, "number"))


def to_property_key(key: Any) -> str:
    cls = type(key)
    if cls is str:
        return key  # type: ignore[no-any-return]
    return to_string(key)


def own_keys(obj: dict[str, Any]) -> list[str]:
    """Own enumerable string keys in JS order: array indices ascending, then insertion."""
    keys = list(obj)
    indexed = [k for k in keys if k[:1].isdigit() and int_key(k) is not None]
    if not indexed:
        return keys
    indexed.sort(key=int)
    seen = set(indexed)
    return indexed + [k for k in keys if k not in seen]
