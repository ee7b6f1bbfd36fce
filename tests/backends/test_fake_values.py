"""The one fake-value generator behind the simulate backend and ``flowdsl.testing``."""

from __future__ import annotations

import hashlib
import time
from typing import Any

import jsonschema
import pytest

from flowdsl._types import AgentRequest
from flowdsl.backends._fake_values import fake_value
from flowdsl.backends._simulate import SimulateBackend
from flowdsl.errors import BackendError
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


def test_the_simulator_answers_unsatisfiable_bounds_with_a_best_effort() -> None:
    assert fake_value({"type": "integer", "minimum": 5, "maximum": 4}, SEED) == 5
    assert fake_value({"type": "number", "minimum": 0.2, "maximum": 0.8}, SEED) == 0.5


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


# -- caps: what a script's schema asks for is refused, not allocated ---------------------
def _deep(levels: int) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    for _ in range(levels):
        schema = {"type": "array", "items": schema, "maxItems": 1}
    return schema


def _cycle() -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object"}
    schema["properties"] = {"again": schema}
    return schema


REFUSE = "cannot make a fake value for this schema: "


@pytest.mark.parametrize(("schema", "why"), [
    ({"type": "array", "minItems": 10**9}, "minItems asks for more than 1,000 items"),
    ({"type": "array", "minItems": float("inf")}, "minItems asks for more than 1,000 items"),
    ({"type": "string", "minLength": 10**9}, "minLength asks for more than 100,000 characters"),
    ({"type": "array", "minItems": 1000,
      "items": {"type": "array", "minItems": 1000, "items": {"type": "integer"}}},
     "it would hold more than 100,000 values"),
    ({"type": "array", "minItems": 1000, "items": {"type": "string", "minLength": 100_000}},
     "its strings would hold more than 4,000,000 characters"),
    (_deep(5000), "it is nested more than 64 levels deep"),  # past Python's recursion limit
    (_cycle(), "it is nested more than 64 levels deep"),
    ({"type": "integer", "minimum": float("inf")},
     "minimum is not a finite number of at most 1e+308"),
    ({"type": "integer", "maximum": -(10**400)},
     "maximum is not a finite number of at most 1e+308"),
    ({"type": "integer", "minimum": 5, "maximum": 4},
     "no whole number lies between minimum and maximum"),
    ({"type": "number", "minimum": 0.2, "maximum": 0.8},
     "no whole number lies between minimum and maximum"),
])
@pytest.mark.parametrize("oracle", [False, True])
def test_what_cannot_be_made_cheaply_is_refused_quickly(
    schema: dict[str, Any], why: str, oracle: bool,
) -> None:
    if oracle and "characters" in why:
        pytest.skip("the oracle does not pad strings to minLength")
    if not oracle and "no whole number" in why:
        pytest.skip("the simulate mode answers unsatisfiable bounds with a best effort")
    started = time.perf_counter()
    with pytest.raises(BackendError) as caught:
        fake_value(schema, SEED, oracle=oracle)
    assert str(caught.value) == REFUSE + why
    assert time.perf_counter() - started < 2


@pytest.mark.parametrize(("schema", "size"), [
    ({"type": "array", "minItems": 1000}, 1000),
    ({"type": "string", "minLength": 100_000}, 100_000),
    (_deep(60), 1),
])
def test_what_fits_the_caps_is_made(schema: dict[str, Any], size: int) -> None:
    value = fake_value(schema, SEED)
    assert len(value) == size
    jsonschema.validate(value, schema)
