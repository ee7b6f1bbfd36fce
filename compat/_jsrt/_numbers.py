"""Numbers: ToNumber, number-to-string, toFixed, parseInt/parseFloat, ToInt32."""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ._values import JSRangeError, num, undefined

__all__ = [
    "number_to_string",
    "parse_float",
    "parse_int",
    "string_to_number",
    "to_fixed",
    "to_int32",
    "to_integer",
    "to_uint32",
]

NAN = math.nan
WHITESPACE = ("\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
              "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff")

_DECIMAL = re.compile(r"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|Infinity)")
_RADIX = {"0x": 16, "0X": 16, "0o": 8, "0O": 8, "0b": 2, "0B": 2}


def number_to_string(value: int | float, radix: int = 10) -> str:
    """JS Number::toString."""
    if type(value) is int and radix == 10:
        if -2**53 <= value <= 2**53:
            return str(value)
        value = float(value)
    if radix != 10:
        return _radix_string(value, radix)
    if value != value:
        return "NaN"
    if value == 0:
        return "0"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    sign = "-" if value < 0 else ""
    text = repr(abs(float(value)))
    mantissa, _, exp_text = text.partition("e")
    int_part, _, frac_part = mantissa.partition(".")
    if frac_part == "0":
        frac_part = ""
    digits = (int_part + frac_part).lstrip("0")
    point = len(int_part) + (int(exp_text) if exp_text else 0)
    point -= len(int_part + frac_part) - len((int_part + frac_part).lstrip("0"))
    digits = digits.rstrip("0") or "0"
    k, n = len(digits), point
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * (-n) + digits
    exponent = n - 1
    exp = f"e{'+' if exponent >= 0 else '-'}{abs(exponent)}"
    if k == 1:
        return sign + digits + exp
    return sign + digits[0] + "." + digits[1:] + exp


def _radix_string(value: float, radix: int) -> str:
    if not 2 <= radix <= 36:
        raise JSRangeError("toString() radix must be between 2 and 36")
    if value != value:
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    chars = "0123456789abcdefghijklmnopqrstuvwxyz"
    negative = value < 0
    whole = int(abs(value))
    frac = abs(value) - whole
    out = ""
    while True:
        whole, rem = divmod(whole, radix)
        out = chars[rem] + out
        if not whole:
            break
    if frac:
        out += "."
        for _ in range(52):
            frac *= radix
            digit = int(frac)
            out += chars[digit]
            frac -= digit
            if not frac:
                break
    return ("-" if negative else "") + out


def string_to_number(text: str) -> int | float:
    """JS StringToNumber: NaN for anything that is not a numeric literal."""
    body = text.strip(WHITESPACE)
    if not body:
        return 0
    prefix = body[:2]
    if prefix in _RADIX:
        try:
            return num(float(int(body[2:], _RADIX[prefix]))) if "_" not in body else NAN
        except ValueError:
            return NAN
    match = _DECIMAL.fullmatch(body)
    if match is None:
        return NAN
    if body.lstrip("+-") == "Infinity":
        return -math.inf if body[0] == "-" else math.inf
    return num(float(body))


def parse_float(value: Any = undefined, *_: Any) -> int | float:
    from ._convert import to_string

    body = to_string(value).lstrip(WHITESPACE)
    match = _DECIMAL.match(body)
    if match is None:
        return NAN
    text = match.group()
    if text.lstrip("+-") == "Infinity":
        return -math.inf if text[0] == "-" else math.inf
    return num(float(text))


def parse_int(value: Any = undefined, radix: Any = undefined, *_: Any) -> int | float:
    from ._convert import to_number, to_string

    body = to_string(value).lstrip(WHITESPACE)
    sign = 1
    if body[:1] in "+-" and body:
        sign = -1 if body[0] == "-" else 1
        body = body[1:]
    base = 0 if radix is undefined else to_int32(to_number(radix))
    if base == 0:
        base = 10
        if body[:2] in ("0x", "0X"):
            base, body = 16, body[2:]
    elif base == 16 and body[:2] in ("0x", "0X"):
        body = body[2:]
    if not 2 <= base <= 36:
        return NAN
    digits = ""
    for char in body:
        if char.isascii() and char.isalnum() and int(char, 36) < base:
            digits += char
        else:
            break
    if not digits:
        return NAN
    return num(float(sign * int(digits, base)))


def to_integer(value: float) -> int:
    """ToIntegerOrInfinity, clamped to a Python int (infinities become huge ints)."""
    if value != value:
        return 0
    if math.isinf(value):
        return 2**63 if value > 0 else -(2**63)
    return int(value)


def to_int32(value: float) -> int:
    if value != value or math.isinf(value):
        return 0
    result = int(value) & 0xFFFFFFFF
    return result - 2**32 if result >= 2**31 else result


def to_uint32(value: float) -> int:
    if value != value or math.isinf(value):
        return 0
    return int(value) & 0xFFFFFFFF


def to_fixed(value: float, digits: Any = undefined) -> str:
    """Number.prototype.toFixed: exact decimal value, ties away from zero."""
    from ._convert import to_number

    places = 0 if digits is undefined else to_integer(to_number(digits))
    if not 0 <= places <= 100:
        raise JSRangeError("toFixed() digits argument must be between 0 and 100")
    if value != value:
        return "NaN"
    if abs(value) >= 1e21 or math.isinf(value):
        return number_to_string(value)
    exact = Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = f"{exact:f}"
    if text.startswith("-") and value == 0:
        text = text[1:]
    return text


def to_precision(value: float, precision: Any = undefined) -> str:
    from ._convert import to_number

    if precision is undefined:
        return number_to_string(value)
    p = to_integer(to_number(precision))
    if value != value or math.isinf(value):
        return number_to_string(value)
    if not 1 <= p <= 100:
        raise JSRangeError("toPrecision() argument must be between 1 and 100")
    if value == 0:
        return "0" + ("." + "0" * (p - 1) if p > 1 else "")
    exact = Decimal(value)
    e = exact.adjusted()
    rounded = exact.quantize(Decimal(1).scaleb(e - p + 1), rounding=ROUND_HALF_UP)
    e = rounded.adjusted()
    if e < -6 or e >= p:
        digits = str(abs(rounded.scaleb(-e).quantize(Decimal(1).scaleb(-(p - 1)))))
        sign = "-" if value < 0 else ""
        return f"{sign}{digits}e{'+' if e >= 0 else '-'}{abs(e)}"
    return f"{rounded.quantize(Decimal(1).scaleb(min(0, e - p + 1))):f}"
