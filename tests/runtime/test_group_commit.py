"""Group commit: a result reaches the script only after its journal row is committed."""

from __future__ import annotations

import anyio
import pytest

from flowdsl._frontends import compile_file
from flowdsl._options import RunOptions
from flowdsl._runtime import LogLine, RunEvent, execute
from flowdsl._types import AgentRecord, RunResult
from flowdsl.errors import StoreError
from flowdsl.testing import FunctionBackend

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class GatedJournal:
    """A group-commit journal whose commits wait for the test to open the gate; commits
    fail while ``failing`` is set. Like the store's, a cancelled commit still waits for
    its row's fate before the cancellation goes on."""

    size = 0

    def __init__(self, expected: int = 1) -> None:
        self.gate = anyio.Event()
        self.waiting: list[str] = []
        self.expected = expected
        self.all_waiting = anyio.Event()
        """Set once ``expected`` commits wait at the gate."""
        self.rows: dict[str, AgentRecord] = {}
        self.failing = False

    def replay(self, key: str) -> tuple[AgentRecord, int] | None:
        return None

    def record(self, key: str, record: AgentRecord) -> None:
        self.rows[key] = record

    async def commit(self, key: str, record: AgentRecord) -> None:
        self.waiting.append(record.request.prompt)
        if len(self.waiting) == self.expected:
            self.all_waiting.set()
        try:
            await self.gate.wait()
        except anyio.get_cancelled_exc_class():
            with anyio.CancelScope(shield=True):
                await self.gate.wait()
            self._settle(key, record)
            raise
        self._settle(key, record)

    def _settle(self, key: str, record: AgentRecord) -> None:
        if self.failing:
            raise StoreError("/tmp/x/flowdsl.db: database or disk is full")
        self.rows[key] = record


async def start(path, journal: GatedJournal, seen: list[str], tg, result: list[RunResult],
                options: RunOptions | None = None) -> None:
    def observe(event: RunEvent) -> None:
        if isinstance(event, LogLine):
            seen.append(event.text)

    async def main() -> None:
        result.append(await execute(
            compile_file(path), args=None, backend=FunctionBackend(lambda r: r.prompt.upper()),
            options=options or RunOptions(concurrency=4, isolation="inline"),
            journal=journal, observers=[observe]))

    tg.start_soon(main)


async def test_the_script_sees_a_result_only_after_its_commit(script) -> None:
    journal, seen, result = GatedJournal(), [], []
    path = script('log(await agent("one"))\nreturn "done"')
    async with anyio.create_task_group() as tg:
        await start(path, journal, seen, tg, result)
        with anyio.fail_after(5):
            await journal.all_waiting.wait()
        await anyio.sleep(0.05)  # plenty of loop turns: the script is still waiting
        assert seen == []
        assert journal.rows == {}
        journal.gate.set()
    assert seen == ["ONE"]
    assert result[0].status == "completed"
    assert [r.request.prompt for r in journal.rows.values()] == ["one"]


async def test_a_failed_commit_fails_every_agent_of_its_batch_and_the_run(script) -> None:
    journal, seen, result = GatedJournal(expected=3), [], []
    journal.failing = True
    path = script("""
        async def one(i):
            log(await agent(f"task {i}"))
        await parallel(one(i) for i in range(3))
        return "unreachable"
    """)
    async with anyio.create_task_group() as tg:
        await start(path, journal, seen, tg, result)
        with anyio.fail_after(5):
            await journal.all_waiting.wait()
        journal.gate.set()
    assert result[0].status == "failed"
    assert result[0].error == "/tmp/x/flowdsl.db: database or disk is full"
    assert seen == []  # no result of the failed batch reached the script
    assert journal.rows == {}


async def test_an_agent_whose_commit_wait_is_cancelled_is_accounted_once(script) -> None:
    journal, seen, result = GatedJournal(), [], []
    path = script('log(await agent("one"))\nreturn "done"')
    async with anyio.create_task_group() as tg:
        await start(path, journal, seen, tg, result,
                    RunOptions(concurrency=4, isolation="inline", run_timeout=0.2))
        with anyio.fail_after(5):
            await journal.all_waiting.wait()
        await anyio.sleep(0.4)  # the run's deadline passes while the commit waits
        journal.gate.set()
    assert result[0].status == "failed"  # timed out
    assert seen == []
    assert [(a.request.prompt, a.status) for a in result[0].agents] == [("one", "ok")]
    assert [r.status for r in journal.rows.values()] == ["ok"]  # not replaced: cut short
