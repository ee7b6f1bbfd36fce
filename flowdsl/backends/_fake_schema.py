"""The simulate mode of ``fake_value``: deterministic values the runtime's validator accepts.

A dry run should fail only where a real model would, so the value must be valid for the
schemas agents actually use: pydantic's ``$ref``/``$defs``, ``pattern``, ``format``,
``uniqueItems``, ``if``/``then``/``else``, combinators, bounds of every kind.

How: a node's schema is first *flattened* into variants, plain schemas without ``$ref``
or combinators (``allOf`` merged in, one variant per ``anyOf``/``oneOf`` option, per
``if`` branch and per entry of a ``type`` list). A variant is built directly
(:mod:`._fake_scalars` for numbers and strings). Where the node has a keyword the builder
cannot guarantee (``not``, ``oneOf``, ``if``, ``uniqueItems``, ``pattern``...), the value is
checked with the runtime's own validator (:func:`flowdsl._json_schema.schema_validator`,
metered) and rebuilt with another salt, other variants, a bounded number of times; the
first value is kept as the best effort when none passes. Nothing here refuses an
unsatisfiable schema; only the caps of :mod:`._fake_limits` raise.

Recursion through ``$ref`` is bounded: once a reference repeats on the path, objects get
only their ``required`` properties and arrays only ``minItems`` items.

Libraries considered: ``hypothesis-jsonschema`` (its 0.23.1 fails on current hypothesis
with an internal ``AttributeError``, draws need hypothesis's engine, and it is a test
dependency, not a runtime one) and ``jsf`` (draws from the global ``random`` and Faker,
so per-prompt determinism needs global state; its ``if``/``then`` output was invalid).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from .._json_schema import schema_validator
from ._fake_limits import MAX_FAKE_DEPTH, MAX_FAKE_ITEMS, Budget, is_number, refuse
from ._fake_scalars import Draws, fake_number, fake_string
from ._fake_schema_merge import flatten

__all__ = ["simulated_value"]

_ATTEMPTS = 4  # rebuilds of one node per variant
_RETRIES = 300  # rebuilds in one whole value
_UNIQUE_TRIES = 12
_CHECK_STEPS = 50_000
_DEFAULT_ITEMS = 2
# keywords the builder always satisfies by construction: nodes with only these skip the check
_BUILT = frozenset({
    "type", "properties", "required", "items", "minItems", "maxItems", "minimum", "maximum",
    "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength", "format", "title",
    "description", "default", "examples", "$schema", "$id", "$comment", "$defs",
    "definitions", "readOnly", "writeOnly", "deprecated", "additionalProperties", "const",
})
_OBJECT_KEYS = ("properties", "required", "additionalProperties", "patternProperties",
                "minProperties", "maxProperties", "dependentRequired", "propertyNames")
_ARRAY_KEYS = ("items", "prefixItems", "minItems", "maxItems", "uniqueItems", "contains")
_NUMBER_KEYS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")


@dataclass
class _Run:
    """One :func:`simulated_value` call (mutable, private to it)."""

    seed_text: str
    root: Any
    budget: Budget
    validator: Any
    retries: int = _RETRIES


def simulated_value(schema: Any, seed_text: str, where: str = "$") -> Any:
    """A value for ``schema``, valid for it whenever the builder can find one.

    Raises:
        BackendError: only the caps of :mod:`._fake_limits`.
    """
    try:
        validator = schema_validator(schema)
    except Exception:  # not a usable schema: build without checking
        validator = None
    return _make(_Run(seed_text, schema, Budget(), validator), schema, where, 0, (), 0)


def _make(run: _Run, schema: Any, where: str, depth: int, refs: tuple[str, ...],
          salt: int) -> Any:
    if depth > MAX_FAKE_DEPTH:
        raise refuse(f"it is nested more than {MAX_FAKE_DEPTH} levels deep")
    run.budget.take()
    if schema is False:
        return None  # nothing is valid: any value is the best effort
    schema = schema if isinstance(schema, dict) else {}
    variants = flatten(run.root, schema, refs)
    if _minimal(refs):  # recursing: options that follow no further reference first
        variants.sort(key=lambda variant: len(variant[1]))
    if not _needs_check(schema) or run.validator is None:
        return _build(run, variants[0][0], where, depth, variants[0][1], salt)
    first: list[Any] = []
    for attempt in range(_ATTEMPTS):
        for variant, variant_refs in variants:
            values, chars = run.budget.values, run.budget.chars
            value = _build(run, variant, where, depth, variant_refs, salt + attempt)
            if _valid(run, schema, value):
                return value
            first = first or [value]
            if run.retries <= 0:
                return first[0]
            run.retries -= 1
            run.budget.values, run.budget.chars = values, chars
    return first[0]


def _needs_check(schema: dict[str, Any]) -> bool:
    return any(key not in _BUILT for key in schema) or isinstance(schema.get("type"), list)


def _valid(run: _Run, schema: dict[str, Any], value: Any) -> bool:
    # here, not at the top: jsonschema loads with the first schema (run.validator), and a
    # simulated run without schemas never loads it
    from .._json_schema_safety import metered

    try:
        with metered(_CHECK_STEPS):
            return bool(run.validator.evolve(schema=schema).is_valid(value))
    except Exception:
        return False


def _seed(run: _Run, where: str, salt: int) -> str:
    text = f"{run.seed_text}|{where}" + (f"|{salt}" if salt else "")
    return hashlib.sha256(text.encode()).hexdigest()


def _build(run: _Run, schema: dict[str, Any], where: str, depth: int,
           refs: tuple[str, ...], salt: int) -> Any:
    seed = _seed(run, where, salt)
    rng = Draws(seed)
    if "const" in schema:
        return schema["const"]
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        return enum[(int(seed[0:4], 16) + salt) % len(enum)]
    kind = _kind(schema)
    if kind == "object":
        return _object(run, schema, where, depth, refs, salt)
    if kind == "array":
        return _array(run, schema, where, depth, refs, salt)
    if kind in ("integer", "number"):
        return fake_number(schema, kind == "integer", rng, spread=1 + salt)
    if kind == "boolean":
        return int(seed[0:1], 16) % 2 == 0
    if kind == "null":
        return None
    text = fake_string(schema, where, seed, rng)
    run.budget.take(values=0, chars=len(text))
    return text


def _kind(schema: dict[str, Any]) -> Any:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((t for t in kind if t != "null"), "null")
    if isinstance(kind, str):
        return kind
    for found, keys in (("object", _OBJECT_KEYS), ("array", _ARRAY_KEYS),
                        ("number", _NUMBER_KEYS)):
        if any(key in schema for key in keys):
            return found
    return "string"


def _minimal(refs: tuple[str, ...]) -> bool:
    """A reference repeats on the path: make only what the schema requires."""
    return len(refs) != len(set(refs))


# -- objects ------------------------------------------------------------------------------
def _object(run: _Run, schema: dict[str, Any], where: str, depth: int,
            refs: tuple[str, ...], salt: int) -> dict[str, Any]:
    props = schema.get("properties")
    props = props if isinstance(props, dict) else {}
    required = [k for k in schema.get("required") or [] if isinstance(k, str)]
    keys = list(dict.fromkeys(required if _minimal(refs) else [*props, *required]))
    _add_dependents(schema, keys)
    _add_to_minimum(run, schema, keys, props, where, salt)
    high: Any = schema.get("maxProperties")
    if is_number(high):
        optional = [k for k in keys if k not in required]
        while len(keys) > max(high, len(required)) and optional:
            keys.remove(optional.pop())
    return {k: _make(run, _property(schema, k), f"{where}.{k}", depth + 1, refs, salt)
            for k in keys}


def _add_dependents(schema: dict[str, Any], keys: list[str]) -> None:
    dependents = schema.get("dependentRequired")
    if not isinstance(dependents, dict):
        return
    for key in keys:  # grows while it runs: dependents of dependents are added too
        for name in dependents.get(key) or []:
            if isinstance(name, str) and name not in keys:
                keys.append(name)


def _add_to_minimum(run: _Run, schema: dict[str, Any], keys: list[str],
                    props: dict[str, Any], where: str, salt: int) -> None:
    low: Any = schema.get("minProperties")
    if not is_number(low) or len(keys) >= low:
        return
    if not low <= MAX_FAKE_ITEMS:
        raise refuse(f"minProperties asks for more than {MAX_FAKE_ITEMS:,} properties")
    keys.extend([k for k in props if k not in keys][:int(low) - len(keys)])
    closed = schema.get("additionalProperties") is False
    for n in range(int(low) * 2):
        if len(keys) >= low or (closed and not schema.get("patternProperties")):
            return
        name = _extra_name(run, schema, f"{where}.extra{n}", salt)
        name = name if name not in keys else f"{name}{n}"  # a pattern with one match
        if name not in keys:
            keys.append(name)


def _extra_name(run: _Run, schema: dict[str, Any], where: str, salt: int) -> str:
    names = schema.get("propertyNames")
    patterns = schema.get("patternProperties")
    if schema.get("additionalProperties") is False and isinstance(patterns, dict) and patterns:
        names = {"pattern": next(iter(patterns))}
    seed = _seed(run, where, salt)
    name_schema = names if isinstance(names, dict) else {}
    return fake_string(name_schema, where, seed, Draws(seed))


def _property(schema: dict[str, Any], key: str) -> Any:
    """What applies to ``key``: its property and the patterns it matches, else the rest."""
    props = schema.get("properties")
    found: list[Any] = [props[key]] if isinstance(props, dict) and key in props else []
    patterns = schema.get("patternProperties")
    for pattern, sub in (patterns.items() if isinstance(patterns, dict) else ()):
        try:
            if re.search(pattern, key):
                found.append(sub)
        except (re.error, RecursionError):
            continue
    extra = schema.get("additionalProperties")
    if not found and isinstance(extra, dict):
        found = [extra]
    return {"allOf": found} if len(found) > 1 else found[0] if found else {}


# -- arrays -------------------------------------------------------------------------------
def _array(run: _Run, schema: dict[str, Any], where: str, depth: int,
           refs: tuple[str, ...], salt: int) -> list[Any]:
    prefix = schema.get("prefixItems")
    prefix = prefix if isinstance(prefix, list) else []
    items = schema.get("items")
    low: Any = schema.get("minItems") if is_number(schema.get("minItems")) else 0
    count: Any = low if _minimal(refs) else max(low, _DEFAULT_ITEMS)
    if is_number(schema.get("maxItems")):
        count = min(count, schema["maxItems"])
    if items is False:
        count = min(count, max(len(prefix), low))
    if not count <= MAX_FAKE_ITEMS:  # NaN included
        raise refuse(f"minItems asks for more than {MAX_FAKE_ITEMS:,} items")
    count = int(count)
    run.budget.reserve(count)
    contains = schema.get("contains")
    wanted: Any = schema.get("minContains", 1) if isinstance(contains, dict) else 0
    out: list[Any] = []
    seen: set[str] = set()
    for i in range(count):
        sub = prefix[i] if i < len(prefix) else items if isinstance(items, dict) else {}
        if i < wanted:
            sub = {"allOf": [sub, contains]}
        value = _unique_item(run, schema, sub, f"{where}[{i}]", depth, refs, salt, seen)
        if value is _DUPLICATE:
            if len(out) >= low:
                break
            value = _make(run, sub, f"{where}[{i}]", depth + 1, refs, salt)
        out.append(value)
    return out


_DUPLICATE = object()


def _unique_item(run: _Run, schema: dict[str, Any], sub: Any, where: str, depth: int,
                 refs: tuple[str, ...], salt: int, seen: set[str]) -> Any:
    if schema.get("uniqueItems") is not True:
        return _make(run, sub, where, depth + 1, refs, salt)
    for extra in range(_UNIQUE_TRIES):
        value = _make(run, sub, where, depth + 1, refs, salt + extra * 1009)
        key = json.dumps(value, sort_keys=True, default=str)
        if key not in seen:
            seen.add(key)
            return value
    return _DUPLICATE
