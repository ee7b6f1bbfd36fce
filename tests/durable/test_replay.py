"""Resume replays journal fixtures checked into the repo (temporal-style replayer tests)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flowstore_helpers import NoCallsBackend, answer

from flowdsl import AgentRecord, AgentRequest, AgentResult, Usage
from flowdsl._durable import resume
from flowdsl._store import Store
from flowdsl.testing import FunctionBackend

FIXTURES = Path(__file__).parent / "fixtures"


def record_of(data: dict[str, Any]) -> AgentRecord:
    """A journal fixture's record (the JSON form these fixtures were written in)."""
    return AgentRecord(
        request=AgentRequest(**data["request"]), status=data["status"],
        output=data.get("output"), usage=Usage(**data.get("usage") or {}),
        duration=float(data.get("duration", 0.0)), error=data.get("error"))


def load_fixture(name: str, store_dir: Path, tmp_path: Path) -> tuple[str, dict[str, Any]]:
    """A stored, interrupted run whose journal is the fixture's."""
    fixture = json.loads((FIXTURES / name).read_text())
    script = tmp_path / fixture["path"]
    script.write_text(fixture["script"])
    with Store.open(store_dir) as store:
        run_id = store.create_run(name="fixture", script_path=str(script),
                                  script_text=fixture["script"], args=fixture["args"],
                                  options={"concurrency": 3}, background=False)
        for row in fixture["journal"]:
            store.append_journal(run_id, row["key"], record_of(row["record"]))
        store.set_status(run_id, "interrupted")
    return run_id, fixture


def counting() -> FunctionBackend:
    return FunctionBackend(lambda r: AgentResult(output=answer(r.prompt),
                                                 usage=Usage(input_tokens=10, output_tokens=5)))


def test_complete_journal_replays_every_call_without_the_backend(
    store_dir: Path, tmp_path: Path,
) -> None:
    run_id, fixture = load_fixture("fanout_complete.json", store_dir, tmp_path)
    backend = NoCallsBackend()
    result = resume(run_id, backend=backend)
    assert result.status == "completed"
    assert result.value == fixture["expected"]
    assert backend.calls == []
    assert [a.status for a in result.agents] == ["replayed"] * len(fixture["journal"])
    assert result.usage.total_tokens == 15 * len(fixture["journal"])


def test_partial_journal_runs_only_unfinished_and_failed_calls(
    store_dir: Path, tmp_path: Path,
) -> None:
    run_id, fixture = load_fixture("fanout_partial.json", store_dir, tmp_path)
    backend = counting()
    result = resume(run_id, backend=backend)
    assert result.value == fixture["expected"]
    assert sorted(r.prompt for r in backend.requests) == fixture["live"]
    with Store.open(store_dir) as store:
        info = store.get_run(run_id)
        assert (info.status, info.agents_done, info.agents_failed) == ("completed", 13, 0)
        assert info.result == fixture["expected"]


def test_resume_with_edited_script_replays_unchanged_calls(store_dir: Path, tmp_path: Path) -> None:
    run_id, fixture = load_fixture("fanout_complete.json", store_dir, tmp_path)
    edited = tmp_path / "edited.flow.py"
    changed = 'f"task {i}" if i != 4 else "new 4"'
    edited.write_text(fixture["script"].replace('f"task {i}"', changed))
    backend = counting()
    result = resume(run_id, backend=backend, script=edited)
    live = sorted(r.prompt for r in backend.requests)
    assert live[0] == "new 4"
    assert live[1].startswith("summarize ")
    assert len(live) == 2
    assert result.value["outs"][4] == answer("new 4")
    assert result.value["outs"][:4] == fixture["expected"]["outs"][:4]


def test_resuming_a_completed_run_is_refused(store_dir: Path, tmp_path: Path) -> None:
    run_id, _ = load_fixture("fanout_complete.json", store_dir, tmp_path)
    resume(run_id, backend=NoCallsBackend())
    from flowdsl.errors import UsageError

    with pytest.raises(UsageError, match="already completed"):
        resume(run_id, backend=NoCallsBackend())


def test_replay_key_is_independent_of_start_order(store_dir: Path, tmp_path: Path) -> None:
    run_id, fixture = load_fixture("fanout_complete.json", store_dir, tmp_path)
    with Store.open(store_dir) as store:
        store.update_options(run_id, {"concurrency": 1})  # branches start one by one now
    backend = NoCallsBackend()
    assert resume(run_id, backend=backend).value == fixture["expected"]


def test_failed_rows_are_not_replayed(store_dir: Path) -> None:
    request = AgentRequest(prompt="p")
    with Store.open(store_dir) as store:
        run_id = store.create_run(name="x", script_path="x.flow.py", script_text="",
                                  args=None, options={}, background=False)
        store.append_journal(run_id, "k:0", AgentRecord(request=request, status="failed",
                                                        error="boom"))
        assert store.load_replay(run_id) == {}
        ok = AgentRecord(request=request, status="ok", output={"a": [1, 2]},
                         usage=Usage(input_tokens=3, output_tokens=4, cost_usd=0.5))
        store.append_journal(run_id, "k:0", ok)  # the re-run replaces the failed row
        assert store.load_replay(run_id) == {"k:0": ok}
        assert len(store.journal(run_id)) == 1
