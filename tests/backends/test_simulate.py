"""The simulate backend refuses schemas it cannot answer cheaply instead of allocating."""

from __future__ import annotations

import time
from typing import Any

import pytest

from flowdsl._types import AgentRequest
from flowdsl.backends._simulate import SimulateBackend
from flowdsl.errors import BackendError


@pytest.mark.anyio
@pytest.mark.parametrize("schema", [
    {"type": "array", "minItems": 10**9},
    {"type": "object", "properties": {"s": {"type": "string", "minLength": 10**9}}},
])
async def test_a_huge_minimum_is_refused_quickly(schema: dict[str, Any]) -> None:
    started = time.perf_counter()
    with pytest.raises(BackendError, match="cannot make a fake value for this schema"):
        await SimulateBackend().run(AgentRequest(prompt="p", schema=schema))
    assert time.perf_counter() - started < 1
