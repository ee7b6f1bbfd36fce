"""Glob patterns (``**``, ``*``, ``?``, ``[...]``, ``{a,b}``) matched against relative paths.

One translator serves both tools that take globs, and it is written here rather than
borrowed: :mod:`fnmatch` has no ``**`` and lets ``*`` cross ``/``, ``glob.translate``
arrives only in Python 3.13, and :meth:`pathlib.PurePath.match` matches from the right.
A pattern is brace-expanded first (``*.{ts,tsx}`` -> ``*.ts``, ``*.tsx``), then each
alternative is split on ``/``; ``**`` as a whole component spans any number of
directories, ``*`` and ``?`` never cross ``/``. :meth:`Glob.may_contain` lets a tree walk
prune the directories no alternative can match below.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from ...errors import ToolError

__all__ = ["Glob", "compile_glob"]

_MAX_ALTERNATIVES = 256
"""Brace expansion is exponential in the number of groups; past this the pattern is refused."""


@dataclass(frozen=True, slots=True)
class _Alternative:
    parts: tuple[re.Pattern[str] | None, ...]
    """One compiled regex per path component; None stands for a ``**`` component."""
    whole: re.Pattern[str]


@dataclass(frozen=True, slots=True)
class Glob:
    """A compiled glob: the union of its brace alternatives."""

    pattern: str
    alternatives: tuple[_Alternative, ...]

    def matches(self, relative: str) -> bool:
        """Whether the ``/``-separated relative path matches the whole pattern."""
        return any(alt.whole.fullmatch(relative) for alt in self.alternatives)

    def may_contain(self, directory: tuple[str, ...]) -> bool:
        """Whether a path below ``directory`` (its components) can match."""
        return any(_may_contain(alt.parts, directory) for alt in self.alternatives)


def _may_contain(parts: tuple[re.Pattern[str] | None, ...], directory: tuple[str, ...]) -> bool:
    for index, name in enumerate(directory):
        if index >= len(parts) - 1:
            return parts[-1] is None if parts else False  # a trailing ** spans the rest
        part = parts[index]
        if part is None:
            return True
        if not part.fullmatch(name):
            return False
    return True


def compile_glob(pattern: str) -> Glob:
    """Compile ``pattern`` (leading ``/`` or ``./`` ignored: it is always relative).

    Raises:
        ToolError: the braces expand to too many alternatives.
    """
    cleaned = pattern.lstrip("/")
    while cleaned.startswith("./"):
        cleaned = cleaned[2:]
    alternatives = tuple(_compile_alternative(alt) for alt in _expand_braces(cleaned))
    return Glob(pattern, alternatives)


def _compile_alternative(pattern: str) -> _Alternative:
    components = [c for c in pattern.split("/") if c]
    parts: list[re.Pattern[str] | None] = []
    whole = ""
    for index, component in enumerate(components):
        last = index == len(components) - 1
        if component == "**":
            if parts and parts[-1] is None:
                continue  # a/**/**/b means a/**/b
            parts.append(None)
            whole += ".*" if last else "(?:[^/]*/)*"
        else:
            regex = _translate(component)
            parts.append(re.compile(regex, re.DOTALL))
            whole += regex if last else regex + "/"
    return _Alternative(tuple(parts), re.compile(whole, re.DOTALL))


def _translate(component: str) -> str:
    """One path component's glob as a regex (no ``/`` inside)."""
    out: list[str] = []
    i = 0
    while i < len(component):
        char = component[i]
        i += 1
        if char == "*":
            while i < len(component) and component[i] == "*":
                i += 1
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end, regex = _char_class(component, i)
            out.append(regex)
            i = end
        elif char == "\\" and i < len(component):
            out.append(re.escape(component[i]))
            i += 1
        else:
            out.append(re.escape(char))
    return "".join(out)


def _char_class(component: str, start: int) -> tuple[int, str]:
    """``[...]`` starting after the ``[``: (index after it, regex); unclosed -> a literal ``[``."""
    i = start
    if i < len(component) and component[i] in "!^":
        i += 1
    if i < len(component) and component[i] == "]":
        i += 1
    end = component.find("]", i)
    if end < 0:
        return start, re.escape("[")
    body = component[start:end]
    negate = body[:1] in ("!", "^")
    if negate:
        body = body[1:]
    for special in "\\[]&~|":  # literal inside a class; &&, ~~, || would warn in re
        body = body.replace(special, "\\" + special)
    return end + 1, f"[^/{body}]" if negate else f"[{body}]"


def _expand_braces(pattern: str) -> list[str]:
    """Bash-style brace expansion; a brace without a top-level comma stays literal."""
    results = [pattern]
    expanded: list[str] = []
    changed = True
    while changed:
        changed = False
        expanded = []
        for item in results:
            parts = _first_group(item)
            if parts is None:
                expanded.append(item)
                continue
            changed = True
            prefix, options, suffix = parts
            expanded.extend(prefix + option + suffix for option in options)
            if len(expanded) > _MAX_ALTERNATIVES:
                raise ToolError(
                    f"glob {pattern!r} expands to more than {_MAX_ALTERNATIVES} alternatives: "
                    "use fewer {a,b} groups"
                )
        results = expanded
    return results


def _first_group(pattern: str) -> tuple[str, list[str], str] | None:
    """The first ``{a,b}`` group with a top-level comma: (before, options, after)."""
    start = 0
    while (open_at := pattern.find("{", start)) >= 0:
        depth = 0
        commas: list[int] = []
        for index in range(open_at, len(pattern)):
            char = pattern[index]
            if char == "{":
                depth += 1
            elif char == "}":
                depth -= 1
                if depth == 0:
                    if commas:
                        bounds = [open_at, *commas, index]
                        options = [pattern[a + 1 : b] for a, b in itertools.pairwise(bounds)]
                        return pattern[:open_at], options, pattern[index + 1 :]
                    break
            elif char == "," and depth == 1:
                commas.append(index)
        start = open_at + 1
    return None
