"""The simulate backend's outputs pass the runtime's own validator for common schemas."""

from __future__ import annotations

import enum
import hashlib
import re
from typing import Any, Literal

import pydantic
import pytest

from flowdsl._json_schema import check_output, schema_validator
from flowdsl._types import AgentRequest
from flowdsl.backends._fake_values import fake_value
from flowdsl.backends._simulate import SimulateBackend

SEEDS = [hashlib.sha256(f"prompt {n}".encode()).hexdigest() for n in range(4)]


class Severity(enum.Enum):
    LOW = "low"
    HIGH = "high"


class Location(pydantic.BaseModel):
    file: str = pydantic.Field(pattern=r"^[\w/]+\.py$")
    line: int = pydantic.Field(ge=1)


class Finding(pydantic.BaseModel):
    title: str = pydantic.Field(min_length=5, max_length=80)
    severity: Severity
    where: Location
    tags: list[str] = pydantic.Field(default_factory=list, max_length=3)
    fix: str | None = None
    confidence: float = pydantic.Field(ge=0, le=1)


class Review(pydantic.BaseModel):
    verdict: Literal["approve", "request_changes"]
    findings: list[Finding]
    extra: dict[str, int] = {}


class Tree(pydantic.BaseModel):
    name: str
    children: list[Tree] = []


FINDINGS = {
    "type": "object", "additionalProperties": False, "required": ["findings"],
    "properties": {"findings": {"type": "array", "minItems": 1, "items": {
        "type": "object", "additionalProperties": False,
        "required": ["file", "line", "severity", "message"],
        "properties": {"file": {"type": "string", "minLength": 1},
                       "line": {"type": "integer", "minimum": 1},
                       "severity": {"enum": ["info", "warning", "error"]},
                       "message": {"type": "string", "maxLength": 200}}}}},
}

SCHEMAS: list[Any] = [
    # pydantic, the commonest source of agent schemas
    Review.model_json_schema(),
    Finding.model_json_schema(),
    Tree.model_json_schema(),
    FINDINGS,
    # references
    {"$defs": {"n": {"type": "integer", "minimum": 3}}, "$ref": "#/$defs/n"},
    {"definitions": {"s": {"type": "string"}}, "type": "array",
     "items": {"$ref": "#/definitions/s"}},
    {"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"const": 1}}, "$ref": "#/$defs/a"},
    {"$defs": {"list": {"type": "object", "required": ["next"],
                        "properties": {"next": {"anyOf": [{"$ref": "#/$defs/list"},
                                                          {"type": "null"}]}}}},
     "$ref": "#/$defs/list"},
    {"$defs": {"x": {"$anchor": "here", "type": "boolean"}}, "$ref": "#here"},
    # patterns
    {"type": "string", "pattern": r"^[A-Z]{2,4}-\d+$"},
    {"type": "string", "pattern": r"^[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}$"},
    {"type": "string", "pattern": r"^(feat|fix|chore)(\([a-z]+\))?: .+$", "maxLength": 40},
    {"type": "string", "pattern": r"\d{3}", "minLength": 10},
    {"type": "string", "pattern": r"^[^\s]+$", "minLength": 3, "maxLength": 5},
    {"type": "string", "pattern": r"^(?=.*\d)[a-z\d]{8}$"},
    {"type": "string", "pattern": r"^(ab|cd)\1$"},
    {"type": "object", "patternProperties": {r"^x-": {"type": "integer"}},
     "additionalProperties": False, "minProperties": 2},
    # formats
    *({"type": "string", "format": f} for f in (
        "date-time", "date", "time", "email", "uri", "uuid", "ipv4", "ipv6", "hostname")),
    # combinators and conditionals
    {"oneOf": [{"type": "integer", "multipleOf": 2}, {"type": "integer", "multipleOf": 3}]},
    {"anyOf": [{"type": "string", "maxLength": 0}, {"type": "number"}]},
    {"allOf": [{"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]},
               {"properties": {"b": {"type": "string"}}, "required": ["b"]}]},
    {"type": "object", "properties": {"kind": {"enum": ["a", "b"]}, "n": {"type": "integer"}},
     "required": ["kind"], "if": {"properties": {"kind": {"const": "a"}}},
     "then": {"required": ["n"], "properties": {"n": {"minimum": 100}}},
     "else": {"properties": {"n": {"maximum": -100}}}},
    {"type": "integer", "not": {"enum": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]}},
    {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
     "dependentRequired": {"a": ["c"]}, "minProperties": 3},
    # scalars
    {"const": {"fixed": [1, 2]}},
    {"enum": [None, 3, "x"]},
    {"type": "integer", "exclusiveMinimum": 5, "exclusiveMaximum": 7},
    {"type": "number", "minimum": 0.2, "maximum": 0.8},
    {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
    {"type": "number", "multipleOf": 0.01, "minimum": 1.005},
    {"type": "integer", "maximum": -50},
    {"type": ["null", "integer"], "minimum": 1},
    {"type": "string", "minLength": 30},
    {"type": "string", "maxLength": 3},
    # arrays and objects
    {"type": "array", "items": {"type": "boolean"}, "uniqueItems": True},
    {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 3},
     "minItems": 4, "uniqueItems": True},
    {"type": "array", "items": {"enum": ["a"]}, "uniqueItems": True},
    {"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}], "items": False},
    {"type": "array", "contains": {"const": 42}, "items": {"type": "integer"}},
    {"type": "array", "minItems": 5, "maxItems": 5},
    {"type": "object", "additionalProperties": {"type": "number"}, "minProperties": 2},
    {"type": "object", "properties": {"a": {}, "b": {}, "c": {}}, "maxProperties": 1},
    {"type": "object", "propertyNames": {"pattern": "^[a-z]{3}$"}, "minProperties": 1},
]


@pytest.mark.parametrize("schema", SCHEMAS)
@pytest.mark.parametrize("seed", SEEDS)
def test_simulated_values_pass_the_runtime_validator(schema: Any, seed: str) -> None:
    assert check_output(schema_validator(schema), fake_value(schema, seed)) is None


@pytest.mark.parametrize("schema", SCHEMAS)
def test_simulated_values_are_deterministic(schema: Any) -> None:
    assert fake_value(schema, SEEDS[0]) == fake_value(schema, SEEDS[0])


def test_different_prompts_give_different_values() -> None:
    values = {str(fake_value(FINDINGS, seed)) for seed in SEEDS}
    assert len(values) == len(SEEDS)


@pytest.mark.parametrize(("schema", "shape"), [
    ({"type": "string", "format": "date-time"}, r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"),
    ({"type": "string", "format": "email"}, r"[a-z0-9]+-[0-9a-f]{6}@example\.com"),
    ({"type": "string", "format": "uuid"}, r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-"
                                           r"[0-9a-f]{12}"),
    ({"type": "string", "format": "ipv4"}, r"192\.0\.2\.\d+"),
])
def test_formats_have_their_shape(schema: dict[str, Any], shape: str) -> None:
    assert re.fullmatch(shape, fake_value(schema, SEEDS[0]))


def test_recursion_through_a_reference_stops_at_required_properties() -> None:
    tree = fake_value(Tree.model_json_schema(), SEEDS[0])
    assert tree["children"]
    assert all("children" not in child for child in tree["children"])


@pytest.mark.parametrize("schema", [
    {"allOf": [{"type": "string"}, {"type": "integer"}]},
    {"type": "string", "pattern": "^a$", "minLength": 5},
    {"not": {}},
    {"type": "integer", "minimum": 5, "maximum": 4},
    False,
])
def test_unsatisfiable_schemas_give_a_best_effort(schema: Any) -> None:
    fake_value(schema, SEEDS[0])  # returns: no exception, no hang


@pytest.mark.anyio
async def test_the_backend_answers_a_pydantic_schema_validly() -> None:
    schema = Review.model_json_schema()
    result = await SimulateBackend().run(AgentRequest(prompt="review this", schema=schema))
    assert check_output(schema_validator(schema), result.output) is None


def test_a_thousand_generations_complete() -> None:
    schema = Review.model_json_schema()
    for n in range(1000):
        fake_value(schema, f"seed {n}")
