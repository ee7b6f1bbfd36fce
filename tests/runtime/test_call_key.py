"""``request.call_key``: the journal's key reaches a backend that names its work by it."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowdsl._frontends import compile_file
from flowdsl._options import RunOptions
from flowdsl._runtime import execute
from flowdsl._types import AgentRecord, AgentRequest, AgentResult

pytestmark = pytest.mark.anyio

SCRIPT = """\
meta = {"name": "keys", "description": "the same prompt twice, another once"}
return await parallel([agent("same"), agent("same"), agent("other")])
"""


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Keeping:
    """A backend that keeps the requests it was sent."""

    def __init__(self, *, wants_keys: bool) -> None:
        self.needs_call_key = wants_keys
        self.seen: list[AgentRequest] = []

    async def run(self, request: AgentRequest) -> AgentResult:
        self.seen.append(request)
        return AgentResult(output=request.prompt)


class Rows:
    """An in-memory journal."""

    size = 0

    def __init__(self) -> None:
        self.rows: dict[str, AgentRecord] = {}

    def replay(self, key: str) -> tuple[AgentRecord, int] | None:
        return None

    def record(self, key: str, record: AgentRecord) -> None:
        self.rows[key] = record


async def _run(tmp_path: Path, backend: Keeping, journal: Rows | None) -> None:
    path = tmp_path / "keys.flow.py"
    path.write_text(SCRIPT, encoding="utf-8")
    result = await execute(compile_file(path), args=None, backend=backend, journal=journal,
                           options=RunOptions(isolation="inline"))
    assert result.status == "completed", result.error


async def test_a_backend_that_asks_gets_each_call_s_journal_key(tmp_path: Path) -> None:
    backend, journal = Keeping(wants_keys=True), Rows()
    await _run(tmp_path, backend, journal)
    keys = sorted(str(r.call_key) for r in backend.seen)
    assert keys == sorted(journal.rows)  # the keys the journal stored, one per call
    assert len(set(keys)) == 3  # the two "same" calls differ by their occurrence


async def test_no_key_for_a_backend_that_does_not_ask(tmp_path: Path) -> None:
    backend = Keeping(wants_keys=False)
    await _run(tmp_path, backend, Rows())
    assert [r.call_key for r in backend.seen] == [None, None, None]


async def test_no_key_without_a_journal(tmp_path: Path) -> None:
    backend = Keeping(wants_keys=True)
    await _run(tmp_path, backend, None)
    assert [r.call_key for r in backend.seen] == [None, None, None]
