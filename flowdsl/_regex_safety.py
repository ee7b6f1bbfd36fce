"""Regular expressions that can backtrack catastrophically, recognised by their shape.

Whatever runs a pattern on data it does not control holds the pattern to this rule:
the sandbox (every ``re`` function and ``Pattern`` a script gets, the JavaScript
layer's ``RegExp``) and the agent schemas' ``pattern`` keywords, which jsonschema runs
in the runtime. A pattern that repeats, without bound, something it can match in several
ways (a nested unbounded quantifier, ``(a+)+`` / ``(\\w*\\s?)*``, or an alternation
with an empty or duplicated branch inside one, ``(a|a)*`` / ``(a|aa)*``) — the shapes
behind nearly all catastrophic backtracking — is refused. A heuristic, not a proof: it
misses ``(aa?)*`` and polynomial shapes like ``a*a*a*b``; it refuses a few safe patterns
such as ``(\\w+,)*`` (``(\\w++,)*`` is accepted and means the same).
"""

from __future__ import annotations

import functools
import importlib
from typing import Any

__all__ = ["BACKTRACKING_HINT", "backtracks_catastrophically"]

# The parser behind re.compile (no public API exposes the parsed pattern). Guarded:
# if a future Python moves it, the check is skipped rather than breaking every regex.
try:
    _sre: Any = importlib.import_module("re._parser")
except ImportError:  # pragma: no cover - Python < 3.11 or a moved module
    _sre = None

BACKTRACKING_HINT = (
    "a repeated group whose parts can match the same text in several ways (like "
    "`(a+)+`, `(\\w+\\s?)*` or `(a|aa)*`) can take exponential time: make the inner "
    "quantifier possessive (`a++`) or the group atomic (`(?>...)`), or split the text first"
)


def _ambiguous(parsed: Any, inside_unbounded: bool) -> bool:
    """Whether ``parsed`` repeats, without bound, something matchable in several ways.

    Two shapes (the "star height" heuristic, plus alternations): an unbounded repeat
    nested in another one, and, inside an unbounded repeat, an alternation with an
    empty or a duplicated branch (the parser factors `(a|aa)` into `a(?:|a)`).
    """
    for op, value in parsed:
        name = str(op)
        if name in ("MAX_REPEAT", "MIN_REPEAT"):
            _, high, body = value
            unbounded = high == _sre.MAXREPEAT or high > 1000
            if (inside_unbounded and unbounded) or _ambiguous(body, inside_unbounded or unbounded):
                return True
        elif name == "SUBPATTERN":
            if _ambiguous(value[3], inside_unbounded):
                return True
        elif name == "BRANCH":
            branches = [list(branch) for branch in value[1]]
            if inside_unbounded and _overlapping(branches):
                return True
            if any(_ambiguous(branch, inside_unbounded) for branch in branches):
                return True
        elif name in ("ASSERT", "ASSERT_NOT"):
            if _ambiguous(value[1], inside_unbounded):
                return True
        # ATOMIC_GROUP and POSSESSIVE_REPEAT never backtrack into their body.
    return False


def _overlapping(branches: list[list[Any]]) -> bool:
    if any(not branch for branch in branches):
        return True
    shapes = [repr(branch) for branch in branches]
    return len(set(shapes)) < len(shapes)


@functools.lru_cache(maxsize=512)
def backtracks_catastrophically(pattern: str | bytes, flags: int = 0) -> bool:
    """Whether ``pattern`` has a shape that can take exponential time (see the module)."""
    if _sre is None:  # pragma: no cover
        return False
    return _ambiguous(_sre.parse(pattern, flags), False)
