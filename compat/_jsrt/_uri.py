"""The URI globals: encodeURI, decodeURI, encodeURIComponent, decodeURIComponent,
escape, unescape, and the URIError they throw.

They follow ECMA-262 (19.2.6 and Annex B.2.1) to the letter, not ``urllib.parse``:
``unquote`` accepts malformed escapes and invalid UTF-8 where JavaScript throws a
URIError, and neither it nor ``quote`` knows decodeURI's reserved set or escape's
``%uXXXX`` form. JS strings are Python ``str`` here; a lone surrogate is a surrogate
code point and an astral character one code point (a split pair is joined first), so
every function sees the UTF-16 string JavaScript would.
"""

from __future__ import annotations

import string
from typing import Any
from urllib.parse import quote

from ._convert import to_string
from ._strings import from_units, to_units
from ._values import JSError, undefined

__all__ = [
    "URIError",
    "decodeURI",
    "decodeURIComponent",
    "encodeURI",
    "encodeURIComponent",
    "escape",
    "unescape",
]

# quote() never escapes ASCII letters, digits and "_.-~"; these are the rest of the
# unescaped sets of encodeURIComponent and encodeURI.
_COMPONENT_MARKS = "!*'()"
_URI_MARKS = _COMPONENT_MARKS + ";/?:@&=+$,#"
_DECODE_URI_RESERVED = frozenset(";/?:@&=+$,#")
_ESCAPE_SAFE = frozenset(string.ascii_letters + string.digits + "@*_+-./")
_HEX = frozenset(string.hexdigits)


class JSURIError(JSError):
    """A JS ``URIError``: a malformed URI sequence or a lone surrogate."""

    js_name = "URIError"


URIError = JSURIError


def _has_surrogate(text: str) -> bool:
    return not text.isascii() and any("\ud800" <= c <= "\udfff" for c in text)


def _encode(value: Any, marks: str) -> str:
    text = to_string(value)
    if _has_surrogate(text):
        text = from_units(text)
    try:
        return quote(text, safe=marks)
    except UnicodeEncodeError:
        raise JSURIError("URI malformed") from None


def encodeURIComponent(value: Any = undefined, *_: Any) -> str:
    return _encode(value, _COMPONENT_MARKS)


def encodeURI(value: Any = undefined, *_: Any) -> str:
    return _encode(value, _URI_MARKS)


def _hex_byte(text: str, at: int) -> int:
    """The byte ``%XX`` at ``text[at]`` encodes; URIError when there is none."""
    pair = text[at + 1:at + 3]
    if text[at:at + 1] != "%" or len(pair) != 2 or not _HEX.issuperset(pair):
        raise JSURIError("URI malformed")
    return int(pair, 16)


def _utf8_length(lead: int) -> int:
    for length, prefix, mask in ((2, 0xC0, 0xE0), (3, 0xE0, 0xF0), (4, 0xF0, 0xF8)):
        if lead & mask == prefix:
            return length
    raise JSURIError("URI malformed")


def _decode_escape(text: str, at: int, reserved: frozenset[str]) -> tuple[str, int]:
    """The text that the escape sequence at ``text[at]`` decodes to, and where it ends."""
    lead = _hex_byte(text, at)
    if lead < 0x80:
        char = chr(lead)
        return (text[at:at + 3] if char in reserved else char), at + 3
    length = _utf8_length(lead)
    data = bytes([lead, *(_hex_byte(text, at + 3 * k) for k in range(1, length))])
    try:
        # Python's strict decoder rejects what the spec does: overlong forms, encoded
        # surrogates, code points past U+10FFFF and bad continuation bytes.
        return data.decode("utf-8"), at + 3 * length
    except UnicodeDecodeError:
        raise JSURIError("URI malformed") from None


def _decode(value: Any, reserved: frozenset[str]) -> str:
    text = to_string(value)
    if "%" not in text:
        return text
    out: list[str] = []
    start = 0
    at = text.find("%")
    while at != -1:
        out.append(text[start:at])
        decoded, start = _decode_escape(text, at, reserved)
        out.append(decoded)
        at = text.find("%", start)
    out.append(text[start:])
    return "".join(out)


def decodeURIComponent(value: Any = undefined, *_: Any) -> str:
    return _decode(value, frozenset())


def decodeURI(value: Any = undefined, *_: Any) -> str:
    return _decode(value, _DECODE_URI_RESERVED)


def escape(value: Any = undefined, *_: Any) -> str:
    """Annex B ``escape``: per UTF-16 code unit, ``%XX`` below 256, else ``%uXXXX``."""
    out = []
    for char in to_units(to_string(value)):
        if char in _ESCAPE_SAFE:
            out.append(char)
        else:
            code = ord(char)
            out.append(f"%{code:02X}" if code < 256 else f"%u{code:04X}")
    return "".join(out)


def _unescape_at(text: str, at: int) -> tuple[str, int]:
    """The code unit an escape at ``text[at]`` stands for, and where it ends; a ``%``
    that starts no valid escape stands for itself."""
    if text[at + 1:at + 2] == "u":
        digits = text[at + 2:at + 6]
        if len(digits) == 4 and _HEX.issuperset(digits):
            return chr(int(digits, 16)), at + 6
    digits = text[at + 1:at + 3]
    if len(digits) == 2 and _HEX.issuperset(digits):
        return chr(int(digits, 16)), at + 3
    return "%", at + 1


def unescape(value: Any = undefined, *_: Any) -> str:
    """Annex B ``unescape``; escaped surrogate pairs become one character again."""
    text = to_units(to_string(value))
    if "%" not in text:
        return from_units(text)
    out: list[str] = []
    start = 0
    at = text.find("%")
    while at != -1:
        out.append(text[start:at])
        char, start = _unescape_at(text, at)
        out.append(char)
        at = text.find("%", start)
    out.append(text[start:])
    return from_units("".join(out))
