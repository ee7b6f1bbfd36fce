"""Agent schemas: one cached validator per JSON Schema, shared by the runtime and backends.

``jsonschema`` is the only judge of structured output (Draft 2020-12 unless the schema's
``$schema`` names another known dialect; an unknown one falls back to 2020-12). Schemas
come from scripts, and both checking them and validating outputs against them run in the
runtime, outside any script tick, so a schema gets no hidden powers:

- size and shape: at most :data:`MAX_SCHEMA_BYTES` of canonical JSON, nested at most
  :data:`MAX_SCHEMA_DEPTH` levels (measured without recursion, before ``json.dumps``);
- references: ``$ref``/``$dynamicRef``/``$recursiveRef`` may only point inside the schema
  (a ``#...`` fragment, or an ``$id`` the schema defines), and every validator resolves
  through a registry whose retrieve function always refuses, so no file or URL is read;
- patterns: every ``pattern`` string and ``patternProperties`` key anywhere in the schema
  (``propertyNames``, ``$defs``, ... included) is at most :data:`MAX_PATTERN_LENGTH`
  characters and passes the sandbox's catastrophic-backtracking rule. ``format`` is not
  asserted (no format checker), so ``format: "regex"`` never compiles output strings;
- cost: ``uniqueItems`` runs in linear time, and :func:`check_output` refuses outputs over
  :data:`MAX_OUTPUT_BYTES` or :data:`MAX_OUTPUT_DEPTH` and stops after
  :data:`MAX_VALIDATION_STEPS` keyword evaluations (``anyOf`` over ``$ref`` chains can
  otherwise take exponential time).

Every message is fixed text: it may name a keyword or a JSON path, never a value of the
schema or the output (a library's error text could quote either).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from typing import Any
from urllib.parse import urldefrag, urljoin

import attrs
import jsonschema
import referencing
import referencing.exceptions
import referencing.jsonschema

from ._regex_safety import BACKTRACKING_HINT, backtracks_catastrophically
from .errors import SchemaError

__all__ = [
    "MAX_OUTPUT_BYTES",
    "MAX_OUTPUT_DEPTH",
    "MAX_PATTERN_LENGTH",
    "MAX_SCHEMA_BYTES",
    "MAX_SCHEMA_DEPTH",
    "MAX_VALIDATION_STEPS",
    "check_output",
    "output_errors",
    "schema_key",
    "schema_validator",
]

MAX_SCHEMA_BYTES = 64 * 1024
"""Largest agent schema, in bytes of canonical JSON."""
MAX_SCHEMA_DEPTH = 32
"""Deepest nesting of objects and arrays in an agent schema (the root object is level 1)."""
MAX_PATTERN_LENGTH = 1000
"""Longest ``pattern`` / ``patternProperties`` key, in characters."""
MAX_OUTPUT_BYTES = 8 * 1024 * 1024
"""Largest output :func:`check_output` validates, in (about) bytes of JSON."""
MAX_OUTPUT_DEPTH = 100
"""Deepest nesting of objects and arrays in an output :func:`check_output` validates."""
MAX_VALIDATION_STEPS = 100_000
"""Most validation steps one :func:`check_output` call may spend: one per keyword evaluated,
:data:`_REF_STEPS` per reference followed (about a second of jsonschema at worst)."""

_REF_KEYWORDS = ("$ref", "$dynamicRef", "$recursiveRef")
_REF_STEPS = 4  # following a reference costs about four plain keywords
_NODES_PER_STEP = 4  # walking an output's values before validating it
_META_STEPS = 300_000  # checking a schema against its meta-schema (a 60 KiB one: ~100,000)
_LEGACY_ID_DIALECTS = (jsonschema.Draft3Validator, jsonschema.Draft4Validator)
_NOT_JSON = "(only objects with string keys, arrays, strings, numbers, booleans and null)"
_MISMATCH = "output does not match the schema"
_UNCHECKED = "output could not be checked against the schema"
_UNUSABLE = "agent schema could not be checked: it is not a usable JSON Schema"
_SAFE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_MESSAGE_CHARS = 300


# -- schemas ------------------------------------------------------------------------------
def schema_key(schema: dict[str, Any]) -> str:
    """Canonical text of a schema (the cache key).

    Raises:
        SchemaError: deeper than :data:`MAX_SCHEMA_DEPTH`, larger than
            :data:`MAX_SCHEMA_BYTES`, or not JSON.
    """
    _check_schema_shape(schema)
    try:
        key = json.dumps(schema, sort_keys=True, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError, RecursionError):
        raise SchemaError(f"agent schema is not JSON {_NOT_JSON}") from None
    if len(key) > MAX_SCHEMA_BYTES:  # ensure_ascii: characters are bytes
        raise SchemaError(_too_large())
    return key


def schema_validator(schema: Any) -> jsonschema.protocols.Validator:
    """A cached validator for ``schema``; use :func:`check_output` to run it.

    Raises:
        SchemaError (fixed text, the only exception): not a JSON object, too large or too
            deep, not a valid JSON Schema, a reference outside the schema, or an unsafe
            pattern.
    """
    if not isinstance(schema, dict):
        raise SchemaError(f"agent schema must be a JSON Schema object, not {type(schema).__name__}")
    try:
        return _validator(schema_key(schema))
    except SchemaError:
        raise
    except Exception:
        raise SchemaError(_UNUSABLE) from None


@lru_cache(maxsize=512)
def _validator(key: str) -> jsonschema.protocols.Validator:
    schema = json.loads(key)
    cls = _safe_class(jsonschema.validators.validator_for(
        schema, default=jsonschema.Draft202012Validator))
    _check_keywords(schema, legacy_id=issubclass(cls, _LEGACY_ID_DIALECTS))
    _check_against_meta_schema(cls, schema)
    validator: jsonschema.protocols.Validator = cls(schema, registry=_REGISTRY)
    return validator


def _too_large() -> str:
    return f"agent schema is larger than {MAX_SCHEMA_BYTES:,} bytes of JSON"


def _check_schema_shape(schema: Any) -> None:
    """Depth and a lower bound of the JSON size, without recursion (cycles end as too deep)."""
    size = 0
    stack: list[tuple[Any, int]] = [(schema, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list | tuple):
            if depth > MAX_SCHEMA_DEPTH:
                raise SchemaError(f"agent schema is nested deeper than {MAX_SCHEMA_DEPTH} levels")
            size += 1 + len(node)  # brackets and commas
            if size <= MAX_SCHEMA_BYTES and isinstance(node, dict):
                size += sum(len(k) + 3 if isinstance(k, str) else 1 for k in node)
        else:
            size += len(node) + 2 if isinstance(node, str) else 1
        if size > MAX_SCHEMA_BYTES:
            raise SchemaError(_too_large())
        if isinstance(node, dict | list | tuple):
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, depth + 1) for child in children)


def _check_keywords(schema: Any, *, legacy_id: bool) -> None:
    """References stay inside the schema; patterns are short and cannot backtrack badly.

    Walks every object of the schema, values of ``const``/``enum``/``default`` included
    (refusing a look-alike there is the safe mistake).
    """
    id_key = "id" if legacy_id else "$id"
    root_base = _base(schema, "", id_key)
    known = {root_base}
    refs: list[tuple[str, str]] = []
    stack: list[tuple[Any, str]] = [(schema, root_base)]
    while stack:
        node, base = stack.pop()
        if isinstance(node, list):
            stack.extend((item, base) for item in node)
            continue
        if not isinstance(node, dict):
            continue
        base = _base(node, base, id_key)
        known.add(base)
        for keyword in _REF_KEYWORDS:
            ref = node.get(keyword)
            if isinstance(ref, str) and not ref.startswith("#"):
                refs.append((keyword, _target(ref, base, keyword)))
        if isinstance(node.get("pattern"), str):
            _check_pattern(node["pattern"], "pattern")
        if isinstance(node.get("patternProperties"), dict):
            for pattern in node["patternProperties"]:
                _check_pattern(pattern, "patternProperties")
        stack.extend((value, base) for value in node.values() if isinstance(value, dict | list))
    for keyword, target in refs:
        if target not in known:
            raise SchemaError(f"agent schema {keyword} must point inside the schema "
                              "(a '#...' reference, or an $id the schema defines)")


def _base(node: dict[str, Any], base: str, id_key: str) -> str:
    value = node.get(id_key)
    if not isinstance(value, str) or value.startswith("#"):
        return base  # a legacy "#name" id is an anchor, not a new base
    return _target(value, base, id_key)


def _target(uri: str, base: str, keyword: str) -> str:
    try:
        return urldefrag(urljoin(base, uri)).url
    except ValueError:
        raise SchemaError(f"agent schema {keyword} is not a valid URI reference") from None


def _check_pattern(pattern: str, keyword: str) -> None:
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise SchemaError(f"agent schema {keyword} is longer than "
                          f"{MAX_PATTERN_LENGTH:,} characters")
    try:
        compiled = re.compile(pattern)
    except Exception:
        raise SchemaError(f"agent schema {keyword} is not a valid regular expression") from None
    try:
        unsafe = backtracks_catastrophically(compiled.pattern, compiled.flags)
    except Exception:
        unsafe = True
    if unsafe:
        raise SchemaError(f"agent schema {keyword} is refused: {BACKTRACKING_HINT}")


def _check_against_meta_schema(cls: Any, schema: dict[str, Any]) -> None:
    try:
        with _metered(_META_STEPS):
            error = next(iter(_meta_validator(cls).iter_errors(schema)), None)
    except _TooCostly:
        raise SchemaError(f"agent schema is too complex to check (over {_META_STEPS:,} "
                          "validation steps against its meta-schema)") from None
    if error is None:
        return
    keywords = [p for p in error.absolute_path if isinstance(p, str) and _is_keyword(cls, p)]
    where = f" (see its {keywords[-1]!r} keyword)" if keywords else ""
    raise SchemaError(f"agent schema is not a valid JSON Schema{where}")


@lru_cache(maxsize=16)
def _meta_validator(cls: Any) -> Any:
    return cls(cls.META_SCHEMA, format_checker=cls.FORMAT_CHECKER, registry=_REGISTRY)


def _is_keyword(cls: Any, name: str) -> bool:
    return name in cls.VALIDATORS or name in ("$id", "$schema", "$defs", "definitions", "id")


# -- references: never retrieved ----------------------------------------------------------
def _refuse_retrieval(uri: str) -> referencing.Resource[Any]:
    """The registry's retrieve function: nothing outside the schema is ever read."""
    raise referencing.exceptions.NoSuchResource(ref=uri)  # type: ignore[call-arg]


_REGISTRY: referencing.Registry[Any] = referencing.Registry(
    retrieve=_refuse_retrieval,  # type: ignore[call-arg]
)


# -- validator classes: metered keywords, linear uniqueItems ------------------------------
class _TooCostly(Exception):
    """More validation steps than the current meter allows."""


class _Meter:
    __slots__ = ("left",)

    def __init__(self, steps: int) -> None:
        self.left = steps


_METER: ContextVar[_Meter | None] = ContextVar("flowdsl_schema_meter", default=None)


@contextmanager
def _metered(steps: int) -> Iterator[None]:
    token = _METER.set(_Meter(steps))
    try:
        yield
    finally:
        _METER.reset(token)


def _spend(steps: int) -> None:
    meter = _METER.get()
    if meter is not None:
        meter.left -= steps
        if meter.left < 0:
            raise _TooCostly


# What a keyword costs beyond its one step: a step is about one keyword of jsonschema
# (microseconds), so per-element work is scaled down by how much cheaper it is.
_LOOPS_OVER_INSTANCE = frozenset({
    "items", "prefixItems", "additionalItems", "contains", "unevaluatedItems",
    "additionalProperties", "patternProperties", "propertyNames", "unevaluatedProperties",
})
_SEARCHES_KEYS = frozenset({"additionalProperties", "patternProperties"})
_COMPARES_VALUE = frozenset({"enum", "const"})

_Keyword = Callable[[Any, Any, Any, Any], Any]


def _charged(name: str, keyword: _Keyword) -> _Keyword:
    base = _REF_STEPS if name in _REF_KEYWORDS else 1
    loops = name in _LOOPS_OVER_INSTANCE
    searches = name in _SEARCHES_KEYS
    compares = name in _COMPARES_VALUE

    def run(validator: Any, value: Any, instance: Any, schema: Any) -> Any:
        if _METER.get() is not None:
            steps = base
            if isinstance(value, dict | list):
                steps += len(value) // 8
            if isinstance(instance, dict | list):
                if loops:
                    steps += len(instance) // 8
                if searches:
                    patterns = schema.get("patternProperties")
                    searched = patterns if isinstance(patterns, dict) else ()
                    steps += len(instance) * len(searched) // 4
            elif isinstance(instance, str) and name == "pattern":
                steps += len(instance) // 256
            if compares:
                steps += _nodes(value) // 16
            _spend(steps)
        return keyword(validator, value, instance, schema)

    return run


def _nodes(value: Any) -> int:
    """How many values ``value`` holds, itself included (iteratively)."""
    count = 0
    stack = [value]
    while stack:
        node = stack.pop()
        count += 1
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list | tuple):
            stack.extend(node)
    return count


def _unique_items(validator: Any, unique: Any, instance: Any, schema: Any) -> Iterator[Any]:
    """``uniqueItems`` in linear time (jsonschema's falls back to comparing every pair)."""
    if not unique or not validator.is_type(instance, "array"):
        return
    seen: set[Any] = set()
    for item in instance:
        key = _canonical(item)
        if key in seen:
            yield jsonschema.ValidationError("array has non-unique elements")
            return
        seen.add(key)


def _canonical(value: Any) -> Any:
    """A hashable form equal exactly when jsonschema's ``equal`` says so (1 == 1.0 != True)."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, dict):
        _spend(1 + len(value) // 4)
        return ("object", frozenset((k, _canonical(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        _spend(1 + len(value) // 4)
        return ("array", tuple(_canonical(v) for v in value))
    try:
        hash(value)
    except TypeError:
        return ("unhashable", id(value))
    return ("value", value)


_SAFE_CLASSES: set[Any] = set()


@lru_cache(maxsize=16)
def _safe_class(cls: Any) -> Any:
    """``cls`` with metered keywords and a linear ``uniqueItems``, staying safe on evolve."""
    if cls in _SAFE_CLASSES:
        return cls
    keywords = {name: _charged(name, fn) for name, fn in cls.VALIDATORS.items()}
    keywords["uniqueItems"] = _charged("uniqueItems", _unique_items)
    safe = jsonschema.validators.extend(cls, keywords)
    safe.evolve = _staying_safe(safe.evolve)
    _SAFE_CLASSES.add(safe)
    return safe


def _staying_safe(evolve: Callable[..., Any]) -> Callable[..., Any]:
    """jsonschema's ``evolve`` switches to the stock class of a subschema's ``$schema``
    (the meta-schemas' own subschemas, or a script's): switch to its safe twin instead."""

    def safe_evolve(self: Any, **changes: Any) -> Any:
        evolved = evolve(self, **changes)
        cls: Any = type(evolved)
        if cls in _SAFE_CLASSES:
            return evolved
        fields = {f.alias: getattr(evolved, f.name) for f in attrs.fields(cls) if f.init}
        return _safe_class(cls)(**fields)

    return safe_evolve


# -- outputs ------------------------------------------------------------------------------
def check_output(
    validator: jsonschema.protocols.Validator,
    output: Any,
    *,
    max_bytes: int = MAX_OUTPUT_BYTES,
    max_depth: int = MAX_OUTPUT_DEPTH,
    max_steps: int = MAX_VALIDATION_STEPS,
) -> str | None:
    """None when ``output`` matches, else a short fixed-text problem. Never raises.

    The problem names at most a JSON path (keys that are not plain names show as
    ``[?]``) and the failing keyword, e.g. ``output does not match the schema at
    $.items[3]: 'type'``; never a value of the output or the schema.
    """
    try:
        problem, nodes = _output_shape(output, max_bytes, max_depth, max_steps)
        if problem is not None:
            return problem
        with _metered(max_steps - nodes // _NODES_PER_STEP):
            error = next(iter(validator.iter_errors(output)), None)
        if error is None:
            return None
        keyword = error.validator if isinstance(error.validator, str) else "false"
        return f"{_MISMATCH} at {_path(error.absolute_path, safe=True)}: {keyword!r}"
    except Exception as exc:
        return _unchecked(exc, max_steps)


def output_errors(
    validator: jsonschema.protocols.Validator, output: Any, *, limit: int = 8,
) -> list[str]:
    """Readable problems (``$.path: message``), at most ``limit``; [] when ``output`` matches.

    For feedback to the model that wrote ``output`` (re-asks): messages quote output
    values, cut to a few hundred characters. Same caps as :func:`check_output`; never
    raises.
    """
    try:
        steps = MAX_VALIDATION_STEPS
        problem, nodes = _output_shape(output, MAX_OUTPUT_BYTES, MAX_OUTPUT_DEPTH, steps)
        if problem is not None:
            return [problem]
        out: list[str] = []
        with _metered(steps - nodes // _NODES_PER_STEP):
            for error in validator.iter_errors(output):
                text = f"{_path(error.absolute_path, safe=False)}: {error.message}"
                out.append(text if len(text) <= _MESSAGE_CHARS else text[:_MESSAGE_CHARS] + "…")
                if len(out) >= limit:
                    break
        return out
    except Exception as exc:
        return [_unchecked(exc, MAX_VALIDATION_STEPS)]


def _too_costly(max_steps: int) -> str:
    return f"{_UNCHECKED}: it takes more than {max_steps:,} validation steps"


def _unchecked(exc: Exception, max_steps: int) -> str:
    if isinstance(exc, _TooCostly):
        return _too_costly(max_steps)
    if isinstance(exc, RecursionError):
        return f"{_UNCHECKED}: the schema refers to itself without end"
    if isinstance(exc, referencing.exceptions.Unresolvable | referencing.exceptions.NoSuchResource
                  | referencing.exceptions.Unretrievable
                  | referencing.exceptions.CannotDetermineSpecification
                  | referencing.jsonschema.UnknownDialect):
        return f"{_UNCHECKED}: a reference cannot be resolved inside the schema"
    return _UNCHECKED


def _output_shape(
    output: Any, max_bytes: int, max_depth: int, max_steps: int,
) -> tuple[str | None, int]:
    """(problem, values walked): too large, too deep, too many values or not JSON data.

    Measured without recursion; walking counts against the validation steps.
    """
    size = 0
    nodes = 0
    stack: list[tuple[Any, int]] = [(output, 0)]
    while stack:
        node, depth = stack.pop()
        nodes += 1
        if nodes > max_steps * _NODES_PER_STEP:
            return _too_costly(max_steps), nodes
        kind = type(node)
        if kind is dict or kind is list or kind is tuple:
            if depth >= max_depth:
                return (f"output is nested deeper than {max_depth} levels: "
                        "too deep to check against the schema"), nodes
            size += 1 + len(node)  # brackets and commas
            if size > max_bytes:
                return _too_large_output(max_bytes), nodes
            if kind is dict:
                if any(type(k) is not str for k in node):
                    return f"output is not JSON data {_NOT_JSON}", nodes
                size += sum(len(k) + 3 for k in node)
                node = node.values()
            stack.extend((child, depth + 1) for child in node)
        elif kind is str:
            size += len(node) + 2
        elif kind is int:
            size += node.bit_length() // 3 + 1
        elif kind is float:
            size += 24
        elif kind is bool or node is None:
            size += 5
        else:
            return f"output is not JSON data {_NOT_JSON}", nodes
        if size > max_bytes:
            return _too_large_output(max_bytes), nodes
    return None, nodes


def _too_large_output(max_bytes: int) -> str:
    return (f"output is larger than {max_bytes:,} bytes of JSON: "
            "too large to check against the schema")


def _path(parts: Any, *, safe: bool) -> str:
    out = "$"
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not safe or _SAFE_KEY.fullmatch(str(part)):
            out += f".{part}"
        else:
            out += "[?]"
    return out
