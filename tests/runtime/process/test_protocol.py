"""The parent parses what the child sends as plain data and checks its shape."""

from __future__ import annotations

import pytest

from flowdsl._runtime._process._protocol import (
    ProtocolError,
    encode,
    error_from_wire,
    error_to_wire,
    read_child_batch,
    request_to_wire,
)
from flowdsl._types import AgentRequest
from flowdsl.errors import AgentLimitExceeded, BudgetExceeded, RunError, SchemaError

BAD_LINES = [
    (b"not json", "not JSON"),
    (b' {"t": "b"}', "not a list"),
    (b"[1, 2]", "not an object"),
    (b'{"t": "zz"}', "unknown kind"),
    (b'{"t": "a", "r": {"prompt": "x"}}', "without an id"),
    (b'{"t": "a", "i": -1, "r": {"prompt": "x"}}', "without an id"),
    (b'{"t": "a", "i": true, "r": {"prompt": "x"}}', "without an id"),
    (b'{"t": "a", "i": 1, "r": {"prompt": 3}}', "text prompt"),
    (b'{"t": "a", "i": 1, "r": {"prompt": "x", "label": 3}}', "not text"),
    (b'{"t": "a", "i": 1, "r": {"prompt": "x", "schema": []}}', "not an object"),
    (b'{"t": "a", "i": 1, "r": {"prompt": "x", "timeout": "9"}}', "not a number"),
    (b'{"t": "a", "i": 1, "r": {"prompt": "x", "timeout": 1e999}}', "not a number"),
    (b'{"t": "a", "i": 1, "r": {"prompt": "x", "max_turns": 0}}', "max_turns"),
    (b'{"t": "a", "i": 1, "r": {"prompt": "x", "max_turns": 2.5}}', "max_turns"),
    (b'{"t": "a", "i": 1, "r": {"prompt": "x", "max_turns": true}}', "max_turns"),
    (b'{"t": "a", "i": 1, "r": {"prompt": "x", "budget_gate": 1}}', "unknown field"),
    (b'{"t": "l", "s": 5}', "without text"),
    (b'{"t": "w", "i": 1}', "workflow"),
    (b'{"t": "d", "status": "running"}', "valid status"),
    (b'{"t": "d", "status": "failed", "error": 7}', "valid status"),
    (b"[" * 100_000 + b"]" * 100_000, "not JSON"),
]


@pytest.mark.parametrize(("line", "why"), BAD_LINES, ids=[w for _, w in BAD_LINES])
def test_a_bad_message_is_refused(line: bytes, why: str) -> None:
    if line.startswith(b"{"):
        line = b"[" + line + b"]"
    with pytest.raises(ProtocolError, match=why):
        read_child_batch(line)


def test_an_agent_call_round_trips() -> None:
    request = AgentRequest(prompt="p", label="l", schema={"type": "object"}, timeout=3.0,
                           max_turns=5)
    line = encode([{"t": "a", "i": 4, "r": request_to_wire(request)}, {"t": "b"}])
    message, beat = read_child_batch(line.rstrip(b"\n"))
    assert message["r"] == request
    assert beat == {"t": "b"}


def test_a_lone_surrogate_travels_as_ascii() -> None:
    line = encode([{"t": "l", "s": "a\udc80b"}])
    assert line.isascii()
    assert read_child_batch(line)[0]["s"] == "a\udc80b"


@pytest.mark.parametrize("error", [
    BudgetExceeded(100, 120), AgentLimitExceeded(5), SchemaError("bad schema"), RunError("x"),
])
def test_errors_cross_with_their_type_and_text(error: Exception) -> None:
    assert isinstance(error, RunError)
    back = error_from_wire(error_to_wire(error))
    assert type(back) is type(error)
    assert str(back) == str(error)
