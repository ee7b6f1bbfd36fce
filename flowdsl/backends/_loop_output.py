"""A schema agent's answer in the loop: the user's schema as the output tool, jsonschema
the judge.

The output tool is the one the single-completion path shows (:func:`._structured.tool_definition`:
the schema itself as the parameters, a non-object schema wrapped as ``{"value": ...}``).
pydantic-ai's ``ToolOutput`` carries it: its own type is a bare object
(``StructuredDict({"type": "object"})``: any JSON object passes pydantic, values untouched)
and a ``PrepareOutputTools`` hook puts the user's schema in the tool definition as it is,
``$defs`` and ``$ref`` included (``StructuredDict`` itself would inline or refuse them).

:meth:`SchemaOutput.judge` is the output validator: the cached Draft 2020-12 validator
(:func:`._common.schema_errors`) decides, and its errors go back to the model as a
``ModelRetry`` - at most ``reasks`` times (the tool's ``max_retries``). The value returned
is the model's JSON, unwrapped from ``value`` when the schema was wrapped.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

from pydantic_ai import ModelRetry, RunContext, StructuredDict, ToolOutput
from pydantic_ai.capabilities import PrepareOutputTools
from pydantic_ai.tools import ToolDefinition

from .._types import JSONValue
from ..errors import BackendError
from ._common import schema_errors
from ._structured import _shown, tool_definition

__all__ = ["SchemaOutput"]


class SchemaOutput:
    """The output tool, its schema hook and its judge for one schema agent.

    Args:
        schema: the agent's JSON Schema (already checked by the runtime).
        reasks: how many invalid answers are sent back before the agent fails.
    """

    def __init__(self, schema: dict[str, JSONValue], reasks: int) -> None:
        self.schema = schema
        self.wrapped = _shown(schema)[1]
        self.name, description, self.parameters = tool_definition(schema)
        self.output_type: ToolOutput[dict[str, Any]] = ToolOutput(
            StructuredDict({"type": "object"}), name=self.name, description=description,
            max_retries=reasks, strict=False)
        self.capability = PrepareOutputTools[None](self._show)
        self.attempts = 0
        self.last_errors: list[str] = []

    async def _show(self, ctx: RunContext[None],
                    tool_defs: list[ToolDefinition]) -> list[ToolDefinition]:
        return [replace(d, parameters_json_schema=copy.deepcopy(self.parameters), strict=False)
                for d in tool_defs]

    def judge(self, data: dict[str, Any]) -> dict[str, Any]:
        """The output validator: returns ``data`` when the schema accepts it.

        Raises:
            ModelRetry: the errors (``$.path: message``), for the model to fix.
        """
        self.attempts += 1
        if self.wrapped and "value" not in data:
            errors = ["$: reply with an object whose 'value' holds the result"]
        else:
            errors = schema_errors(self.schema, data["value"] if self.wrapped else data)
        if errors:
            self.last_errors = errors
            raise ModelRetry("output does not match the JSON Schema:\n" + "\n".join(errors))
        return data

    def value(self, data: dict[str, Any]) -> JSONValue:
        """The agent's output: the model's JSON, unwrapped."""
        return data["value"] if self.wrapped else data

    def exhausted(self) -> BackendError:
        """The failure when every re-ask was spent on invalid output."""
        if not self.attempts:
            return BackendError(f"no structured output: the model never called the "
                                f"{self.name} tool")
        return BackendError(f"no valid structured output after {self.attempts} attempt(s): "
                            + "; ".join(self.last_errors[:3]))
