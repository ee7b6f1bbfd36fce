"""Operators with JS semantics: arithmetic, comparison, equality, ``in``, ``instanceof``."""

from __future__ import annotations

import math
from typing import Any

from ._convert import to_number, to_primitive, to_property_key, to_string
from ._numbers import to_int32, to_uint32
from ._values import MAX_SAFE, JSObjectBase, JSTypeError, is_nullish, num, undefined

__all__ = [
    "js_add",
    "js_bitand",
    "js_bitnot",
    "js_bitor",
    "js_bitxor",
    "js_dec",
    "js_div",
    "js_eq",
    "js_first",
    "js_ge",
    "js_gt",
    "js_in",
    "js_inc",
    "js_instanceof",
    "js_last",
    "js_le",
    "js_loose_eq",
    "js_loose_ne",
    "js_lt",
    "js_mod",
    "js_mul",
    "js_ne",
    "js_neg",
    "js_not",
    "js_pos",
    "js_pow",
    "js_shl",
    "js_shr",
    "js_sub",
    "js_ushr",
    "js_void",
    "same_value_zero",
]


def _int_result(value: int) -> int | float:
    return value if -MAX_SAFE <= value <= MAX_SAFE else float(value)


def _is_number(value: Any) -> bool:
    cls = type(value)
    return cls is int or cls is float


def js_add(a: Any, b: Any) -> Any:
    ta, tb = type(a), type(b)
    if ta is int and tb is int:
        return _int_result(a + b)
    if ta is str and tb is str:
        return a + b
    if (ta is int or ta is float) and (tb is int or tb is float):
        return num(float(a) + float(b))
    a, b = to_primitive(a), to_primitive(b)
    if type(a) is str or type(b) is str:
        return to_string(a) + to_string(b)
    return _arith(to_number(a), to_number(b), "+")


def _arith(x: float, y: float, op: str) -> int | float:
    if type(x) is int and type(y) is int and op != "/":
        if op == "+":
            return _int_result(x + y)
        if op == "-":
            return _int_result(x - y)
        if op == "*":
            if x * y == 0 and (x < 0 or y < 0):
                return -0.0
            return _int_result(x * y)
    fx, fy = float(x), float(y)
    if op == "+":
        return num(fx + fy)
    if op == "-":
        return num(fx - fy)
    if op == "*":
        return num(fx * fy)
    if fy == 0:
        if fx == 0 or fx != fx:
            return math.nan
        return math.copysign(math.inf, fx) * math.copysign(1, fy)
    return num(fx / fy)


def js_sub(a: Any, b: Any) -> int | float:
    return _arith(to_number(a), to_number(b), "-")


def js_mul(a: Any, b: Any) -> int | float:
    return _arith(to_number(a), to_number(b), "*")


def js_div(a: Any, b: Any) -> int | float:
    return _arith(to_number(a), to_number(b), "/")


def js_mod(a: Any, b: Any) -> int | float:
    x, y = to_number(a), to_number(b)
    if type(x) is int and type(y) is int and y != 0:
        result = math.fmod(x, y) if abs(x) > MAX_SAFE else abs(x) % abs(y) * (1 if x >= 0 else -1)
        if result == 0 and x < 0:
            return -0.0
        return num(float(result)) if isinstance(result, float) else result
    if y == 0 or x != x or y != y or math.isinf(x):
        return math.nan
    if math.isinf(y):
        return x
    return num(math.fmod(x, y))


def js_pow(a: Any, b: Any) -> int | float:
    x, y = to_number(a), to_number(b)
    if y != y:
        return math.nan
    if y == 0:
        return 1
    # Exact integer powers only while the result stays near double range (larger ones are
    # Infinity in JS anyway); `10 ** 1e8` must not build a 300-million-bit integer.
    if type(x) is int and type(y) is int and y > 0 and abs(x).bit_length() * y <= 1100:
        return _int_result(x**y)
    try:
        return num(math.pow(float(x), float(y)))
    except OverflowError:
        return math.inf
    except ValueError:
        return math.nan


def js_neg(a: Any) -> int | float:
    x = to_number(a)
    if x == 0 and type(x) is int:
        return -0.0
    return -x


def js_pos(a: Any) -> int | float:
    return to_number(a)


def js_inc(a: Any) -> int | float:
    return _arith(to_number(a), 1, "+")


def js_dec(a: Any) -> int | float:
    return _arith(to_number(a), 1, "-")


def js_not(a: Any) -> bool:
    from ._values import js_truthy

    return not js_truthy(a)


def js_void(*_: Any) -> Any:
    return undefined


def js_first(first: Any, *_: Any) -> Any:
    """The first argument (postfix ``x++`` evaluates the old value, then assigns)."""
    return first


def js_last(*values: Any) -> Any:
    """The comma operator: every operand is evaluated, the last one is the value."""
    return values[-1]


def js_bitand(a: Any, b: Any) -> int:
    return to_int32(to_int32(to_number(a)) & to_int32(to_number(b)))


def js_bitor(a: Any, b: Any) -> int:
    return to_int32(to_int32(to_number(a)) | to_int32(to_number(b)))


def js_bitxor(a: Any, b: Any) -> int:
    return to_int32(to_int32(to_number(a)) ^ to_int32(to_number(b)))


def js_bitnot(a: Any) -> int:
    return to_int32(~to_int32(to_number(a)))


def js_shl(a: Any, b: Any) -> int:
    return to_int32(to_int32(to_number(a)) << (to_uint32(to_number(b)) & 31))


def js_shr(a: Any, b: Any) -> int:
    return to_int32(to_number(a)) >> (to_uint32(to_number(b)) & 31)


def js_ushr(a: Any, b: Any) -> int:
    return to_uint32(to_number(a)) >> (to_uint32(to_number(b)) & 31)


# -- comparison --------------------------------------------------------------------------


def _compare(a: Any, b: Any) -> tuple[Any, Any] | None:
    """Operands ready for a Python comparison, or None when the answer is false (NaN)."""
    ta, tb = type(a), type(b)
    if (ta is int or ta is float) and (tb is int or tb is float):
        return (a, b) if a == a and b == b else None
    if ta is str and tb is str:
        return a, b
    a, b = to_primitive(a, "number"), to_primitive(b, "number")
    if type(a) is str and type(b) is str:
        return a, b
    x, y = to_number(a), to_number(b)
    if x != x or y != y:
        return None
    return x, y


def js_lt(a: Any, b: Any) -> bool:
    pair = _compare(a, b)
    return pair is not None and pair[0] < pair[1]


def js_gt(a: Any, b: Any) -> bool:
    pair = _compare(a, b)
    return pair is not None and pair[0] > pair[1]


def js_le(a: Any, b: Any) -> bool:
    pair = _compare(a, b)
    return pair is not None and pair[0] <= pair[1]


def js_ge(a: Any, b: Any) -> bool:
    pair = _compare(a, b)
    return pair is not None and pair[0] >= pair[1]


def js_eq(a: Any, b: Any) -> bool:
    """``===``."""
    ta, tb = type(a), type(b)
    if ta is str or tb is str:
        return ta is tb and a == b
    a_num = ta is int or ta is float
    b_num = tb is int or tb is float
    if a_num or b_num:
        return a_num and b_num and a == b
    if ta is bool or tb is bool:
        return a is b
    return a is b


def js_ne(a: Any, b: Any) -> bool:
    return not js_eq(a, b)


def same_value_zero(a: Any, b: Any) -> bool:
    if js_eq(a, b):
        return True
    return type(a) is float and type(b) is float and a != a and b != b


def js_loose_eq(a: Any, b: Any) -> bool:
    """``==``."""
    if is_nullish(a) or is_nullish(b):
        return is_nullish(a) and is_nullish(b)
    ta, tb = type(a), type(b)
    if ta is tb or (_is_number(a) and _is_number(b)):
        return js_eq(a, b)
    if ta is bool:
        return js_loose_eq(to_number(a), b)
    if tb is bool:
        return js_loose_eq(a, to_number(b))
    if _is_number(a) and tb is str:
        return js_eq(a, to_number(b))
    if ta is str and _is_number(b):
        return js_eq(to_number(a), b)
    a_obj = not (_is_number(a) or ta is str)
    b_obj = not (_is_number(b) or tb is str)
    if a_obj and b_obj:
        return a is b
    if a_obj:
        return js_loose_eq(to_primitive(a), b)
    return js_loose_eq(a, to_primitive(b))


def js_loose_ne(a: Any, b: Any) -> bool:
    return not js_loose_eq(a, b)


def js_in(key: Any, obj: Any) -> bool:
    if isinstance(obj, dict):
        return to_property_key(key) in obj or to_property_key(key) in _OBJECT_PROTO_KEYS
    if isinstance(obj, list):
        k = to_property_key(key)
        if k == "length":
            return True
        from ._values import int_key

        index = int_key(k)
        return index is not None and index < len(obj)
    if isinstance(obj, JSObjectBase):
        k = to_property_key(key)
        return k in obj.JS_METHODS or obj.js_property(k) is not undefined
    raise JSTypeError(f"Cannot use 'in' operator to search for '{to_string(key)}' in "
                      f"{to_string(obj)}")


_OBJECT_PROTO_KEYS = frozenset({"hasOwnProperty", "toString", "valueOf", "isPrototypeOf",
                                "propertyIsEnumerable", "toLocaleString", "constructor"})


def js_instanceof(value: Any, cls: Any) -> bool:
    check = getattr(cls, "js_instance_check", None)
    if check is not None:
        return bool(check(value))
    if isinstance(cls, type) and issubclass(cls, BaseException):
        return isinstance(value, cls)
    if not callable(cls):
        raise JSTypeError("Right-hand side of 'instanceof' is not callable")
    return False
