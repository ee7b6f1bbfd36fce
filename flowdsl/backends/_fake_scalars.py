"""Simulate-mode scalars: numbers inside their bounds, strings that fit length, format, pattern.

Every choice comes from the caller's seeded :class:`Draws`; none refuses an
unsatisfiable schema (``minimum > maximum`` gives the minimum), only bounds that are not
finite or over :data:`MAX_FAKE_MAGNITUDE` and a ``minLength`` over :data:`MAX_FAKE_STRING`.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from ._fake_limits import MAX_FAKE_MAGNITUDE, MAX_FAKE_STRING, is_number, refuse
from ._fake_regex import pattern_string

__all__ = ["Draws", "fake_number", "fake_string", "path_name"]

T = TypeVar("T")
_SPAN = 9  # an open-ended range is drawn from ten whole numbers
_PATTERN_TRIES = 24
_NUMBER_KEYS = frozenset({"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
                          "multipleOf"})


class Draws:
    """Seeded choices drawn from a sha256 chain of a seed (same seed, same draws anywhere).

    Not ``random.Random``: creating one costs microseconds, and a fake value may hold
    100,000 numbers.
    """

    __slots__ = ("_bits", "_pool", "_state")

    def __init__(self, seed: str) -> None:
        self._state = seed.encode()
        self._pool = 0
        self._bits = 0

    def _take(self, bits: int) -> int:
        while self._bits < bits:
            self._state = hashlib.sha256(self._state).digest()
            self._pool = (self._pool << 256) | int.from_bytes(self._state, "big")
            self._bits += 256
        self._bits -= bits
        out = self._pool >> self._bits
        self._pool &= (1 << self._bits) - 1
        return out

    def randint(self, low: int, high: int) -> int:
        """A whole number in ``[low, high]`` (``low`` when the range is empty)."""
        if high <= low:
            return low
        span = high - low + 1
        return low + self._take(span.bit_length() + 32) % span  # bias under 2**-32

    def choice(self, options: Sequence[T]) -> T:
        """One of ``options`` (not empty)."""
        return options[self.randint(0, len(options) - 1)]


# -- numbers ------------------------------------------------------------------------------
def fake_number(schema: dict[str, Any], integer: bool, rng: Draws,
                spread: int = 1) -> int | float:
    """A number (an ``int`` when ``integer``) within the bounds and ``multipleOf``.

    ``spread`` widens a range open on either side (retries look further for a number
    that ``not`` or ``uniqueItems`` accepts).
    """
    if _NUMBER_KEYS.isdisjoint(schema):  # the common case, made often: keep it cheap
        return rng.randint(0, _SPAN * spread)
    for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        bound: Any = schema.get(key)
        if is_number(bound) and not abs(bound) <= MAX_FAKE_MAGNITUDE:  # NaN and inf too
            raise refuse(f"{key} is not a finite number of at most {MAX_FAKE_MAGNITUDE:.0e}")
    step: Any = schema.get("multipleOf")
    if is_number(step) and 0 < step <= MAX_FAKE_MAGNITUDE:
        return _multiple(schema, step, integer, rng, spread)
    lo, hi = _whole_range(schema, 1, spread)
    if lo <= hi or integer:
        return lo + rng.randint(0, max(0, hi - lo))
    return _between(schema)


def _bound(schema: dict[str, Any], inclusive: str, exclusive: str) -> tuple[float | None, bool]:
    """The tighter of a side's two bounds: (value, strict), or (None, False) when open."""
    found = [(schema[k], k == exclusive) for k in (inclusive, exclusive)
             if is_number(schema.get(k))]
    if not found:
        return None, False
    if inclusive == "minimum":
        return max(found)  # at equal values the strict bound is the tighter one
    return min(found, key=lambda bound: (bound[0], not bound[1]))


def _whole_range(schema: dict[str, Any], step: float, spread: int) -> tuple[int, int]:
    """The multiples ``k`` of ``step`` (as ``k``) allowed by the bounds, ten when open."""
    low, low_strict = _bound(schema, "minimum", "exclusiveMinimum")
    high, high_strict = _bound(schema, "maximum", "exclusiveMaximum")
    lo = hi = None
    if low is not None:
        lo = math.ceil(low / step)
        lo += 1 if low_strict and lo * step <= low else 0
    if high is not None:
        hi = math.floor(high / step)
        hi -= 1 if high_strict and hi * step >= high else 0
    span = _SPAN * spread
    if lo is None:
        lo = 0 if hi is None or hi >= span else hi - span
    return lo, lo + span if hi is None else hi


def _between(schema: dict[str, Any]) -> float:
    """No whole number fits: the middle of the range (or the bound itself, best effort)."""
    low, _ = _bound(schema, "minimum", "exclusiveMinimum")
    high, _ = _bound(schema, "maximum", "exclusiveMaximum")
    if low is not None and high is not None:
        return low + (high - low) / 2
    return float(low if low is not None else high if high is not None else 0)


def _multiple(schema: dict[str, Any], step: Any, integer: bool, rng: Draws,
              spread: int) -> int | float:
    try:
        lo, hi = _whole_range(schema, step, spread)
    except OverflowError:
        lo, hi = 0, _SPAN
    first = lo + rng.randint(0, max(0, min(hi - lo, _SPAN * spread)))
    best: int | float = first * step
    for k in (first, *range(lo, lo + _SPAN + 1)):
        value = k * step
        # jsonschema's own test for float steps: the quotient must be whole
        if isinstance(value, float) and (not math.isfinite(value) or value / step != int(k)):
            continue
        if integer and value != int(value):
            continue
        return int(value) if integer or (value == int(value) and isinstance(step, int)) else value
    return int(best) if integer and math.isfinite(best) else best


# -- strings ------------------------------------------------------------------------------
def path_name(where: str) -> str:
    """The last step of a JSON path: ``$.a.tags[1]`` names ``1``."""
    parts = [p for p in where.replace("[", ".").split(".") if p]
    return parts[-1].removesuffix("]")


def fake_string(schema: dict[str, Any], where: str, seed: str, rng: Draws) -> str:
    """A string of the allowed length that matches ``pattern``, shaped like its ``format``."""
    low: Any = schema.get("minLength")
    low = low if isinstance(low, int) and not isinstance(low, bool) and low > 0 else 0
    if low > MAX_FAKE_STRING:
        raise refuse(f"minLength asks for more than {MAX_FAKE_STRING:,} characters")
    high: Any = schema.get("maxLength")
    high = high if isinstance(high, int) and not isinstance(high, bool) and high >= 0 else None
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        return _matching(pattern, low, high, rng, f"{path_name(where)}-{seed[:6]}")
    make = _FORMATS.get(str(schema.get("format")))
    text = make(_slug(path_name(where)), seed) if make else f"{path_name(where)}-{seed[:6]}"
    return _fit(text, low, high)


def _fit(text: str, low: int, high: int | None) -> str:
    text = text.ljust(low, "x")
    return text if high is None else text[:max(high, 0)]


def _matching(pattern: str, low: int, high: int | None, rng: Draws,
              plain: str) -> str:
    try:
        compiled = re.compile(pattern)
    except (re.error, RecursionError, OverflowError):
        return _fit(plain, low, high)
    best = None
    for attempt in range(_PATTERN_TRIES):
        made = pattern_string(pattern, rng, grow=2 + attempt + (low * attempt) // 4)
        if made is None:
            break
        for text in (made, made + "x" * (low - len(made)), "x" * (low - len(made)) + made):
            if low <= len(text) <= (high if high is not None else len(text)) and \
                    compiled.search(text):
                return text
        best = best if best is not None else made
    return _fit(best if best is not None else plain, low, high)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower()) or "item"


def _date(seed: str) -> str:
    n = int(seed[:8], 16)
    return f"2024-{n % 12 + 1:02d}-{n // 12 % 28 + 1:02d}"


def _time(seed: str) -> str:
    n = int(seed[8:16], 16)
    return f"{n % 24:02d}:{n // 24 % 60:02d}:{n // 1440 % 60:02d}Z"


def _uuid(seed: str) -> str:
    return f"{seed[0:8]}-{seed[8:12]}-4{seed[13:16]}-a{seed[17:20]}-{seed[20:32]}"


_FORMATS: dict[str, Callable[[str, str], str]] = {
    "date-time": lambda name, seed: f"{_date(seed)}T{_time(seed)}",
    "date": lambda name, seed: _date(seed),
    "time": lambda name, seed: _time(seed),
    "duration": lambda name, seed: f"P{int(seed[:2], 16) % 30 + 1}D",
    "email": lambda name, seed: f"{name}-{seed[:6]}@example.com",
    "idn-email": lambda name, seed: f"{name}-{seed[:6]}@example.com",
    "hostname": lambda name, seed: f"{name}-{seed[:6]}.example.com",
    "idn-hostname": lambda name, seed: f"{name}-{seed[:6]}.example.com",
    "ipv4": lambda name, seed: f"192.0.2.{int(seed[:2], 16) % 254 + 1}",
    "ipv6": lambda name, seed: f"2001:db8::{seed[:4]}",
    "uri": lambda name, seed: f"https://example.com/{name}/{seed[:6]}",
    "iri": lambda name, seed: f"https://example.com/{name}/{seed[:6]}",
    "uri-reference": lambda name, seed: f"/{name}/{seed[:6]}",
    "iri-reference": lambda name, seed: f"/{name}/{seed[:6]}",
    "uri-template": lambda name, seed: f"https://example.com/{name}/{{id}}",
    "uuid": lambda name, seed: _uuid(seed),
    "json-pointer": lambda name, seed: f"/{name}",
    "relative-json-pointer": lambda name, seed: "0",
    "regex": lambda name, seed: f"^{name}$",
}
