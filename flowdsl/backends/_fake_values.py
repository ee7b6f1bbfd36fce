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
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

__all__ = ["fake_value"]


def fake_value(schema: Any, seed_text: str, where: str = "$", *, oracle: bool = False) -> Any:
    """A deterministic value for ``schema`` at the JSON path ``where``.

    Args:
        schema: a JSON Schema (anything else is treated as ``{}``: a string).
        seed_text: what the value is derived from (the fakes pass ``sha256(prompt)``).
        where: the JSON path of this value; it names string values and varies the seed.
        oracle: reproduce js-oracle's ``fakeValue`` exactly (no refinements).
    """
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
                return fake_value(options[0], seed_text, where)
    kind = _kind(schema, oracle)
    if kind == "object":
        props = schema.get("properties") or {}
        return {k: fake_value(v, seed_text, f"{where}.{k}", oracle=oracle)
                for k, v in props.items()}
    if kind == "array":
        return _array(schema, seed_text, where, oracle)
    if kind in ("integer", "number"):
        lo = math.ceil(schema["minimum"]) if _is_number(schema.get("minimum")) else 0
        hi = math.floor(schema["maximum"]) if _is_number(schema.get("maximum")) else lo + 9
        return lo + int(seed[0:8], 16) % (hi - lo + 1)
    if kind == "boolean":
        return int(seed[0:1], 16) % 2 == 0
    if kind == "null":
        return None
    return _string(schema, seed, where, oracle)


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


def _array(schema: dict[str, Any], seed_text: str, where: str, oracle: bool) -> list[Any]:
    count = 2
    if _is_number(schema.get("minItems")):
        count = max(count, schema["minItems"])
    if _is_number(schema.get("maxItems")):
        count = min(count, schema["maxItems"])
    items = schema.get("items") or {}
    return [fake_value(items, seed_text, f"{where}[{i}]", oracle=oracle)
            for i in range(int(count))]


def _string(schema: dict[str, Any], seed: str, where: str, oracle: bool) -> str:
    parts = [p for p in where.replace("[", ".").split(".") if p]
    text = f"{parts[-1].removesuffix(']')}-{seed[:6]}"
    min_len = schema.get("minLength")
    if not oracle and isinstance(min_len, int) and len(text) < min_len:
        text = text.ljust(min_len, "x")
    return text


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
