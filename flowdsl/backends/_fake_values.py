"""The one schema-driven fake-value generator: deterministic values that fit a JSON Schema.

Both fakes that answer schema agents without a model use it: the ``simulate`` backend
(dry runs) and :class:`flowdsl.testing.OracleBackend`. Every value is derived from
``sha256(f"{seed_text}|{where}")``, where ``where`` is the value's JSON path (``$.a[0]``),
so the same schema and seed always give the same value.

With ``oracle=True`` the generator is ``fakeValue`` of ``js-oracle/oracle.mjs`` exactly
(flowdsl's traces are compared with real JavaScript's). Without it, two refinements make
more schemas come out valid, which a dry run wants: ``anyOf``/``oneOf``/``allOf`` follow
their first option, strings are padded to ``minLength``, and a schema without ``type``
holding a ``properties`` or ``items`` key is an object or array even when that key is
empty (the oracle, like JavaScript truthiness, needs it non-empty).

Schemas come from scripts, so what a schema asks for is capped rather than allocated
(``minItems: 10**9`` is a :class:`~flowdsl.errors.BackendError`, not a billion items):
see the ``MAX_FAKE_*`` constants. ``minProperties`` is not honoured (only ``properties``
are made), so it allocates nothing.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import Any

from ..errors import BackendError

__all__ = [
    "MAX_FAKE_DEPTH",
    "MAX_FAKE_ITEMS",
    "MAX_FAKE_MAGNITUDE",
    "MAX_FAKE_STRING",
    "MAX_FAKE_TOTAL_CHARS",
    "MAX_FAKE_VALUES",
    "fake_value",
]

MAX_FAKE_ITEMS = 1000
"""Longest array made for one ``minItems``."""
MAX_FAKE_STRING = 100_000
"""Longest string made for one ``minLength``."""
MAX_FAKE_VALUES = 100_000
"""Most values (scalars and containers) in one fake value."""
MAX_FAKE_TOTAL_CHARS = 4_000_000
"""Most string characters in one fake value."""
MAX_FAKE_DEPTH = 64
"""Deepest schema nesting followed (properties, items and combinators each count one)."""
MAX_FAKE_MAGNITUDE = 10**308
"""Largest ``minimum``/``maximum`` (in absolute value) a fake number is drawn between."""


def _refuse(why: str) -> BackendError:
    return BackendError(f"cannot make a fake value for this schema: {why}")


@dataclass
class _Budget:
    """What one :func:`fake_value` call may still make (mutable, private to that call)."""

    values: int = MAX_FAKE_VALUES
    chars: int = MAX_FAKE_TOTAL_CHARS

    def reserve(self, values: int) -> None:
        """Refuse now what would exceed the budget later (before making anything)."""
        if values > self.values:
            raise _refuse(f"it would hold more than {MAX_FAKE_VALUES:,} values")

    def take(self, values: int = 1, chars: int = 0) -> None:
        self.values -= values
        self.chars -= chars
        if self.values < 0:
            raise _refuse(f"it would hold more than {MAX_FAKE_VALUES:,} values")
        if self.chars < 0:
            raise _refuse(f"its strings would hold more than {MAX_FAKE_TOTAL_CHARS:,} characters")


def fake_value(schema: Any, seed_text: str, where: str = "$", *, oracle: bool = False) -> Any:
    """A deterministic value for ``schema`` at the JSON path ``where``.

    Args:
        schema: a JSON Schema (anything else is treated as ``{}``: a string).
        seed_text: what the value is derived from (the fakes pass ``sha256(prompt)``).
        where: the JSON path of this value; it names string values and varies the seed.
        oracle: reproduce js-oracle's ``fakeValue`` exactly (no refinements).

    Raises:
        BackendError: what the schema asks for cannot be made cheaply: ``minItems`` over
            :data:`MAX_FAKE_ITEMS`, ``minLength`` over :data:`MAX_FAKE_STRING`, more than
            :data:`MAX_FAKE_VALUES` values or :data:`MAX_FAKE_TOTAL_CHARS` characters in
            all, nesting deeper than :data:`MAX_FAKE_DEPTH`, or number bounds that are not
            finite, over :data:`MAX_FAKE_MAGNITUDE`, or with ``minimum > maximum``.
    """
    return _fake(schema, seed_text, where, oracle, _Budget(), 0)


def _fake(schema: Any, seed_text: str, where: str, oracle: bool, budget: _Budget,
          depth: int) -> Any:
    if depth > MAX_FAKE_DEPTH:
        raise _refuse(f"it is nested more than {MAX_FAKE_DEPTH} levels deep")
    budget.take()
    schema = schema if isinstance(schema, dict) else {}
    seed = hashlib.sha256(f"{seed_text}|{where}".encode()).hexdigest()
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][int(seed[0:4], 16) % len(schema["enum"])]
    if not oracle:
        for combinator in ("anyOf", "oneOf", "allOf"):
            options = schema.get(combinator)
            if isinstance(options, list) and options:
                return _fake(options[0], seed_text, where, oracle, budget, depth + 1)
    kind = _kind(schema, oracle)
    if kind == "object":
        props = schema.get("properties") or {}
        props = props if isinstance(props, dict) else {}
        return {k: _fake(v, seed_text, f"{where}.{k}", oracle, budget, depth + 1)
                for k, v in props.items()}
    if kind == "array":
        return _array(schema, seed_text, where, oracle, budget, depth)
    if kind in ("integer", "number"):
        lo, hi = _bounds(schema)
        return lo + int(seed[0:8], 16) % (hi - lo + 1)
    if kind == "boolean":
        return int(seed[0:1], 16) % 2 == 0
    if kind == "null":
        return None
    text = _string(schema, seed, where, oracle)
    budget.take(values=0, chars=len(text))
    return text


def _kind(schema: dict[str, Any], oracle: bool) -> Any:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((t for t in kind if t != "null"), "null")
    if kind:
        return kind
    if _has(schema, "properties", oracle):
        return "object"
    return "array" if _has(schema, "items", oracle) else "string"


def _has(schema: dict[str, Any], key: str, oracle: bool) -> bool:
    # the oracle follows JavaScript truthiness: an empty ``properties`` does not count
    return bool(schema.get(key)) if oracle else key in schema


def _bounds(schema: dict[str, Any]) -> tuple[int, int]:
    for key in ("minimum", "maximum"):
        bound: Any = schema.get(key)
        if _is_number(bound) and not abs(bound) <= MAX_FAKE_MAGNITUDE:  # NaN and inf too
            raise _refuse(f"{key} is not a finite number of at most {MAX_FAKE_MAGNITUDE:.0e}")
    lo = math.ceil(schema["minimum"]) if _is_number(schema.get("minimum")) else 0
    hi = math.floor(schema["maximum"]) if _is_number(schema.get("maximum")) else lo + 9
    if hi < lo:
        raise _refuse("no whole number lies between minimum and maximum")
    return lo, hi


def _array(schema: dict[str, Any], seed_text: str, where: str, oracle: bool, budget: _Budget,
           depth: int) -> list[Any]:
    count: float = 2
    if _is_number(schema.get("minItems")):
        count = max(count, schema["minItems"])
    if _is_number(schema.get("maxItems")):
        count = min(count, schema["maxItems"])
    if not count <= MAX_FAKE_ITEMS:  # NaN included
        raise _refuse(f"minItems asks for more than {MAX_FAKE_ITEMS:,} items")
    count = int(count)
    budget.reserve(count)
    items = schema.get("items") or {}
    return [_fake(items, seed_text, f"{where}[{i}]", oracle, budget, depth + 1)
            for i in range(count)]


def _string(schema: dict[str, Any], seed: str, where: str, oracle: bool) -> str:
    parts = [p for p in where.replace("[", ".").split(".") if p]
    text = f"{parts[-1].removesuffix(']')}-{seed[:6]}"
    min_len = schema.get("minLength")
    if not oracle and isinstance(min_len, int) and len(text) < min_len:
        if min_len > MAX_FAKE_STRING:
            raise _refuse(f"minLength asks for more than {MAX_FAKE_STRING:,} characters")
        text = text.ljust(min_len, "x")
    return text


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
