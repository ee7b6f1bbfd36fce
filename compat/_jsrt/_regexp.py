"""RegExp: JS pattern syntax translated to Python ``re``, and the regex-driven methods.

Translation keeps JS meaning where Python's differs: ``\\d``/``\\w``/``\\b`` are ASCII,
``\\s`` is JS's whitespace set, ``.`` excludes every line terminator, ``$`` without the
``m`` flag only matches at the very end, ``(?<name>``/``\\k<name>`` become Python's
named-group syntax, ``[^]`` matches anything and ``[]`` nothing.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, ClassVar

from flowdsl._sandbox import check_regex
from flowdsl.errors import FlowError

from ._convert import to_number, to_string
from ._numbers import WHITESPACE, to_integer
from ._values import JSObjectBase, JSSyntaxError, JSTypeError, is_callable, undefined

__all__ = ["JSRegExp", "MatchArray", "js_regexp", "regexp_replace", "regexp_split"]

_WORD = "A-Za-z0-9_"
_SPACE = "".join(f"\\u{ord(c):04x}" for c in WHITESPACE)
_CLASS_ESCAPES = {"d": "0-9", "w": _WORD, "s": _SPACE}
_NEGATED = {"D": "0-9", "W": _WORD, "S": _SPACE}
_LINE_END = "\\n\\r\\u2028\\u2029"


def _translate_escape(pattern: str, i: int, in_class: bool) -> tuple[str, int]:
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
    if char == "u" and pattern[i + 2:i + 3] == "{":
        end = pattern.index("}", i)
        return f"\\U{int(pattern[i + 3:end], 16):08x}", end + 1
    if char == "c" and i + 2 < len(pattern) and pattern[i + 2].isalpha():
        return f"\\x{ord(pattern[i + 2]) % 32:02x}", i + 3
    if char == "/":
        return "/", i + 2
    if char == "-" and in_class:
        return "\\-", i + 2
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


@lru_cache(maxsize=512)
def translate(pattern: str, flags: str) -> re.Pattern[str]:
    """Compile a JS pattern (without slashes) with JS flags into a Python pattern."""
    out: list[str] = []
    i, n = 0, len(pattern)
    in_class = False
    dotall, multiline = "s" in flags, "m" in flags
    while i < n:
        char = pattern[i]
        if char == "\\":
            text, i = _translate_escape(pattern, i, in_class)
            out.append(text)
            continue
        if in_class:
            if char == "]":
                in_class = False
            elif char == "[":
                char = "\\["
            out.append(char)
        elif char == "[":
            text, i, in_class = _open_class(pattern, i)
            out.append(text)
            continue
        elif (char == "(" and pattern.startswith("(?<", i)
              and pattern[i + 3:i + 4] not in ("=", "!")):
            out.append("(?P<")
            i += 3
            continue
        elif char == ".":
            out.append("[\\s\\S]" if dotall else f"[^{_LINE_END}]")
        elif char == "$":
            out.append(f"(?=[{_LINE_END}]|\\Z)" if multiline else "\\Z")
        elif char == "^":
            out.append(f"(?:(?<=[{_LINE_END}])|\\A)" if multiline else "\\A")
        else:
            out.append(char)
        i += 1
    py_flags = re.IGNORECASE if "i" in flags else 0
    return _compile_checked("".join(out), py_flags, pattern, flags)


def _compile_checked(source: str, py_flags: int, pattern: str, flags: str) -> re.Pattern[str]:
    """Compile, then apply the sandbox's catastrophic-backtracking rule."""
    try:
        return check_regex(re.compile(source, py_flags))
    except (re.error, FlowError) as exc:
        raise JSSyntaxError(f"Invalid regular expression: /{pattern}/{flags}: {exc}") from None


class MatchArray(list[Any]):
    """The array ``exec``/``match`` return, with ``index``, ``input`` and ``groups``."""

    __slots__ = ("groups", "match_index", "match_input")

    def __init__(self, match: re.Match[str]) -> None:
        super().__init__(undefined if g is None else g for g in (match.group(0), *match.groups()))
        self.match_index = match.start()
        self.match_input = match.string
        names = match.re.groupindex
        self.groups: Any = undefined
        if names:
            self.groups = {k: undefined if match.group(k) is None else match.group(k)
                           for k in names}

    def js_extra(self, key: str) -> Any:
        if key == "index":
            return self.match_index
        if key == "input":
            return self.match_input
        if key == "groups":
            return self.groups
        return undefined


class JSRegExp(JSObjectBase):
    """A RegExp object: source, flags, lastIndex, exec/test."""

    __slots__ = ("compiled", "flags", "last_index", "source")
    js_class = "RegExp"
    JS_METHODS: ClassVar[dict[str, Any]] = {}

    def __init__(self, source: str, flags: str = "") -> None:
        bad = set(flags) - set("dgimsuy")
        if bad or len(set(flags)) != len(flags):
            raise JSSyntaxError(f"Invalid flags supplied to RegExp constructor '{flags}'")
        self.source = source
        self.flags = "".join(sorted(flags))
        self.compiled = translate(source, self.flags)
        self.last_index = 0

    @property
    def is_global(self) -> bool:
        return "g" in self.flags

    @property
    def sticky(self) -> bool:
        return "y" in self.flags

    def js_property(self, key: str) -> Any:
        if key == "lastIndex":
            return self.last_index
        if key == "source":
            return self.source
        if key == "flags":
            return self.flags
        flag = _FLAG_NAMES.get(key)
        if flag is not None:
            return flag in self.flags
        return undefined

    def js_set_property(self, key: str, value: Any) -> None:
        if key == "lastIndex":
            self.last_index = to_integer(to_number(value))

    def js_to_string(self) -> str:
        return f"/{self.source}/{self.flags}"

    def match_at(self, text: str, start: int) -> re.Match[str] | None:
        if self.sticky:
            return self.compiled.match(text, start)
        return self.compiled.search(text, start)

    def exec(self, text: Any = undefined) -> Any:
        string = to_string(text)
        stateful = self.is_global or self.sticky
        start = self.last_index if stateful else 0
        if start > len(string):
            self.last_index = 0
            return None
        match = self.match_at(string, start)
        if match is None:
            if stateful:
                self.last_index = 0
            return None
        if stateful:
            self.last_index = match.end()
        return MatchArray(match)

    def test(self, text: Any = undefined) -> bool:
        return self.exec(text) is not None


_FLAG_NAMES = {"global": "g", "ignoreCase": "i", "multiline": "m", "dotAll": "s",
               "unicode": "u", "sticky": "y", "hasIndices": "d"}
JSRegExp.JS_METHODS = {
    "exec": JSRegExp.exec,
    "test": JSRegExp.test,
    "toString": JSRegExp.js_to_string,
}


def js_regexp(source: str, flags: str = "") -> JSRegExp:
    """A regex literal ``/source/flags`` (a new object each evaluation, as in JS)."""
    return JSRegExp(source, flags)


def regexp_from(value: Any, flags: Any = undefined) -> JSRegExp:
    if isinstance(value, JSRegExp):
        return JSRegExp(value.source, value.flags if flags is undefined else to_string(flags))
    source = "(?:)" if value is undefined else to_string(value)
    return JSRegExp(source, "" if flags is undefined else to_string(flags))


# -- the String methods that take a RegExp -------------------------------------------------


def expand_replacement(template: str, match: re.Match[str]) -> str:
    """A replacement string's ``$&``, ``$1``, ``$<name>``, ``$$``, ``$```, ``$'``."""
    if "$" not in template:
        return template
    out: list[str] = []
    i, n = 0, len(template)
    groups = match.re.groups
    while i < n:
        char = template[i]
        nxt = template[i + 1] if i + 1 < n else ""
        if char != "$" or not nxt:
            out.append(char)
            i += 1
        elif nxt == "$":
            out.append("$")
            i += 2
        elif nxt == "&":
            out.append(match.group(0))
            i += 2
        elif nxt == "`":
            out.append(match.string[:match.start()])
            i += 2
        elif nxt == "'":
            out.append(match.string[match.end():])
            i += 2
        elif nxt.isdigit():
            two = template[i + 1:i + 3]
            if len(two) == 2 and two.isdigit() and 0 < int(two) <= groups:
                out.append(match.group(int(two)) or "")
                i += 3
            elif 0 < int(nxt) <= groups:
                out.append(match.group(int(nxt)) or "")
                i += 2
            else:
                out.append("$" + nxt)
                i += 2
        elif nxt == "<" and match.re.groupindex:
            end = template.find(">", i)
            if end < 0:
                out.append("$<")
                i += 2
            else:
                out.append(match.group(template[i + 2:end]) or "")
                i = end + 1
        else:
            out.append("$")
            i += 1
    return "".join(out)


def _replacement(replacement: Any, match: re.Match[str]) -> str:
    if is_callable(replacement):
        groups = [undefined if g is None else g for g in match.groups()]
        extra: list[Any] = [match.start(), match.string]
        if match.re.groupindex:
            extra.append({k: undefined if v is None else v
                          for k, v in match.groupdict().items()})
        return to_string(replacement(match.group(0), *groups, *extra))
    return expand_replacement(to_string(replacement), match)


def regexp_replace(regexp: JSRegExp, text: str, replacement: Any, *, all_required: bool = False
                   ) -> str:
    if all_required and not regexp.is_global:
        raise JSTypeError("replaceAll must be called with a global RegExp")
    if not regexp.is_global:
        match = regexp.match_at(text, regexp.last_index if regexp.sticky else 0)
        if match is None:
            return text
        return text[:match.start()] + _replacement(replacement, match) + text[match.end():]
    regexp.last_index = 0
    out: list[str] = []
    pos = 0
    for match in regexp.compiled.finditer(text):
        out.append(text[pos:match.start()])
        out.append(_replacement(replacement, match))
        pos = match.end()
    out.append(text[pos:])
    return "".join(out)


def regexp_split(regexp: JSRegExp, text: str, limit: int) -> list[Any]:
    """The spec's RegExp.prototype[@@split]."""
    out: list[Any] = []
    if limit == 0:
        return out
    compiled = regexp.compiled
    if not text:
        return [] if compiled.match(text) else [text]
    p = q = 0
    size = len(text)
    while q < size:
        match = compiled.match(text, q)
        if match is None or min(match.end(), size) == p:
            q += 1
            continue
        out.append(text[p:q])
        if len(out) == limit:
            return out
        for group in match.groups():
            out.append(undefined if group is None else group)
            if len(out) == limit:
                return out
        p = q = min(match.end(), size)
    out.append(text[p:])
    return out
