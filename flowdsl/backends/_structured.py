"""Structured output through instructor with a *pass-through* response model.

instructor drives the re-ask loop (``max_retries=N`` is N re-asks, so N+1 requests): it
builds the tool definition from ``response_model.model_json_schema()``, forces the tool
call, validates the arguments with ``model_validate_json`` and, on a validation error,
appends the model's answer and the error text and asks again.

We do not let pydantic generate or judge anything. :func:`response_model_for` builds one
model class per schema (cached) whose

- ``model_json_schema()`` returns the user's JSON Schema itself, so the model sees it
  verbatim as the tool's parameters. Two unavoidable adjustments, both documented: the
  root ``title``/``description`` become the tool's name/description (instructor moves
  them there), and a schema whose root is not an object is wrapped as
  ``{"value": <schema>}`` because tool parameters must be an object;
- ``mode="before"`` validator runs the cached Draft 2020-12 ``jsonschema`` validator
  (through :func:`flowdsl._json_schema.output_errors`: capped, never raising) and raises
  ``ValueError`` listing the first errors (``$.path: message``), which instructor feeds
  back to the model verbatim. The validated value is returned untouched.

Rejected alternative: a pydantic model generated from the schema (datamodel-code-generator
style) - it changes what the model sees and what counts as valid (pydantic's coercions,
``format`` handling), and the issue makes jsonschema the only judge.

instructor's ``context=`` argument is not used: it switches on Jinja templating of the
messages, which would rewrite prompts containing ``{{``.
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, model_validator

from .._json_schema import output_errors
from .._types import JSONValue
from ._common import schema_key, validator_for

__all__ = ["TOOL_NAME", "response_model_for", "unwrap"]

TOOL_NAME = "final_result"
_DEFAULT_DESCRIPTION = "Return the final result as arguments matching this JSON Schema exactly."


def _shown(schema: dict[str, JSONValue]) -> tuple[dict[str, JSONValue], bool]:
    if schema.get("type") == "object":
        return schema, False
    wrapper: dict[str, JSONValue] = {
        "type": "object",
        "properties": {"value": schema},
        "required": ["value"],
        "additionalProperties": False,
    }
    return wrapper, True


def tool_definition(schema: dict[str, JSONValue]) -> tuple[str, str, dict[str, JSONValue]]:
    """(name, description, parameters) of the tool that carries this schema."""
    shown, _ = _shown(schema)
    description = shown.get("description")
    params = {k: copy.deepcopy(v) for k, v in shown.items() if k not in ("title", "description")}
    text = description if isinstance(description, str) and description else _DEFAULT_DESCRIPTION
    return TOOL_NAME, text, params


@lru_cache(maxsize=256)
def _model_for(key: str) -> type[BaseModel]:
    schema = json.loads(key)
    validator = validator_for(schema)  # SchemaError now, not after a paid request
    shown, wrapped = _shown(schema)
    name, description, params = tool_definition(schema)

    class FlowdslOutput(BaseModel):
        # No class docstring on purpose: instructor would parse it into the tool text.
        value: Any = None

        @model_validator(mode="before")
        @classmethod
        def _judge(cls, data: Any) -> Any:
            if wrapped:
                if not isinstance(data, dict) or "value" not in data:
                    raise ValueError("$: reply with an object whose 'value' holds the result")
                data = data["value"]
            errors = output_errors(validator, data)
            if errors:
                raise ValueError("output does not match the JSON Schema:\n" + "\n".join(errors))
            return {"value": data}

        @classmethod
        def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
            return {"title": name, "description": description, **copy.deepcopy(params)}

    FlowdslOutput.__doc__ = None
    # instructor names the forced tool choice (Anthropic, JSON_SCHEMA) after the class.
    FlowdslOutput.__name__ = FlowdslOutput.__qualname__ = name
    del shown
    return FlowdslOutput


def response_model_for(schema: dict[str, JSONValue]) -> type[BaseModel]:
    """The cached pass-through response model for ``schema`` (raises SchemaError if bad)."""
    return _model_for(schema_key(schema))


def unwrap(parsed: Any) -> JSONValue:
    """The validated JSON value out of a parsed pass-through model."""
    return parsed.value
