"""The one fake-value generator behind the simulate backend and ``flowdsl.testing``."""

from __future__ import annotations

import hashlib
from typing import Any

import jsonschema
import pytest

from flowdsl._types import AgentRequest
from flowdsl.backends._fake_values import fake_value
from flowdsl.backends._simulate import SimulateBackend
from flowdsl.testing import OracleBackend, oracle_value

SEED = hashlib.sha256(b"prompt").hexdigest()

SCHEMAS: list[dict[str, Any]] = [
    {"type": "object", "properties": {"a": {"type": "integer", "minimum": 3, "maximum": 5},
                                      "b": {"type": "array", "items": {"type": "string"},
                                            "minItems": 3},
                                      "c": {"enum": ["x", "y"]}, "d": {"const": 7},
                                      "e": {"type": ["null", "boolean"]}}},
    {"type": "array", "items": {"type": "number"}, "maxItems": 1},
    {"type": "string"},
    {"type": "null"},
]


@pytest.mark.parametrize("schema", SCHEMAS)
@pytest.mark.parametrize("oracle", [False, True])
def test_values_are_deterministic_and_valid(schema: dict[str, Any], oracle: bool) -> None:
    value = fake_value(schema, SEED, oracle=oracle)
    assert value == fake_value(schema, SEED, oracle=oracle)
    jsonschema.validate(value, schema)


def test_strings_are_named_after_their_path() -> None:
    schema = {"type": "object", "properties": {"tags": {"type": "array",
                                                        "items": {"type": "string"}}}}
    value = fake_value(schema, SEED)
    assert [t.split("-")[0] for t in value["tags"]] == ["0", "1"]
    assert value["tags"][0] != value["tags"][1]


def test_only_the_simulator_follows_combinators_and_min_length() -> None:
    any_of = {"anyOf": [{"type": "integer"}, {"type": "string"}]}
    assert isinstance(fake_value(any_of, SEED), int)
    assert isinstance(fake_value(any_of, SEED, oracle=True), str)  # js-oracle ignores anyOf
    padded = {"type": "string", "minLength": 30}
    assert len(fake_value(padded, SEED)) == 30
    assert len(fake_value(padded, SEED, oracle=True)) < 30


def test_only_the_oracle_needs_non_empty_properties_to_infer_an_object() -> None:
    assert fake_value({"properties": {}}, SEED) == {}
    assert isinstance(fake_value({"properties": {}}, SEED, oracle=True), str)


def test_oracle_value_is_the_oracle_mode() -> None:
    for schema in SCHEMAS:
        assert oracle_value(schema, SEED, "$") == fake_value(schema, SEED, "$", oracle=True)


@pytest.mark.anyio
async def test_both_fakes_answer_from_the_prompts_hash() -> None:
    request = AgentRequest(prompt="prompt", schema=SCHEMAS[0])
    simulated = await SimulateBackend().run(request)
    oracle = await OracleBackend().run(request)
    assert simulated.output == fake_value(SCHEMAS[0], SEED)
    assert oracle.output == fake_value(SCHEMAS[0], SEED, oracle=True)
