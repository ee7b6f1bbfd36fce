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
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urldefrag, urljoin

from ._regex_safety import BACKTRACKING_HINT, backtracks_catastrophically
from .errors import SchemaError

# jsonschema (with referencing, attrs and ``_json_schema_safety``: ~100 ms of imports)
# loads with the first schema checked, in _validator; the functions that take a validator
# import what they use of it then. Importing this module (the runtime does) loads none.
if TYPE_CHECKING:
    import jsonschema

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
"""Most validation steps one :func:`check_output` call may spend: one per keyword
evaluated, more per reference followed (``_json_schema_safety``): about a second of
jsonschema at worst."""

_REF_KEYWORDS = ("$ref", "$dynamicRef", "$recursiveRef")
_NODES_PER_STEP = 4  # walking an output's values before validating it
_META_STEPS = 300_000  # checking a schema against its meta-schema (a 60 KiB one: ~100,000)
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
    import jsonschema

    from ._json_schema_safety import REGISTRY, safe_class

    schema = json.loads(key)
    cls = safe_class(jsonschema.validators.validator_for(
        schema, default=jsonschema.Draft202012Validator))
    legacy_id = issubclass(cls, (jsonschema.Draft3Validator, jsonschema.Draft4Validator))
    _check_keywords(schema, legacy_id=legacy_id)
    _check_against_meta_schema(cls, schema)
    validator: jsonschema.protocols.Validator = cls(schema, registry=REGISTRY)
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
    from ._json_schema_safety import TooCostly, metered

    try:
        with metered(_META_STEPS):
            error = next(iter(_meta_validator(cls).iter_errors(schema)), None)
    except TooCostly:
        raise SchemaError(f"agent schema is too complex to check (over {_META_STEPS:,} "
                          "validation steps against its meta-schema)") from None
    if error is None:
        return
    keywords = [p for p in error.absolute_path if isinstance(p, str) and _is_keyword(cls, p)]
    where = f" (see its {keywords[-1]!r} keyword)" if keywords else ""
    raise SchemaError(f"agent schema is not a valid JSON Schema{where}")


@lru_cache(maxsize=16)
def _meta_validator(cls: Any) -> Any:
    from ._json_schema_safety import REGISTRY

    return cls(cls.META_SCHEMA, format_checker=cls.FORMAT_CHECKER, registry=REGISTRY)


def _is_keyword(cls: Any, name: str) -> bool:
    return name in cls.VALIDATORS or name in ("$id", "$schema", "$defs", "definitions", "id")


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
    from ._json_schema_safety import metered

    try:
        problem, nodes = _output_shape(output, max_bytes, max_depth, max_steps)
        if problem is not None:
            return problem
        with metered(max_steps - nodes // _NODES_PER_STEP):
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
    from ._json_schema_safety import metered

    try:
        steps = MAX_VALIDATION_STEPS
        problem, nodes = _output_shape(output, MAX_OUTPUT_BYTES, MAX_OUTPUT_DEPTH, steps)
        if problem is not None:
            return [problem]
        out: list[str] = []
        with metered(steps - nodes // _NODES_PER_STEP):
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
    import referencing.exceptions
    import referencing.jsonschema

    from ._json_schema_safety import TooCostly

    if isinstance(exc, TooCostly):
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
