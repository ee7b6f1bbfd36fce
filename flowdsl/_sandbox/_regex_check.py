"""The sandbox's ``re``: every function compiles its pattern through :func:`check_regex`,
which refuses shapes that can backtrack catastrophically (the rule is
:mod:`flowdsl._regex_safety`, shared with the agent schemas' ``pattern`` checks); so do
the ``Pattern`` objects a script holds and the JavaScript layer's ``RegExp``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .._regex_safety import BACKTRACKING_HINT, backtracks_catastrophically
from ._guards import violation
from ._size_caps import substitute

__all__ = ["check_regex", "re_members"]


def check_regex(compiled: re.Pattern[Any]) -> re.Pattern[Any]:
    """Refuse a compiled pattern whose shape can backtrack catastrophically."""
    if backtracks_catastrophically(compiled.pattern, compiled.flags):
        raise violation(f"regular expression {compiled.pattern!r:.80} is refused: "
                        f"{BACKTRACKING_HINT}")
    return compiled


def _compile(pattern: Any, flags: int = 0) -> re.Pattern[Any]:
    return check_regex(re.compile(pattern, flags))


def _match(pattern: Any, string: Any, flags: int = 0) -> Any:
    return _compile(pattern, flags).match(string)


def _search(pattern: Any, string: Any, flags: int = 0) -> Any:
    return _compile(pattern, flags).search(string)


def _fullmatch(pattern: Any, string: Any, flags: int = 0) -> Any:
    return _compile(pattern, flags).fullmatch(string)


def _findall(pattern: Any, string: Any, flags: int = 0) -> Any:
    return _compile(pattern, flags).findall(string)


def _finditer(pattern: Any, string: Any, flags: int = 0) -> Any:
    return _compile(pattern, flags).finditer(string)


def _sub(pattern: Any, repl: Any, string: Any, count: int = 0, flags: int = 0) -> Any:
    return _compile(pattern, flags).sub(repl, string, count)


def _subn(pattern: Any, repl: Any, string: Any, count: int = 0, flags: int = 0) -> Any:
    return _compile(pattern, flags).subn(repl, string, count)


def _split(pattern: Any, string: Any, maxsplit: int = 0, flags: int = 0) -> Any:
    return _compile(pattern, flags).split(string, maxsplit)


def re_members(members: Mapping[str, object]) -> dict[str, object]:
    """``re``'s members with every pattern checked by :func:`check_regex`."""
    checked: dict[str, object] = {
        "compile": _compile,
        "match": _match,
        "search": _search,
        "fullmatch": _fullmatch,
        "findall": _findall,
        "finditer": _finditer,
        "sub": _sub,
        "subn": _subn,
        "split": _split,
    }
    return substitute(members, checked)
