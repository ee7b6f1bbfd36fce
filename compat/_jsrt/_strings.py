"""String.prototype methods (strings are Python ``str``; indices are code points)."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Any

from ._convert import to_number, to_string
from ._numbers import WHITESPACE, to_integer
from ._regexp import (
    JSRegExp,
    regexp_from,
    regexp_match,
    regexp_match_all,
    regexp_replace,
    regexp_search,
    regexp_split,
)
from ._values import JSRangeError, JSTypeError, undefined

__all__ = ["STRING_METHODS", "call_string_method", "relative_index", "string_get"]


def _int_arg(value: Any, default: int = 0) -> int:
    return default if value is undefined else to_integer(to_number(value))


def relative_index(value: Any, length: int, default: int) -> int:
    """A slice bound: negative counts from the end, clamped to [0, length]."""
    if value is undefined:
        return default
    index = to_integer(to_number(value))
    if index < 0:
        return max(0, length + index)
    return min(index, length)


def is_bmp(text: str) -> bool:
    """Whether every character is one UTF-16 code unit (then indices agree with JS)."""
    return text.isascii() or max(text) < "\U00010000"


def to_units(text: str) -> str:
    """``text`` with each astral character split into its surrogate pair: JS strings are
    sequences of UTF-16 code units, and ``length``, indices and slices count those."""
    out = []
    for char in text:
        code = ord(char)
        if code < 0x10000:
            out.append(char)
        else:
            code -= 0x10000
            out.append(chr(0xD800 + (code >> 10)) + chr(0xDC00 + (code & 0x3FF)))
    return "".join(out)


def from_units(text: str) -> str:
    """Join surrogate pairs back into characters (lone surrogates stay, as in JS)."""
    if is_bmp(text) and not any("\ud800" <= c <= "\udfff" for c in text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


def _unit_result(value: Any) -> Any:
    if type(value) is str:
        return from_units(value)
    if type(value) is list:
        return [from_units(v) if type(v) is str else v for v in value]
    return value


def call_string_method(text: str, method: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    """A String.prototype method with UTF-16 indices, also for astral characters."""
    if (not text or is_bmp(text)) and all(type(a) is not str or not a or is_bmp(a)
                                          for a in args):
        return method(text, *args)
    units = tuple(to_units(a) if type(a) is str else a for a in args)
    return _unit_result(method(to_units(text), *units))


def string_get(text: str, key: str) -> Any:
    if key == "length":
        return len(text) if not text or is_bmp(text) else len(to_units(text))
    if key.isdigit():
        index = int(key)
        units = text if not text or is_bmp(text) else to_units(text)
        return units[index] if index < len(units) and str(index) == key else undefined
    method = STRING_METHODS.get(key)
    if method is not None:
        return lambda *args: call_string_method(text, method, args)
    return undefined


def _char_at(s: str, pos: Any = undefined, *_: Any) -> str:
    i = _int_arg(pos)
    return s[i] if 0 <= i < len(s) else ""


def _char_code_at(s: str, pos: Any = undefined, *_: Any) -> int | float:
    i = _int_arg(pos)
    if not 0 <= i < len(s):
        return float("nan")
    code = ord(s[i])
    return code if code < 0x10000 else 0xD800 + ((code - 0x10000) >> 10)


def _code_point_at(s: str, pos: Any = undefined, *_: Any) -> Any:
    i = _int_arg(pos)
    if not 0 <= i < len(s):
        return undefined
    code = ord(s[i])
    if 0xD800 <= code < 0xDC00 and i + 1 < len(s) and 0xDC00 <= ord(s[i + 1]) < 0xE000:
        return 0x10000 + ((code - 0xD800) << 10) + (ord(s[i + 1]) - 0xDC00)
    return code


def _at(s: str, pos: Any = undefined, *_: Any) -> Any:
    i = _int_arg(pos)
    if i < 0:
        i += len(s)
    return s[i] if 0 <= i < len(s) else undefined


def _index_of(s: str, search: Any = undefined, pos: Any = undefined, *_: Any) -> int:
    start = min(max(_int_arg(pos), 0), len(s))
    return s.find(to_string(search), start)


def _last_index_of(s: str, search: Any = undefined, pos: Any = undefined, *_: Any) -> int:
    needle = to_string(search)
    number = to_number(pos) if pos is not undefined else float("nan")
    end = len(s) if number != number else min(max(to_integer(number), 0), len(s))
    return s.rfind(needle, 0, end + len(needle))


def _no_regexp(value: Any, method: str) -> str:
    if isinstance(value, JSRegExp):
        raise JSTypeError(f"First argument to String.prototype.{method} must not be a "
                          "regular expression")
    return to_string(value)


def _includes(s: str, search: Any = undefined, pos: Any = undefined, *_: Any) -> bool:
    return _no_regexp(search, "includes") in s[max(_int_arg(pos), 0):]


def _starts_with(s: str, search: Any = undefined, pos: Any = undefined, *_: Any) -> bool:
    return s.startswith(_no_regexp(search, "startsWith"), min(max(_int_arg(pos), 0), len(s)))


def _ends_with(s: str, search: Any = undefined, end: Any = undefined, *_: Any) -> bool:
    stop = len(s) if end is undefined else min(max(_int_arg(end), 0), len(s))
    return s[:stop].endswith(_no_regexp(search, "endsWith"))


def _slice(s: str, start: Any = undefined, end: Any = undefined, *_: Any) -> str:
    n = len(s)
    return s[relative_index(start, n, 0):relative_index(end, n, n)]


def _substring(s: str, start: Any = undefined, end: Any = undefined, *_: Any) -> str:
    n = len(s)
    a = min(max(_int_arg(start), 0), n)
    b = n if end is undefined else min(max(_int_arg(end), 0), n)
    return s[min(a, b):max(a, b)]


def _substr(s: str, start: Any = undefined, length: Any = undefined, *_: Any) -> str:
    n = len(s)
    a = relative_index(start, n, 0)
    count = n - a if length is undefined else max(_int_arg(length), 0)
    return s[a:a + count]


_MAX_STRING = (1 << 29) - 24
"""V8's longest string; past it JS throws ``RangeError: Invalid string length``."""


def _check_length(length: float) -> None:
    if length > _MAX_STRING:
        raise JSRangeError("Invalid string length")


def _pad(s: str, length: Any, fill: Any, at_start: bool) -> str:
    target = _int_arg(length)
    filler = " " if fill is undefined else to_string(fill)
    if target <= len(s) or not filler:
        return s
    _check_length(target)
    needed = target - len(s)
    pad = (filler * (needed // len(filler) + 1))[:needed]
    return pad + s if at_start else s + pad


def _repeat(s: str, count: Any = undefined, *_: Any) -> str:
    n = to_number(count) if count is not undefined else 0
    if n != n:
        n = 0
    if n < 0 or n == float("inf"):
        raise JSRangeError(f"Invalid count value: {to_string(count)}")
    _check_length(len(s) * int(n))
    return s * int(n)


def _split(s: str, sep: Any = undefined, limit: Any = undefined, *_: Any) -> list[Any]:
    lim = 2**32 - 1 if limit is undefined else int(to_number(limit)) & 0xFFFFFFFF
    if lim == 0:
        return []
    if sep is undefined:
        return [s]
    if isinstance(sep, JSRegExp):
        return regexp_split(sep, s, lim)
    separator = to_string(sep)
    parts = list(s) if separator == "" else s.split(separator)
    return parts[:lim]


def _replace(s: str, pattern: Any = undefined, replacement: Any = undefined, *_: Any) -> str:
    if isinstance(pattern, JSRegExp):
        return regexp_replace(pattern, s, replacement)
    return _replace_string(s, to_string(pattern), replacement, once=True)


def _replace_all(s: str, pattern: Any = undefined, replacement: Any = undefined, *_: Any
                 ) -> str:
    if isinstance(pattern, JSRegExp):
        return regexp_replace(pattern, s, replacement, all_required=True)
    return _replace_string(s, to_string(pattern), replacement, once=False)


def _replace_string(s: str, needle: str, replacement: Any, *, once: bool) -> str:
    return regexp_replace(JSRegExp.literal(needle, every=not once), s, replacement)


def _match(s: str, pattern: Any = undefined, *_: Any) -> Any:
    return regexp_match(regexp_from(pattern), s)


def _match_all(s: str, pattern: Any = undefined, *_: Any) -> Any:
    regexp = regexp_from(pattern, "g" if not isinstance(pattern, JSRegExp) else undefined)
    if not regexp.is_global:
        raise JSTypeError("String.prototype.matchAll called with a non-global RegExp argument")
    from ._values import JSIterator

    return JSIterator(regexp_match_all(regexp, s))


def _search(s: str, pattern: Any = undefined, *_: Any) -> int:
    return regexp_search(regexp_from(pattern), s)


def _locale_key(text: str) -> tuple[str, str]:
    base = "".join(c for c in unicodedata.normalize("NFKD", text)
                   if not unicodedata.combining(c))
    return base.casefold(), text.swapcase()


def _locale_compare(s: str, other: Any = undefined, *_: Any) -> int:
    """An approximation of ICU's root collation: letters first, case and accents later."""
    a, b = _locale_key(s), _locale_key(to_string(other))
    return (a > b) - (a < b)


def _concat(s: str, *parts: Any) -> str:
    return s + "".join(to_string(p) for p in parts)


def _normalize(s: str, form: Any = undefined, *_: Any) -> str:
    name = "NFC" if form is undefined else to_string(form)
    if name not in ("NFC", "NFD", "NFKC", "NFKD"):
        raise JSRangeError("The normalization form should be one of NFC, NFD, NFKC, NFKD.")
    return unicodedata.normalize(name, s)  # type: ignore[arg-type]


STRING_METHODS: dict[str, Callable[..., Any]] = {
    "at": _at,
    "charAt": _char_at,
    "charCodeAt": _char_code_at,
    "codePointAt": _code_point_at,
    "concat": _concat,
    "endsWith": _ends_with,
    "includes": _includes,
    "indexOf": _index_of,
    "lastIndexOf": _last_index_of,
    "localeCompare": _locale_compare,
    "match": _match,
    "matchAll": _match_all,
    "normalize": _normalize,
    "padEnd": lambda s, n=undefined, f=undefined, *_: _pad(s, n, f, False),
    "padStart": lambda s, n=undefined, f=undefined, *_: _pad(s, n, f, True),
    "repeat": _repeat,
    "replace": _replace,
    "replaceAll": _replace_all,
    "search": _search,
    "slice": _slice,
    "split": _split,
    "startsWith": _starts_with,
    "substr": _substr,
    "substring": _substring,
    "toLowerCase": lambda s, *_: s.lower(),
    "toLocaleLowerCase": lambda s, *_: s.lower(),
    "toUpperCase": lambda s, *_: s.upper(),
    "toLocaleUpperCase": lambda s, *_: s.upper(),
    "toString": lambda s, *_: s,
    "valueOf": lambda s, *_: s,
    "trim": lambda s, *_: s.strip(WHITESPACE),
    "trimStart": lambda s, *_: s.lstrip(WHITESPACE),
    "trimEnd": lambda s, *_: s.rstrip(WHITESPACE),
    "trimLeft": lambda s, *_: s.lstrip(WHITESPACE),
    "trimRight": lambda s, *_: s.rstrip(WHITESPACE),
}
