"""Tool calls timed where they run (``flowdsl.backends._loop_timing``): the openai loop
against the fake server, and the stored form of a timed call."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fakeserver import FakeLLMServer, Step
from loopcase import make_project, python_on_path

from flowdsl._config import Config
from flowdsl._types import AgentRequest, ToolCall
from flowdsl.backends._openai import OpenAIBackend, create_backend

pytestmark = pytest.mark.anyio


@pytest.fixture
async def backend(server: FakeLLMServer, tmp_path: Path,
                  monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[OpenAIBackend]:
    python_on_path(monkeypatch)
    project = make_project(tmp_path)
    (project / "slow.py").write_text("import time\ntime.sleep(0.3)\n", encoding="utf-8")
    async with create_backend(base_url=server.url + "/v1", model="gpt-4o-mini",
                              config=Config(backoff=0.001), cwd=project) as b:
        yield b


async def test_each_call_that_ran_has_its_start_and_duration(
        server: FakeLLMServer, backend: OpenAIBackend) -> None:
    server.script(Step.use(("read", {"path": "calc.py"})),
                  Step.use(("bash", {"command": "python slow.py"}), ("read", {})),
                  Step.reply("done"))
    began = time.monotonic()
    result = await backend.run(AgentRequest(prompt="p", agent_type="fixer"))
    took = time.monotonic() - began
    read, bash, refused = result.tool_calls
    assert read.started is not None
    assert read.duration is not None
    assert bash.started is not None
    assert bash.duration is not None
    assert 0 <= read.started < read.started + read.duration <= bash.started
    assert 0.3 <= bash.duration <= bash.started + bash.duration <= took
    # its arguments were refused before any tool ran: no time is made up for it
    assert refused.error is not None
    assert (refused.started, refused.duration) == (None, None)


def test_a_timed_call_round_trips_and_an_untimed_row_loads_as_before() -> None:
    timed = ToolCall(name="read", arguments={"path": "a"}, result_chars=3, started=0.5,
                     duration=0.25)
    again = ToolCall.from_json(json.loads(json.dumps(timed.to_json())))
    assert (again.started, again.duration) == (0.5, 0.25)
    old_row = {"name": "read", "arguments": {"path": "a"}, "result_chars": 3, "error": None}
    loaded = ToolCall.from_json(old_row)
    assert (loaded.started, loaded.duration) == (None, None)
    assert loaded.to_json() == old_row
    assert loaded == timed  # timing is not part of what the call was
