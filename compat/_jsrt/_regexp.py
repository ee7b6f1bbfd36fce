"""RegExp objects and the regex-driven String methods (the pattern syntax itself is
translated by :mod:`._regexp_syntax`).

A JS string is a sequence of UTF-16 code units; this runtime keeps it as a Python ``str``
of code points (:mod:`._strings`). Without the ``u`` flag a JS pattern sees code units, so
the pattern and the subject are both spelled in code units here (each astral character
becomes its surrogate pair): ``.`` matches one unit, ``[😀]`` is a class of two units and
``/^.$/`` fails on ``'😀'``, as in JS. With ``u`` both stay code points. Either way every
index that leaves this module (``index``, ``lastIndex``, ``search``, a replacer's offset,
``indices``) counts UTF-16 units, and every string that leaves it is canonical (pairs
joined), so the rest of the runtime never sees the difference.
"""

from __future__ import annotations

import bisect
import itertools
import re
from typing import Any, ClassVar

from ._convert import to_number, to_string
from ._numbers import to_integer
from ._regexp_syntax import canonical, to_code_units, translate
from ._values import JSObjectBase, JSSyntaxError, JSTypeError, is_callable, undefined

__all__ = ["JSRegExp", "MatchArray", "js_regexp", "regexp_match", "regexp_match_all",
           "regexp_replace", "regexp_search", "regexp_split"]


class _Subject:
    """The string a pattern runs on (code units, or code points under ``u``) and the map
    from its indices to UTF-16 offsets."""

    __slots__ = ("_offsets", "length", "text", "value")

    def __init__(self, value: str, unicode: bool) -> None:
        units = to_code_units(value)
        self.length = len(units)
        self.value = canonical(units)
        self.text = self.value if unicode else units
        self._offsets: list[int] | None = None
        if len(self.text) != self.length:
            steps = (2 if c > "\uffff" else 1 for c in self.text)
            self._offsets = [0, *itertools.accumulate(steps)]

    def unit(self, index: int) -> int:
        return index if self._offsets is None else self._offsets[index]

    def index(self, unit: int) -> int:
        """The text index of the character holding UTF-16 offset ``unit``."""
        if self._offsets is None:
            return unit
        return bisect.bisect_right(self._offsets, unit) - 1

    def piece(self, start: int, end: int) -> str:
        return canonical(self.text[start:end])

    def group(self, match: re.Match[str], group: int | str) -> Any:
        start, end = match.span(group)
        return undefined if start < 0 else self.piece(start, end)


class _Indices(list[Any]):
    """``match.indices`` (the ``d`` flag): [start, end] pairs and their ``groups``."""

    __slots__ = ("groups",)
    groups: Any

    def js_extra(self, key: str) -> Any:
        return self.groups if key == "groups" else undefined


def _named(match: re.Match[str], value: Any) -> Any:
    names = match.re.groupindex
    return {name: value(name) for name in names} if names else undefined


class MatchArray(list[Any]):
    """The array ``exec``/``match`` return, with ``index``, ``input``, ``groups`` and, with
    the ``d`` flag, ``indices``."""

    __slots__ = ("groups", "indices", "match_index", "match_input")

    def __init__(self, match: re.Match[str], subject: _Subject, has_indices: bool) -> None:
        super().__init__(subject.group(match, g) for g in range(match.re.groups + 1))
        self.match_index = subject.unit(match.start())
        self.match_input = subject.value
        self.groups: Any = _named(match, lambda name: subject.group(match, name))
        self.indices: Any = undefined
        if has_indices:
            def span(group: int | str) -> Any:
                start, end = match.span(group)
                return undefined if start < 0 else [subject.unit(start), subject.unit(end)]

            self.indices = _Indices(span(g) for g in range(match.re.groups + 1))
            self.indices.groups = _named(match, span)

    def js_extra(self, key: str) -> Any:
        if key == "index":
            return self.match_index
        if key == "input":
            return self.match_input
        if key == "groups":
            return self.groups
        if key == "indices":
            return self.indices
        return undefined


class JSRegExp(JSObjectBase):
    """A RegExp object: source, flags, lastIndex, exec/test."""

    __slots__ = ("compiled", "flags", "last_index", "source", "unicode")
    js_class = "RegExp"
    JS_METHODS: ClassVar[dict[str, Any]] = {}

    def __init__(self, source: str, flags: str = "") -> None:
        bad = set(flags) - set("dgimsuy")
        if bad or len(set(flags)) != len(flags):
            raise JSSyntaxError(f"Invalid flags supplied to RegExp constructor '{flags}'")
        self.source = source
        self.flags = "".join(sorted(flags))
        self.unicode = "u" in flags
        self.compiled = translate(source, self.flags)
        self.last_index = 0

    @classmethod
    def literal(cls, needle: str, *, every: bool) -> JSRegExp:
        """A RegExp matching ``needle`` itself (``replace``/``replaceAll`` with a string)."""
        regexp = cls.__new__(cls)
        regexp.source, regexp.flags, regexp.last_index = needle, "g" if every else "", 0
        regexp.unicode = False
        regexp.compiled = re.compile(re.escape(to_code_units(needle)))
        return regexp

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

    def subject(self, text: str) -> _Subject:
        return _Subject(text, self.unicode)

    def match_at(self, subject: _Subject, start: int) -> re.Match[str] | None:
        """The match from UTF-16 offset ``start`` (only there when sticky)."""
        index = subject.index(start)
        if self.sticky:
            return self.compiled.match(subject.text, index)
        return self.compiled.search(subject.text, index)

    def exec_match(self, subject: _Subject) -> re.Match[str] | None:
        """The spec's RegExpBuiltinExec: from ``lastIndex`` when global or sticky."""
        stateful = self.is_global or self.sticky
        start = max(self.last_index, 0) if stateful else 0
        match = None if start > subject.length else self.match_at(subject, start)
        if stateful:
            self.last_index = 0 if match is None else subject.unit(match.end())
        return match

    def exec(self, text: Any = undefined) -> Any:
        subject = self.subject(to_string(text))
        match = self.exec_match(subject)
        return None if match is None else MatchArray(match, subject, "d" in self.flags)

    def test(self, text: Any = undefined) -> bool:
        return self.exec_match(self.subject(to_string(text))) is not None


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


def _all_matches(regexp: JSRegExp, subject: _Subject, start: int = 0) -> list[re.Match[str]]:
    """The spec's loop of ``exec`` from UTF-16 offset ``start``: an empty match moves on by
    one unit (one code point under ``u``); a sticky pattern stops at its first miss."""
    find = regexp.compiled.match if regexp.sticky else regexp.compiled.search
    text, pos = subject.text, subject.index(start)
    found: list[re.Match[str]] = []
    while pos <= len(text):
        match = find(text, pos)
        if match is None:
            break
        found.append(match)
        pos = match.end() + (match.end() == match.start())
    return found


def _text(value: Any) -> str:
    return "" if value is undefined else str(value)


def _dollar_group(template: str, i: int, match: re.Match[str], subject: _Subject
                  ) -> tuple[str, int]:
    """``$n``/``$nn`` at ``i``: two digits when they name a group, else one, else literal."""
    groups = match.re.groups
    two = template[i + 1:i + 3]
    if len(two) == 2 and two.isdigit() and 0 < int(two) <= groups:
        return _text(subject.group(match, int(two))), i + 3
    if 0 < int(template[i + 1]) <= groups:
        return _text(subject.group(match, int(template[i + 1]))), i + 2
    return template[i:i + 2], i + 2


def expand_replacement(template: str, match: re.Match[str], subject: _Subject) -> str:
    """A replacement string's ``$&``, ``$1``, ``$<name>``, ``$$``, ``$```, ``$'``."""
    if "$" not in template:
        return template
    out: list[str] = []
    i, n = 0, len(template)
    while i < n:
        char = template[i]
        nxt = template[i + 1] if i + 1 < n else ""
        if char != "$" or not nxt:
            out.append(char)
            i += 1
        elif nxt in "$&`'":
            out.append({"$": "$", "&": subject.group(match, 0),
                        "`": subject.piece(0, match.start()),
                        "'": subject.piece(match.end(), len(subject.text))}[nxt])
            i += 2
        elif nxt.isdigit():
            text, i = _dollar_group(template, i, match, subject)
            out.append(text)
        elif nxt == "<" and match.re.groupindex and template.find(">", i) >= 0:
            end = template.find(">", i)
            name = template[i + 2:end]
            out.append(_text(subject.group(match, name)) if name in match.re.groupindex else "")
            i = end + 1
        else:
            out.append("$")
            i += 1
    return "".join(out)


def _replacement(replacement: Any, match: re.Match[str], subject: _Subject) -> str:
    if is_callable(replacement):
        groups = [subject.group(match, g) for g in range(1, match.re.groups + 1)]
        extra: list[Any] = [subject.unit(match.start()), subject.value]
        named = _named(match, lambda name: subject.group(match, name))
        if named is not undefined:
            extra.append(named)
        return to_string(replacement(subject.group(match, 0), *groups, *extra))
    return expand_replacement(to_string(replacement), match, subject)


def regexp_replace(regexp: JSRegExp, text: str, replacement: Any, *, all_required: bool = False
                   ) -> str:
    if all_required and not regexp.is_global:
        raise JSTypeError("replaceAll must be called with a global RegExp")
    subject = regexp.subject(text)
    if regexp.is_global:
        regexp.last_index = 0
        matches = _all_matches(regexp, subject)
    else:
        one = regexp.exec_match(subject)
        matches = [] if one is None else [one]
    out: list[str] = []
    pos = 0
    for match in matches:
        out.append(subject.text[pos:match.start()])
        out.append(_replacement(replacement, match, subject))
        pos = match.end()
    out.append(subject.text[pos:])
    return canonical("".join(out))


def regexp_match(regexp: JSRegExp, text: str) -> Any:
    """``String.prototype.match``: ``exec``, or every match's text when global."""
    if not regexp.is_global:
        return regexp.exec(text)
    subject = regexp.subject(text)
    regexp.last_index = 0
    found = [subject.group(m, 0) for m in _all_matches(regexp, subject)]
    return found or None


def regexp_match_all(regexp: JSRegExp, text: str) -> list[MatchArray]:
    """``String.prototype.matchAll``'s matches, from the pattern's ``lastIndex``."""
    subject = regexp.subject(text)
    if max(regexp.last_index, 0) > subject.length:
        return []
    return [MatchArray(m, subject, "d" in regexp.flags)
            for m in _all_matches(regexp, subject, max(regexp.last_index, 0))]


def regexp_search(regexp: JSRegExp, text: str) -> int:
    """``String.prototype.search``: the first match's UTF-16 offset (from 0, whatever
    ``lastIndex`` says), or -1."""
    subject = regexp.subject(text)
    match = regexp.match_at(subject, 0)
    return -1 if match is None else subject.unit(match.start())


def regexp_split(regexp: JSRegExp, text: str, limit: int) -> list[Any]:
    """The spec's RegExp.prototype[@@split]."""
    out: list[Any] = []
    if limit == 0:
        return out
    compiled, subject = regexp.compiled, regexp.subject(text)
    string = subject.text
    if not string:
        return [] if compiled.match(string) else [subject.value]
    p = q = 0
    size = len(string)
    while q < size:
        match = compiled.match(string, q)
        if match is None or min(match.end(), size) == p:
            q += 1
            continue
        out.append(subject.piece(p, q))
        if len(out) == limit:
            return out
        for group in range(1, match.re.groups + 1):
            out.append(subject.group(match, group))
            if len(out) == limit:
                return out
        p = q = min(match.end(), size)
    out.append(subject.piece(p, size))
    return out
