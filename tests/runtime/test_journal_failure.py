"""A journal that cannot record (a full disk) ends the run with its one-line error."""

from __future__ import annotations

import anyio

from flowdsl._frontends import compile_file
from flowdsl._options import RunOptions
from flowdsl._runtime import execute
from flowdsl._types import AgentRecord, RunResult
from flowdsl.errors import StoreError
from flowdsl.testing import FunctionBackend


class FillingJournal:
    """Records ``room`` agents, then fails as SQLite does on a full disk."""

    def __init__(self, room: int) -> None:
        self.room = room
        self.rows: dict[str, AgentRecord] = {}

    size = 0

    def replay(self, key: str) -> tuple[AgentRecord, int] | None:
        return None

    def record(self, key: str, record: AgentRecord) -> None:
        if len(self.rows) >= self.room:
            raise StoreError("/tmp/x/flowdsl.db: database or disk is full")
        self.rows[key] = record


def run_with(path, journal: FillingJournal, backend: FunctionBackend) -> RunResult:
    async def main() -> RunResult:
        return await execute(compile_file(path), args=None, backend=backend,
                             options=RunOptions(concurrency=4), journal=journal)

    return anyio.run(main)


def test_the_run_fails_with_the_stores_error_and_keeps_what_was_journaled(script):
    journal = FillingJournal(room=5)
    backend = FunctionBackend(lambda r: "x" * 100)
    path = script("return await parallel(agent(f'task {i}') for i in range(40))")
    result = run_with(path, journal, backend)
    assert result.status == "failed"
    assert result.error == "/tmp/x/flowdsl.db: database or disk is full"
    assert len(journal.rows) == 5
    assert len(backend.requests) < 40  # the fan-out stopped: no agent ran unjournaled for long


def test_a_script_cannot_catch_the_journal_failure(script):
    journal = FillingJournal(room=0)
    path = script("""
        try:
            await agent("one")
        except Exception:
            return "swallowed"
        return "unreachable"
    """)
    result = run_with(path, journal, FunctionBackend(lambda r: "x"))
    assert result.status == "failed"
    assert "database or disk is full" in (result.error or "")
