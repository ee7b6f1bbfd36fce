"""A read-only store still answers reads (``runs list/status/result/logs``).

``Store.open(..., read_only=True)`` opens with SQLite ``mode=ro``, which holds even for
root. The last test takes real permissions away (a directory and file nobody may
write); as root, where ``chmod`` stops nothing, it runs the reader in a child without
``CAP_DAC_OVERRIDE`` (``setpriv``), so the kernel really refuses every write.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from flowdsl import RunResult
from flowdsl._store import DB_NAME, Store
from flowdsl._store._sqlite import MIGRATIONS, connect
from flowdsl._types import AgentRecord, AgentRequest, Usage
from flowdsl.errors import StoreError

ROOT = Path(__file__).parent.parent.parent


def agent(prompt: str) -> AgentRecord:
    return AgentRecord(request=AgentRequest(prompt=prompt), status="ok", output=f"<{prompt}>",
                       usage=Usage(input_tokens=3, output_tokens=4), duration=0.01)


def make_store(directory: Path, *, finished: bool = True) -> str:
    with Store.open(directory) as store:
        run_id = store.create_run(name="t", script_path="t.flow.py", script_text="",
                                  args={"a": 1}, options={}, background=False)
        store.append_journal(run_id, "k1", agent("one"), [(run_id, 1.0, "log", "hello")])
        if finished:
            store.finish(run_id, RunResult(status="completed", value={"answer": 42}))
    return run_id


def database(directory: Path) -> tuple[bytes, bytes]:
    """The database file and its WAL: what a write would change.

    (A reader of a WAL database may leave an empty ``-wal`` and a ``-shm`` behind: SQLite
    needs them to read, they hold no data.)
    """
    wal = directory / f"{DB_NAME}-wal"
    return (directory / DB_NAME).read_bytes(), wal.read_bytes() if wal.exists() else b""


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[tuple[Store, str]]:
    run_id = make_store(tmp_path)
    with Store.open(tmp_path, read_only=True) as store:
        yield store, run_id


def test_a_read_only_store_answers_list_status_result_and_logs(
    read_only: tuple[Store, str],
) -> None:
    store, run_id = read_only
    assert store.read_only
    [run] = store.list_runs()
    info = store.get_run(run_id[:4])
    assert (run.id, info.status, info.result, info.agents_done) == (
        run_id, "completed", {"answer": 42}, 1)
    assert [e.text for e in store.events(run_id)][:2] == ["created", "hello"]
    assert [e.record.output for e in store.journal(run_id)] == ["<one>"]
    assert list(store.load_replay(run_id)) == ["k1"]


WRITES: dict[str, Callable[[Store, str], object]] = {
    "create_run": lambda s, _: s.create_run(name="t", script_path="t", script_text="",
                                            args=None, options={}, background=False),
    "append_journal": lambda s, r: s.append_journal(r, "k2", agent("two")),
    "append_journal+events": lambda s, r: s.append_journal(
        r, "k2", agent("two"), [(r, 2.0, "log", "x")]),
    "set_status": lambda s, r: s.set_status(r, "failed"),
    "request_control": lambda s, r: s.request_control(r, "stop"),
    "delete_run": lambda s, r: s.delete_run(r),
}


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_a_read_only_store_refuses_writes_with_one_clear_line(
    tmp_path: Path, write: Callable[[Store, str], object],
) -> None:
    run_id = make_store(tmp_path)
    before = database(tmp_path)
    with Store.open(tmp_path, read_only=True) as store:
        with pytest.raises(StoreError, match="the store is read-only") as error:
            write(store, run_id)
        assert "\n" not in str(error.value)
        assert store.get_run(run_id).status == "completed"  # still usable for reads
    assert database(tmp_path) == before


def test_a_read_only_open_creates_nothing(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no flowdsl store"):
        Store.open(tmp_path / "missing", read_only=True)
    assert not (tmp_path / "missing").exists()


def test_a_read_only_reader_sees_a_live_writers_commits(tmp_path: Path) -> None:
    run_id = make_store(tmp_path, finished=False)
    with Store.open(tmp_path) as writer, Store.open(tmp_path, read_only=True) as reader:
        writer.set_autocheckpoint(False)  # as a worker does: the rows stay in the WAL
        writer.append_journal(run_id, "k2", agent("two"))
        assert reader.get_run(run_id).agents_done == 2
        writer.append_journal(run_id, "k3", agent("three"))
        assert [e.key for e in reader.journal(run_id)] == ["k1", "k2", "k3"]


def test_a_store_that_needs_a_migration_is_refused_read_only_where_it_cannot_be_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    make_store(tmp_path)
    before = database(tmp_path)
    newer = (*MIGRATIONS, ("ALTER TABLE events ADD COLUMN extra TEXT",))
    monkeypatch.setattr(os, "access", lambda *_a, **_k: False)  # root may write anything
    with pytest.raises(StoreError, match="read-only open cannot do") as error:
        connect(tmp_path / DB_NAME, migrations=newer, read_only=True)
    assert "\n" not in str(error.value)
    assert database(tmp_path) == before


def test_a_writable_store_an_older_flowdsl_wrote_is_upgraded_by_a_read(tmp_path: Path) -> None:
    run_id = make_store(tmp_path)
    newer = (*MIGRATIONS, ("ALTER TABLE events ADD COLUMN extra TEXT",))
    conn = connect(tmp_path / DB_NAME, migrations=newer, read_only=True)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(newer)
        assert conn.execute("SELECT id FROM runs").fetchall() == [(run_id,)]
    finally:
        conn.close()


READER = """
import json, sys
from pathlib import Path
from flowdsl._store import Store
from flowdsl.errors import StoreError
directory = Path(sys.argv[1])
out = {}
try:
    (directory / "probe").write_text("x")
    out["writable"] = True
except PermissionError:
    out["writable"] = False
with Store.open(directory, read_only=True) as store:
    out["runs"] = [[r.id, r.status, r.result] for r in store.list_runs()]
    out["events"] = [e.text for e in store.events(out["runs"][0][0])]
try:
    Store.open(directory).create_run(name="t", script_path="t", script_text="", args=None,
                                     options={}, background=False)
except StoreError as exc:
    out["write_error"] = str(exc)
print(json.dumps(out))
"""


def run_unprivileged(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run Python code where file permissions hold (as root: without CAP_DAC_OVERRIDE)."""
    cmd = [sys.executable, "-c", code, *args]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: permissions cannot be enforced")
        cmd = [setpriv, "--bounding-set=-dac_override,-dac_read_search", "--", *cmd]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60)


@pytest.mark.parametrize("writer_open", [False, True], ids=["closed", "live-writer"])
def test_a_store_nobody_may_write_is_still_readable(tmp_path: Path, writer_open: bool) -> None:
    directory = tmp_path / "store"
    run_id = make_store(directory)
    writer = Store.open(directory) if writer_open else None
    if writer is not None:  # a live worker: its last commit is only in the WAL
        writer.set_autocheckpoint(False)
        writer.append_events([(run_id, 5.0, "log", "in the wal")])
    try:
        for path in directory.iterdir():
            path.chmod(0o444)
        directory.chmod(0o555)
        proc = run_unprivileged(READER, str(directory))
    finally:
        directory.chmod(0o755)
        if writer is not None:
            writer.close()
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["writable"] is False
    assert out["runs"] == [[run_id, "completed", {"answer": 42}]]
    assert "hello" in out["events"]
    assert ("in the wal" in out["events"]) is writer_open
    assert "\n" not in out["write_error"]
    assert "read-only" in out["write_error"] or "cannot open" in out["write_error"]
