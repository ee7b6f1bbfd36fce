"""Strings that match a ``pattern``: a small, bounded generator over Python's regex parser.

JSON Schema's ``pattern`` is checked by the runtime with Python's ``re.search``, so the
generator walks what ``re`` itself parsed (``re._parser``, formerly ``sre_parse``): a
literal is itself, a class gives one of its characters, a repeat gives its minimum plus
a few seeded extras (``grow`` raises the extras when a longer string is needed), a
branch one seeded option, a back-reference the text its group made. Anchors and
look-arounds give nothing: the caller checks the result with ``re.search`` and retries
with another seed, so a look-around only costs attempts.

Libraries considered: ``rstr``'s ``xeger`` walks the same parse tree but draws repeats of
up to 100 characters with no way to aim at ``minLength``/``maxLength``; ``exrex`` draws
from the module-global ``random``. Neither is worth a runtime dependency for this.
"""

from __future__ import annotations

import re
import re._parser as sre  # type: ignore[import-not-found]  # ``sre_parse`` is deprecated
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._fake_scalars import Draws

__all__ = ["pattern_string"]

_MAX_OUTPUT = 10_000  # one match is cut here (a pattern alone never needs more in a fake)
_WORD = "abcdefghijklmnopqrstuvwxyz"
_CATEGORIES = {
    sre.CATEGORY_DIGIT: "0123456789",
    sre.CATEGORY_NOT_DIGIT: _WORD,
    sre.CATEGORY_SPACE: " ",
    sre.CATEGORY_NOT_SPACE: _WORD + "0123456789",
    sre.CATEGORY_WORD: _WORD + "0123456789",
    sre.CATEGORY_NOT_WORD: "-. ",
}
_ALPHABET = _WORD + _WORD.upper() + "0123456789-_. @:/"  # tried for negated classes


@lru_cache(maxsize=256)
def _parse(pattern: str) -> Any:
    try:
        return sre.parse(pattern)
    except (re.error, RecursionError, OverflowError):
        return None


def pattern_string(pattern: str, rng: Draws, grow: int = 2) -> str | None:
    """One string the regex ``pattern`` may match (None: ``re`` cannot parse it).

    Args:
        pattern: a Python regular expression (as JSON Schema's ``pattern`` is run).
        rng: the seeded source of every choice.
        grow: how many repetitions beyond a repeat's minimum may be drawn.
    """
    parsed = _parse(pattern)
    if parsed is None:
        return None
    out: list[str] = []
    _emit(parsed, rng, grow, {}, out)
    return "".join(out)[:_MAX_OUTPUT]


def _emit(items: Any, rng: Draws, grow: int, groups: dict[int, str],
          out: list[str]) -> None:
    for op, av in items:
        if len(out) > _MAX_OUTPUT:  # pieces, about characters
            return
        _OPS.get(op, _nothing)(av, rng, grow, groups, out)


def _nothing(av: Any, rng: Draws, grow: int, groups: dict[int, str],
             out: list[str]) -> None:
    """Anchors (``^``, ``$``, ``\\b``) and look-arounds: checked afterwards, not made."""


def _literal(av: Any, rng: Draws, grow: int, groups: dict[int, str],
             out: list[str]) -> None:
    out.append(chr(av))


def _not_literal(av: Any, rng: Draws, grow: int, groups: dict[int, str],
                 out: list[str]) -> None:
    out.append("a" if av != ord("a") else "b")


def _any(av: Any, rng: Draws, grow: int, groups: dict[int, str],
         out: list[str]) -> None:
    out.append(rng.choice(_WORD))


def _category(av: Any, rng: Draws, grow: int, groups: dict[int, str],
              out: list[str]) -> None:
    out.append(rng.choice(_CATEGORIES.get(av, _WORD)))


def _in(av: Any, rng: Draws, grow: int, groups: dict[int, str],
        out: list[str]) -> None:
    if av and av[0][0] is sre.NEGATE:
        allowed = re.compile("[" + "".join(_class_text(av[1:])) + "]")
        out.append(next((c for c in _ALPHABET if not allowed.match(c)), "~"))
        return
    options = [item for item in av if item[0] is not sre.NEGATE] or [(sre.LITERAL, ord("a"))]
    kind, value = rng.choice(options)
    if kind is sre.RANGE:
        out.append(chr(rng.randint(value[0], value[1])))
    elif kind is sre.CATEGORY:
        out.append(rng.choice(_CATEGORIES.get(value, _WORD)))
    else:
        out.append(chr(value))


def _class_text(items: Any) -> list[str]:
    codes = {sre.CATEGORY_DIGIT: r"\d", sre.CATEGORY_NOT_DIGIT: r"\D",
             sre.CATEGORY_SPACE: r"\s", sre.CATEGORY_NOT_SPACE: r"\S",
             sre.CATEGORY_WORD: r"\w", sre.CATEGORY_NOT_WORD: r"\W"}
    text = []
    for kind, value in items:
        if kind is sre.RANGE:
            text.append(f"{re.escape(chr(value[0]))}-{re.escape(chr(value[1]))}")
        elif kind is sre.CATEGORY:
            text.append(codes.get(value, ""))
        elif kind is sre.LITERAL:
            text.append(re.escape(chr(value)))
    return text or ["^\\s\\S"]


def _branch(av: Any, rng: Draws, grow: int, groups: dict[int, str],
            out: list[str]) -> None:
    _emit(rng.choice(av[1]), rng, grow, groups, out)


def _group(av: Any, rng: Draws, grow: int, groups: dict[int, str],
           out: list[str]) -> None:
    group, body = av[0], av[-1]
    mine: list[str] = []
    _emit(body, rng, grow, groups, mine)
    if group is not None:
        groups[group] = "".join(mine)
    out.extend(mine)


def _atomic(av: Any, rng: Draws, grow: int, groups: dict[int, str],
            out: list[str]) -> None:
    _emit(av, rng, grow, groups, out)


def _group_ref(av: Any, rng: Draws, grow: int, groups: dict[int, str],
               out: list[str]) -> None:
    out.append(groups.get(av, ""))


def _group_ref_exists(av: Any, rng: Draws, grow: int, groups: dict[int, str],
                      out: list[str]) -> None:
    group, yes, no = av
    branch = yes if group in groups else no
    if branch is not None:
        _emit(branch, rng, grow, groups, out)


def _repeat(av: Any, rng: Draws, grow: int, groups: dict[int, str],
            out: list[str]) -> None:
    low, high, body = av
    extra = min(high - low, grow) if high is not sre.MAXREPEAT else grow
    for _ in range(min(low + rng.randint(0, max(0, extra)), _MAX_OUTPUT)):
        _emit(body, rng, grow, groups, out)


_OPS: dict[Any, Any] = {
    sre.LITERAL: _literal,
    sre.NOT_LITERAL: _not_literal,
    sre.ANY: _any,
    sre.CATEGORY: _category,
    sre.IN: _in,
    sre.BRANCH: _branch,
    sre.SUBPATTERN: _group,
    sre.GROUPREF: _group_ref,
    sre.GROUPREF_EXISTS: _group_ref_exists,
    sre.MAX_REPEAT: _repeat,
    sre.MIN_REPEAT: _repeat,
    sre.POSSESSIVE_REPEAT: _repeat,
    sre.ATOMIC_GROUP: _atomic,
}
