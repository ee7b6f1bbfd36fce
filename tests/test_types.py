"""``flowdsl._types``: usage sums and costs, the text that identifies a call."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from flowdsl._types import (
    AgentRecord,
    AgentRequest,
    RunResult,
    Usage,
    build_agent_record,
    build_agent_request,
    request_with_budget_gate,
    request_with_call_key,
    request_with_workspace,
)

PRICED = Usage(input_tokens=100, output_tokens=20, cost_usd=0.5)
UNPRICED = Usage(input_tokens=30, output_tokens=12, unpriced_tokens=42)


def test_adding_usages_sums_the_unpriced_tokens() -> None:
    total = PRICED + UNPRICED + UNPRICED
    assert (total.cost_usd, total.unpriced_tokens, total.total_tokens) == (0.5, 84, 204)


def test_a_cost_is_complete_only_when_no_token_is_unpriced() -> None:
    assert PRICED.cost_complete
    assert not (PRICED + UNPRICED).cost_complete


def test_the_known_cost_is_none_only_when_nothing_was_priced() -> None:
    assert (PRICED.known_cost(), UNPRICED.known_cost()) == (0.5, None)
    assert (PRICED + UNPRICED).known_cost() == 0.5
    assert Usage().known_cost() == 0.0


def test_usage_json_has_a_null_cost_when_nothing_was_priced() -> None:
    assert UNPRICED.to_json() == {"input_tokens": 30, "output_tokens": 12, "cost_usd": None,
                                  "cost_complete": False, "unpriced_tokens": 42}


def test_usage_json_keeps_the_known_part_of_a_partial_cost() -> None:
    data = (PRICED + UNPRICED).to_json()
    assert (data["cost_usd"], data["cost_complete"]) == (0.5, False)


def test_run_result_json_carries_the_usage_json() -> None:
    result = RunResult(status="completed", usage=UNPRICED)
    assert result.to_json()["usage"] == UNPRICED.to_json()


def test_the_key_material_of_a_request_is_unchanged() -> None:
    # stored journals are found by a hash of this text: it must never change
    request = AgentRequest(prompt="héllo", label="l", schema={"b": 1, "a": [2]}, effort="low")
    assert request.key_material() == \
        '["héllo","l",null,null,{"a":[2],"b":1},"low",null,null]'


@pytest.mark.parametrize("fields", [
    {"prompt": "plain"},
    {"prompt": 'quote " backslash \\ newline \n tab \t nul \x00 ü 日本 \U0001f600',
     "label": "é\"", "phase": "p", "model": "m", "effort": "high", "agent_type": "a",
     "isolation": "worktree"},
    {"prompt": "lone surrogate \ud800", "label": "\u2028"},
    {"prompt": "", "timeout": 3.0, "max_turns": 2},
], ids=["bare", "every-field", "surrogates", "empty"])
def test_the_key_material_without_a_schema_is_the_whole_list_encoded(
        fields: dict[str, Any]) -> None:
    request = AgentRequest(**fields)
    whole = json.dumps([request.prompt, request.label, request.phase, request.model, None,
                        request.effort, request.agent_type, request.isolation],
                       sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert request.key_material() == whole
    assert request.key_material() == whole  # the second time from the cached rest


def test_the_fast_init_builds_an_equal_frozen_instance_of_the_class() -> None:
    request = AgentRequest(prompt="p", model="m")
    record = AgentRecord(request=request, status="ok", output={"a": 1})
    assert type(record) is AgentRecord
    assert record.usage == Usage()
    assert record == dataclasses.replace(record)
    assert hash(request) == hash(AgentRequest(prompt="p", model="m"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.status = "failed"  # type: ignore[misc]


def test_the_positional_builders_build_what_the_constructors_build() -> None:
    request = build_agent_request("p", "l", None, "m", {"type": "object"}, None, None, None,
                                  2.0, 3, None, "/w", "k:0")
    assert request == AgentRequest(prompt="p", label="l", model="m", schema={"type": "object"},
                                   timeout=2.0, max_turns=3, workspace="/w", call_key="k:0")
    assert (type(request), request.workspace, request.call_key) == (AgentRequest, "/w", "k:0")
    record = build_agent_record(request, "ok", "out", PRICED, 1.5, None, (), None)
    assert record == AgentRecord(request=request, status="ok", output="out", usage=PRICED,
                                 duration=1.5)


def _gate(usage: Usage) -> bool:
    return True


@pytest.mark.parametrize(("setter", "field", "value"), [
    (request_with_workspace, "workspace", "/project"),
    (request_with_budget_gate, "budget_gate", _gate),
    (request_with_call_key, "call_key", "abc:1"),
], ids=["workspace", "budget_gate", "call_key"])
def test_a_field_setter_is_replace_of_that_field(setter: object, field: str,
                                                 value: object) -> None:
    every = {f.name: f"v-{f.name}" for f in dataclasses.fields(AgentRequest)}
    every.update(schema={"type": "object"}, timeout=2.0, max_turns=3, budget_gate=None)
    request = AgentRequest(**every)  # type: ignore[arg-type]
    made = setter(request, value)  # type: ignore[operator]
    expected = dataclasses.replace(request, **{field: value})
    assert type(made) is AgentRequest
    assert [getattr(made, f.name) for f in dataclasses.fields(AgentRequest)] == [
        getattr(expected, f.name) for f in dataclasses.fields(AgentRequest)]
