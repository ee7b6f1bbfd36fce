"""The one schema-driven fake-value generator: deterministic values that fit a JSON Schema.

Both fakes that answer schema agents without a model use it: the ``simulate`` backend
(dry runs) and :class:`flowdsl.testing.OracleBackend`. Every value is derived from
``sha256(f"{seed_text}|{where}")``, where ``where`` is the value's JSON path (``$.a[0]``),
so the same schema and seed always give the same value.

Two modes, two code paths that share only the caps (:mod:`._fake_limits`):

- ``oracle=True`` is ``fakeValue`` of ``js-oracle/oracle.mjs`` exactly (flowdsl's traces
  are compared with real JavaScript's), and lives in this module. Do not refine it.
- the default is the simulate mode (:mod:`._fake_schema`): values that the runtime's own
  validator accepts for common schemas (``$ref``, ``pattern``, ``format``, combinators,
  ``if``/``then``/``else``, ``uniqueItems``, bounds...), best effort for the rest.

Schemas come from scripts, so what a schema asks for is capped rather than allocated
(``minItems: 10**9`` is a :class:`~flowdsl.errors.BackendError`, not a billion items):
see the ``MAX_FAKE_*`` constants.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

from ._fake_limits import MAX_FAKE_DEPTH as MAX_FAKE_DEPTH
from ._fake_limits import MAX_FAKE_ITEMS as MAX_FAKE_ITEMS
from ._fake_limits import MAX_FAKE_MAGNITUDE as MAX_FAKE_MAGNITUDE
from ._fake_limits import MAX_FAKE_STRING as MAX_FAKE_STRING
from ._fake_limits import MAX_FAKE_TOTAL_CHARS as MAX_FAKE_TOTAL_CHARS
from ._fake_limits import MAX_FAKE_VALUES as MAX_FAKE_VALUES
from ._fake_limits import Budget as _Budget
from ._fake_limits import is_number as _is_number
from ._fake_limits import refuse as _refuse
from ._fake_schema import simulated_value

__all__ = [
    "MAX_FAKE_DEPTH",
    "MAX_FAKE_ITEMS",
    "MAX_FAKE_MAGNITUDE",
    "MAX_FAKE_STRING",
    "MAX_FAKE_TOTAL_CHARS",
    "MAX_FAKE_VALUES",
    "fake_value",
]


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
            finite or over :data:`MAX_FAKE_MAGNITUDE`. The oracle also refuses number
            bounds with no whole number between them; the simulate mode never refuses an
            unsatisfiable schema (it returns its best effort).
    """
    if not oracle:
        return simulated_value(schema, seed_text, where)
    return _fake(schema, seed_text, where, _Budget(), 0)


# -- the oracle: js-oracle's fakeValue, exactly -------------------------------------------
def _fake(schema: Any, seed_text: str, where: str, budget: _Budget, depth: int) -> Any:
    if depth > MAX_FAKE_DEPTH:
        raise _refuse(f"it is nested more than {MAX_FAKE_DEPTH} levels deep")
    budget.take()
    schema = schema if isinstance(schema, dict) else {}
    seed = hashlib.sha256(f"{seed_text}|{where}".encode()).hexdigest()
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][int(seed[0:4], 16) % len(schema["enum"])]
    kind = _kind(schema)
    if kind == "object":
        props = schema.get("properties") or {}
        props = props if isinstance(props, dict) else {}
        return {k: _fake(v, seed_text, f"{where}.{k}", budget, depth + 1)
                for k, v in props.items()}
    if kind == "array":
        return _array(schema, seed_text, where, budget, depth)
    if kind in ("integer", "number"):
        lo, hi = _bounds(schema)
        return lo + int(seed[0:8], 16) % (hi - lo + 1)
    if kind == "boolean":
        return int(seed[0:1], 16) % 2 == 0
    if kind == "null":
        return None
    parts = [p for p in where.replace("[", ".").split(".") if p]
    text = f"{parts[-1].removesuffix(']')}-{seed[:6]}"
    budget.take(values=0, chars=len(text))
    return text


def _kind(schema: dict[str, Any]) -> Any:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((t for t in kind if t != "null"), "null")
    if kind:
        return kind
    # JavaScript truthiness: an empty ``properties`` or ``items`` does not count
    if schema.get("properties"):
        return "object"
    return "array" if schema.get("items") else "string"


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


def _array(schema: dict[str, Any], seed_text: str, where: str, budget: _Budget,
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
    return [_fake(items, seed_text, f"{where}[{i}]", budget, depth + 1) for i in range(count)]
