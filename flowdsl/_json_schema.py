"""Agent schemas: one cached validator per JSON Schema, shared by the runtime and backends.

``jsonschema`` is the only judge of structured output (Draft 2020-12 unless the schema's
``$schema`` names another dialect). A schema is checked once when first seen: it must be
a valid schema, and its ``pattern``s — which run inside the runtime, outside any script
tick — must pass the sandbox's catastrophic-backtracking rule.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

import jsonschema

from ._regex_safety import BACKTRACKING_HINT, backtracks_catastrophically
from .errors import SchemaError

__all__ = ["schema_key", "schema_validator"]


def schema_key(schema: dict[str, Any]) -> str:
    """Canonical text of a schema (the cache key)."""
    return json.dumps(schema, sort_keys=True, separators=(",", ":"))


def schema_validator(schema: Any) -> jsonschema.protocols.Validator:
    """A cached validator for ``schema``.

    Raises:
        SchemaError: not a JSON object, not a valid JSON Schema, or an unsafe pattern.
    """
    if not isinstance(schema, dict):
        raise SchemaError(f"agent schema must be a JSON Schema object, not {type(schema).__name__}")
    try:
        key = schema_key(schema)
    except (TypeError, ValueError) as exc:
        raise SchemaError(f"agent schema is not JSON: {exc}") from None
    return _validator(key)


@lru_cache(maxsize=512)
def _validator(key: str) -> jsonschema.protocols.Validator:
    schema = json.loads(key)
    try:
        cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
        cls.check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise SchemaError(f"agent schema is not a valid JSON Schema: {exc.message}") from None
    _check_patterns(schema)
    validator: jsonschema.protocols.Validator = cls(schema)
    return validator


def _check_patterns(schema: Any) -> None:
    """Schema ``pattern``s run in the runtime: hold them to the sandbox's regex rule."""
    if isinstance(schema, list):
        for item in schema:
            _check_patterns(item)
        return
    if not isinstance(schema, dict):
        return
    patterns = [schema["pattern"]] if isinstance(schema.get("pattern"), str) else []
    if isinstance(schema.get("patternProperties"), dict):
        patterns.extend(k for k in schema["patternProperties"] if isinstance(k, str))
    for pattern in patterns:
        try:
            compiled = re.compile(pattern)
        except re.error as exc:
            raise SchemaError(f"agent schema pattern {pattern!r} is invalid: {exc}") from None
        if backtracks_catastrophically(compiled.pattern, compiled.flags):
            raise SchemaError(f"agent schema pattern {pattern!r:.80} is refused: "
                              f"{BACKTRACKING_HINT}")
    for value in schema.values():
        if isinstance(value, dict | list):
            _check_patterns(value)
