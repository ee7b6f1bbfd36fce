"""RegExp pattern syntax: a JS pattern and its flags compiled to a Python ``re`` pattern
(``regex`` for ``\\p{…}``), for :mod:`._regexp`.

Without the ``u`` flag a JS pattern sees UTF-16 code units, so the pattern is first spelled
in code units (each astral character becomes its surrogate pair, :func:`to_code_units`) and
matched against a subject spelled the same way; with ``u`` both stay code points (and a
surrogate-pair escape ``\\uD83D\\uDE00`` is joined into one). :func:`canonical` turns code
units back into this runtime's strings (pairs joined).

Translation keeps JS meaning where Python's differs: ``\\d``/``\\w``/``\\b`` are ASCII,
``\\s`` is JS's whitespace set, ``.`` excludes every line terminator, ``$`` without the
``m`` flag only matches at the very end, ``(?<name>``/``\\k<name>`` become Python's
named-group syntax, ``[^]`` matches anything and ``[]`` nothing, and an identity escape of
a letter (``\\a``, ``\\A``) is that letter (a SyntaxError under ``u``, as in JS).

``\\p{…}``/``\\P{…}`` (``u`` only) take ECMAScript's property names, checked against its
list, and are matched by the ``regex`` package, whose ``Pattern`` has ``re``'s interface;
the sandbox's backtracking rule sees the same pattern with each property replaced by
``\\w`` (one character either way, so the same shape).
"""

from __future__ import annotations

import re
from functools import lru_cache

import regex  # type: ignore[import-untyped]

from flowdsl._sandbox import check_regex
from flowdsl.errors import FlowError

from ._numbers import WHITESPACE
from ._values import JSSyntaxError

__all__ = ["canonical", "to_code_units", "translate"]

_WORD = "A-Za-z0-9_"
_SPACE = "".join(f"\\u{ord(c):04x}" for c in WHITESPACE)
_CLASS_ESCAPES = {"d": "0-9", "w": _WORD, "s": _SPACE}
_NEGATED = {"D": "0-9", "W": _WORD, "S": _SPACE}
_LINE_END = "\\n\\r\\u2028\\u2029"
_KNOWN_ESCAPES = frozenset("bBcdDfnrsStvwWx")
_HEX4 = re.compile("[0-9A-Fa-f]{4}")
_PROPERTY = re.compile(r"\\[pP]\{[A-Za-z0-9_=]+\}")

_GENERAL_CATEGORIES = {
    long: short for short, names in {
        "LC": "Cased_Letter", "Pe": "Close_Punctuation", "Pc": "Connector_Punctuation",
        "Cc": "Control cntrl", "Sc": "Currency_Symbol", "Pd": "Dash_Punctuation",
        "Nd": "Decimal_Number digit", "Me": "Enclosing_Mark", "Pf": "Final_Punctuation",
        "Cf": "Format", "Pi": "Initial_Punctuation", "L": "Letter", "Nl": "Letter_Number",
        "Zl": "Line_Separator", "Ll": "Lowercase_Letter", "M": "Mark Combining_Mark",
        "Sm": "Math_Symbol", "Lm": "Modifier_Letter", "Sk": "Modifier_Symbol",
        "Mn": "Nonspacing_Mark", "N": "Number", "Ps": "Open_Punctuation", "C": "Other",
        "Lo": "Other_Letter", "No": "Other_Number", "Po": "Other_Punctuation",
        "So": "Other_Symbol", "Zp": "Paragraph_Separator", "Co": "Private_Use",
        "P": "Punctuation punct", "Z": "Separator", "Zs": "Space_Separator",
        "Mc": "Spacing_Mark", "Cs": "Surrogate", "S": "Symbol", "Lt": "Titlecase_Letter",
        "Cn": "Unassigned", "Lu": "Uppercase_Letter",
    }.items() for long in (short, *names.split())
}
"""ECMAScript's General_Category values and aliases, to the short name ``regex`` takes."""

_BINARY = frozenset("""
    ASCII ASCII_Hex_Digit AHex Alphabetic Alpha Any Assigned Bidi_Control Bidi_C
    Bidi_Mirrored Bidi_M Case_Ignorable CI Cased Changes_When_Casefolded CWCF
    Changes_When_Casemapped CWCM Changes_When_Lowercased CWL Changes_When_NFKC_Casefolded
    CWKCF Changes_When_Titlecased CWT Changes_When_Uppercased CWU Dash
    Default_Ignorable_Code_Point DI Deprecated Dep Diacritic Dia Emoji Emoji_Component EComp
    Emoji_Modifier EMod Emoji_Modifier_Base EBase Emoji_Presentation EPres
    Extended_Pictographic ExtPict Extender Ext Grapheme_Base Gr_Base Grapheme_Extend Gr_Ext
    Hex_Digit Hex IDS_Binary_Operator IDSB IDS_Trinary_Operator IDST ID_Continue IDC ID_Start
    IDS Ideographic Ideo Join_Control Join_C Logical_Order_Exception LOE Lowercase Lower Math
    Noncharacter_Code_Point NChar Pattern_Syntax Pat_Syn Pattern_White_Space Pat_WS
    Quotation_Mark QMark Radical Regional_Indicator RI Sentence_Terminal STerm Soft_Dotted SD
    Terminal_Punctuation Term Unified_Ideograph UIdeo Uppercase Upper Variation_Selector VS
    White_Space space XID_Continue XIDC XID_Start XIDS
""".split())
"""ECMAScript's binary Unicode properties and their aliases."""


# -- UTF-16 views of a string ---------------------------------------------------------------

_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _pair(match: re.Match[str]) -> str:
    code = ord(match.group()) - 0x10000
    return chr(0xD800 + (code >> 10)) + chr(0xDC00 + (code & 0x3FF))


def to_code_units(text: str) -> str:
    """Each astral character as its surrogate pair (idempotent; kept here, not taken from
    :mod:`._strings`, which imports :mod:`._regexp`)."""
    if text.isascii() or max(text) < "\U00010000":
        return text
    return _ASTRAL.sub(_pair, text)


def canonical(text: str) -> str:
    """Surrogate pairs joined into code points; lone surrogates stay, as in JS."""
    if text.isascii() or not _SURROGATE.search(text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


# -- translation ------------------------------------------------------------------------------


def _syntax_error(pattern: str, flags: str, what: str) -> JSSyntaxError:
    return JSSyntaxError(f"Invalid regular expression: /{pattern}/{flags}: {what}")


def _code_point(code: int) -> str:
    return f"\\U{code:08x}" if code > 0xFFFF else f"\\u{code:04x}"


def _unicode_escape(pattern: str, i: int, unicode: bool) -> tuple[str, int]:
    """``\\uXXXX``, ``\\u{X…}`` (``u`` only: without it ``\\u`` is the letter u) and, under
    ``u``, a surrogate pair spelled as two escapes."""
    if pattern.startswith("{", i + 2) and unicode:
        end = pattern.find("}", i)
        digits = pattern[i + 3:end] if end > 0 else ""
        if not re.fullmatch("[0-9A-Fa-f]+", digits) or int(digits, 16) > 0x10FFFF:
            raise _syntax_error(pattern, "u", "Invalid Unicode escape")
        return _code_point(int(digits, 16)), end + 1
    if not _HEX4.fullmatch(pattern[i + 2:i + 6]):
        if unicode:
            raise _syntax_error(pattern, "u", "Invalid Unicode escape")
        return "u", i + 2
    code = int(pattern[i + 2:i + 6], 16)
    low = pattern[i + 8:i + 12] if pattern.startswith("\\u", i + 6) else ""
    if unicode and 0xD800 <= code < 0xDC00 and _HEX4.fullmatch(low):
        trail = int(low, 16)
        if 0xDC00 <= trail < 0xE000:
            return _code_point(0x10000 + ((code - 0xD800) << 10) + trail - 0xDC00), i + 12
    return f"\\u{code:04x}", i + 6


def _property(pattern: str, i: int) -> tuple[str, int]:
    """``\\p{Name}``, ``\\p{Name=Value}`` or their ``\\P`` complements, under ``u``."""
    end = pattern.find("}", i)
    if not pattern.startswith("{", i + 2) or end < 0:
        raise _syntax_error(pattern, "u", "Invalid property name")
    name, _, value = pattern[i + 3:end].partition("=")
    if not value and name in _GENERAL_CATEGORIES:
        spelled = _GENERAL_CATEGORIES[name]
    elif not value and name in _BINARY:
        spelled = "White_Space" if name == "space" else name
    elif name in ("General_Category", "gc") and value in _GENERAL_CATEGORIES:
        spelled = _GENERAL_CATEGORIES[value]
    elif name in ("Script", "sc", "Script_Extensions", "scx") and value.isidentifier():
        spelled = ("Script=" if name in ("Script", "sc") else "Script_Extensions=") + value
    else:
        raise _syntax_error(pattern, "u", "Invalid property name")
    return f"\\{pattern[i + 1]}{{{spelled}}}", end + 1


def _translate_escape(pattern: str, i: int, in_class: bool, unicode: bool) -> tuple[str, int]:
    char = pattern[i + 1] if i + 1 < len(pattern) else "\\"
    if char in _CLASS_ESCAPES:
        text = _CLASS_ESCAPES[char]
        return (text if in_class else f"[{text}]"), i + 2
    if char in _NEGATED:
        if in_class:
            raise JSSyntaxError(f"Invalid regular expression: /{pattern}/: negated class escape "
                                "inside a class is not supported")
        return f"[^{_NEGATED[char]}]", i + 2
    if char == "b" and not in_class:
        return (f"(?:(?<=[{_WORD}])(?![{_WORD}])|(?<![{_WORD}])(?=[{_WORD}]))"), i + 2
    if char == "B" and not in_class:
        return (f"(?:(?<=[{_WORD}])(?=[{_WORD}])|(?<![{_WORD}])(?![{_WORD}]))"), i + 2
    if char == "k" and pattern[i + 2:i + 3] == "<":
        end = pattern.index(">", i)
        return f"(?P={pattern[i + 3:end]})", end + 1
    if char == "u":
        return _unicode_escape(pattern, i, unicode)
    if char in "pP" and unicode:
        return _property(pattern, i)
    if char == "c" and i + 2 < len(pattern) and pattern[i + 2].isalpha():
        return f"\\x{ord(pattern[i + 2]) % 32:02x}", i + 3
    if char == "/":
        return "/", i + 2
    if char == "-" and in_class:
        return "\\-", i + 2
    if char.isascii() and char.isalpha() and char not in _KNOWN_ESCAPES:
        if unicode:
            raise _syntax_error(pattern, "u", "Invalid escape")
        return char, i + 2  # an identity escape: \a is "a", not Python's bell
    return pattern[i:i + 2], i + 2


def _open_class(pattern: str, i: int) -> tuple[str, int, bool]:
    """A ``[`` at ``i``: JS's ``[^]`` (anything) and ``[]`` (nothing) have no Python form."""
    if pattern.startswith("[^]", i):
        return "[\\s\\S]", i + 3, False
    if pattern.startswith("[]", i):
        return "(?!)", i + 2, False
    if pattern.startswith("^", i + 1):
        return "[^", i + 2, True
    return "[", i + 1, True


def _translate_plain(char: str, in_class: bool, flags: str) -> str:
    if in_class:
        return "\\[" if char == "[" else char
    if char == ".":
        return "[\\s\\S]" if "s" in flags else f"[^{_LINE_END}]"
    if char == "$":
        return f"(?=[{_LINE_END}]|\\Z)" if "m" in flags else "\\Z"
    if char == "^":
        return f"(?:(?<=[{_LINE_END}])|\\A)" if "m" in flags else "\\A"
    return char


def _translate_source(pattern: str, flags: str) -> str:
    """The Python spelling of a JS pattern already in code units (or points under ``u``)."""
    out: list[str] = []
    i, n = 0, len(pattern)
    in_class, unicode = False, "u" in flags
    while i < n:
        char = pattern[i]
        if char == "\\":
            text, i = _translate_escape(pattern, i, in_class, unicode)
            out.append(text)
        elif char == "[" and not in_class:
            text, i, in_class = _open_class(pattern, i)
            out.append(text)
        elif (char == "(" and not in_class and pattern.startswith("(?<", i)
              and pattern[i + 3:i + 4] not in ("=", "!")):
            out.append("(?P<")
            i += 3
        else:
            out.append(_translate_plain(char, in_class, flags))
            in_class = in_class and char != "]"
            i += 1
    return "".join(out)


@lru_cache(maxsize=512)
def translate(pattern: str, flags: str) -> re.Pattern[str]:
    """Compile a JS pattern (without slashes) with JS flags into a Python pattern."""
    spelled = canonical(pattern) if "u" in flags else to_code_units(pattern)
    return _compile_checked(_translate_source(spelled, flags), pattern, flags)


def _compile_checked(source: str, pattern: str, flags: str) -> re.Pattern[str]:
    """Compile, then apply the sandbox's catastrophic-backtracking rule."""
    ignore_case = "i" in flags
    try:
        if not _PROPERTY.search(source):
            return check_regex(re.compile(source, re.IGNORECASE if ignore_case else 0))
        shape = _PROPERTY.sub(r"\\w", source)
        check_regex(re.compile(shape, re.IGNORECASE if ignore_case else 0))
        compiled: re.Pattern[str] = regex.compile(source, regex.IGNORECASE if ignore_case else 0)
        return compiled
    except (re.error, regex.error, FlowError) as exc:
        raise _syntax_error(pattern, flags, str(exc)) from None
