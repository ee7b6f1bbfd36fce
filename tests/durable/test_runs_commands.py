"""``flowdsl runs|save|workflows`` through the CLI entry point: output, --json, exit codes."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import anyio
import pytest
from flowstore_helpers import FANOUT

from flowdsl._cli import main
from flowdsl._durable import find_workflow, run_journaled, start_background
from flowdsl._frontends import compile_source
from flowdsl._options import RunOptions
from flowdsl._store import Store
from flowdsl.testing import SleepBackend


def finished_run(store_dir: Path, n: int = 3) -> str:
    compiled = compile_source(FANOUT, "fanout.flow.py")
    result = anyio.run(lambda: run_journaled(compiled, args={"n": n}, backend=SleepBackend(),
                                             options=RunOptions.resolve(
                                                 backend="simulate", store=store_dir)))
    assert result.run_id is not None
    return result.run_id


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(err: str) -> bool:
    return err.startswith("flowdsl: error: ") and err.count("\n") == 1


def test_list_status_result_and_logs(store_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_id = finished_run(store_dir)
    code, out, _ = run_cli(capsys, "runs", "list")
    assert code == 0
    assert run_id in out
    assert "completed" in out
    code, out, _ = run_cli(capsys, "runs", "list", "--json")
    [row] = json.loads(out)
    assert row["run_id"] == run_id
    assert row["agents"] == {"done": 4, "failed": 0, "total": 4}
    code, out, _ = run_cli(capsys, "runs", "status", run_id[:4], "--json")
    status = json.loads(out)
    assert {"status", "pid", "agents", "usage"} <= set(status)
    assert status["usage"]["input_tokens"] == 40
    code, out, _ = run_cli(capsys, "runs", "result", run_id, "--json")
    assert code == 0
    assert json.loads(out)["result"]["outs"][0] == "done: t0"
    code, out, _ = run_cli(capsys, "runs", "logs", run_id)
    assert code == 0
    assert "== Fan" in out
    assert "fanned out 3" in out
    assert "completed" in out


def test_unknown_run_id_is_exit_2_with_one_line(
    store_dir: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    finished_run(store_dir)
    for action in ("status", "logs", "result", "stop", "pause", "resume", "rm"):
        code, out, err = run_cli(capsys, "runs", action, "nosuchid")
        assert (code, out, one_line_error(err)) == (2, "", True), (action, err)


def test_no_store_yet(store_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(capsys, "runs", "list", "--json")[:2] == (0, "[]\n")
    code, _, err = run_cli(capsys, "runs", "status", "abc")
    assert code == 2
    assert one_line_error(err)
    assert not store_dir.exists()


def test_resuming_a_completed_run_is_exit_2(
    store_dir: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    run_id = finished_run(store_dir)
    code, _, err = run_cli(capsys, "runs", "resume", run_id)
    assert code == 2
    assert "already completed" in err
    assert one_line_error(err)
    code, _, err = run_cli(capsys, "runs", "resume", run_id, "--foreground")
    assert code == 2
    assert one_line_error(err)


@pytest.mark.parametrize("damage", ["newer", "corrupt", "foreign"])
def test_unusable_store_is_exit_2_and_untouched(
    store_dir: Path, capsys: pytest.CaptureFixture[str], damage: str,
) -> None:
    run_id = finished_run(store_dir)
    db = store_dir / "flowdsl.db"
    if damage == "newer":
        conn = sqlite3.connect(db)
        conn.execute("PRAGMA user_version=99")
        conn.close()
    elif damage == "corrupt":
        db.write_bytes(b"garbage" * 1000)
        for extra in ("flowdsl.db-wal", "flowdsl.db-shm"):
            (store_dir / extra).unlink(missing_ok=True)
    else:
        db.unlink()
        conn = sqlite3.connect(db)
        conn.execute("CREATE TABLE notes (t TEXT)")
        conn.commit()
        conn.close()
    before = {p.name: p.read_bytes() for p in store_dir.rglob("*") if p.is_file()}
    for argv in (["runs", "list"], ["runs", "status", run_id], ["runs", "resume", run_id],
                 ["runs", "rm", run_id], ["save", run_id, "keep"]):
        code, _, err = run_cli(capsys, *argv)
        assert (code, one_line_error(err)) == (2, True), (argv, err)
    after = {p.name: p.read_bytes() for p in store_dir.rglob("*") if p.is_file()}
    assert after == before


def test_rm_deletes_a_finished_run(store_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_id = finished_run(store_dir)
    code, out, _ = run_cli(capsys, "runs", "rm", run_id, "--json")
    assert code == 0
    assert json.loads(out) == {"run_id": run_id, "deleted": True}
    with Store.open(store_dir) as store:
        assert store.list_runs() == []
        assert store.conn.execute("SELECT count(*) FROM journal").fetchone()[0] == 0


def test_save_a_run_and_a_file_then_find_and_list_them(
    store_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    run_id = finished_run(store_dir)
    code, out, _ = run_cli(capsys, "save", run_id, "fan", "--json")
    assert code == 0
    saved = Path(json.loads(out)["path"])
    assert saved == store_dir / "workflows" / "fan.flow.py"
    assert saved.read_text() == FANOUT
    other = tmp_path / "other.flow.py"
    other.write_text(FANOUT.replace("fanout", "other"))
    assert run_cli(capsys, "save", str(other), "second")[0] == 0
    code, _, err = run_cli(capsys, "save", str(other), "second")
    assert code == 2
    assert "already exists" in err
    assert run_cli(capsys, "save", str(other), "second", "--force")[0] == 0
    code, out, _ = run_cli(capsys, "workflows", "--json")
    listed = [w for w in json.loads(out) if w["source"] != "bundled"]  # listed after these
    assert [(w["name"], w["source"]) for w in listed] == [("fan", "flowdsl"), ("second", "flowdsl")]
    assert find_workflow("fan", tmp_path) == saved
    code, _, err = run_cli(capsys, "save", "nosuch", "x")
    assert code == 2
    assert one_line_error(err)


def test_find_workflow_search_order(tmp_path: Path, store_dir: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    deep = repo / "a" / "b"
    deep.mkdir(parents=True)
    claude = repo / ".claude" / "workflows"
    claude.mkdir(parents=True)
    (claude / "review.js").write_text("// js")
    assert find_workflow("review", deep) == claude / "review.js"
    (store_dir / "workflows").mkdir(parents=True)
    (store_dir / "workflows" / "review.flow.py").write_text("# py")
    assert find_workflow("review", deep) == store_dir / "workflows" / "review.flow.py"
    (deep / "review").write_text("exact")
    assert find_workflow("review", deep) == deep / "review"
    assert find_workflow("missing", deep) is None
    assert find_workflow("../../etc/passwd", deep) is None


def test_a_script_calls_a_saved_workflow_by_name(
    store_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    child = tmp_path / "child.flow.py"
    child.write_text('meta = {"name": "child", "description": "d"}\n'
                     'return await agent("child " + args["x"])\n')
    assert run_cli(capsys, "save", str(child), "helper")[0] == 0
    child.unlink()
    parent = ('meta = {"name": "parent", "description": "d"}\n'
              'return await workflow("helper", {"x": "1"})\n')
    compiled = compile_source(parent, str(tmp_path / "elsewhere" / "parent.flow.py"))
    result = anyio.run(lambda: run_journaled(compiled, args=None, backend=SleepBackend(),
                                             options=RunOptions.resolve(store=store_dir)))
    assert result.value == "done: child 1"


def test_logs_follow_ends_when_the_run_ends(
    store_dir: Path, tmp_path: Path, env: dict[str, str], cli: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for key in ("PYTHONPATH", "FLOWDSL_STORE"):
        monkeypatch.setenv(key, env[key])
    monkeypatch.setenv("FLOWDSL_TEST_LATENCY", "0.05")
    script = tmp_path / "fanout.flow.py"
    script.write_text(FANOUT)
    run_id = start_background(script, args={"n": 6},
                              options=RunOptions.resolve(backend="flowstore_helpers:CountingBackend"))
    followed = cli("runs", "logs", run_id, "--follow", timeout=30)
    assert followed.code == 0
    lines = followed.out.splitlines()
    assert "== Reduce" in followed.out
    assert lines[-1].endswith("-- completed")
    as_json = cli("runs", "logs", run_id, "--json")
    kinds = [json.loads(line)["kind"] for line in as_json.out.splitlines()]
    assert kinds[0] == "status"
    assert "phase" in kinds


def test_run_background_stores_the_run_commands_options(
    store_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    """``flowdsl run FILE --background --json`` stores its flags as the run's options."""
    script = tmp_path / "fanout.flow.py"
    script.write_text(FANOUT)
    code, out, _ = run_cli(capsys, "run", str(script), "--background", "--json",
                           "--backend", "simulate", "--model", "m", "--concurrency", "3",
                           "--max-agents", "50", "--timeout", "30", "--args", '{"n": 2}')
    assert code == 0
    started = json.loads(out)
    assert started["status"] == "running"
    code, out, _ = run_cli(capsys, "runs", "result", started["run_id"], "--wait", "--json")
    assert code == 0
    assert len(json.loads(out)["result"]["outs"]) == 2
    with Store.open(store_dir) as store:
        options = store.get_run(started["run_id"]).options
    assert options["concurrency"] == 3
    picked = (options["backend"], options["model"], options["agent_timeout"])
    assert picked == ("simulate", "m", 30.0)


def test_workflows_lists_claude_ones_only_with_the_js_layer(
    store_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from flowdsl._durable import _workflow_lookup as lookup

    (tmp_path / ".git").mkdir()
    claude = tmp_path / ".claude" / "workflows"
    claude.mkdir(parents=True)
    (claude / "triage.js").write_text("// js")
    monkeypatch.setattr(lookup, "frontend_available", lambda suffix: False)
    assert lookup.list_workflows(tmp_path) == []
    monkeypatch.setattr(lookup, "frontend_available", lambda suffix: True)
    [found] = lookup.list_workflows(tmp_path)
    assert (found.name, found.source, found.path) == ("triage", "claude", claude / "triage.js")
