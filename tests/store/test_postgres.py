"""The store on PostgreSQL: schema and migrations, refusals, connection errors, liveness.

The behaviour both databases share is tested over both (the ``store_at`` fixture in
``test_runs``, ``test_journal``, ``test_usage_query``); here is what is PostgreSQL's own,
against a throwaway cluster (``conftest.py``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

from flowdsl import RunResult
from flowdsl._store import Store, StoreMissing, _postgres, mask_url, resolve_store_dir
from flowdsl._store._location import local_dir
from flowdsl._store._sqlite import SCHEMA_VERSION
from flowdsl._types import AgentRecord, AgentRequest, Usage
from flowdsl.errors import StoreCorrupt, StoreError, StoreVersionError, UsageError
from flowdsl.testing import PostgresCluster

PASSWORD = "s3cret-pw-for-tests"  # conftest's


def sql(url: str, statement: str) -> list[Any]:
    with psycopg.connect(url, autocommit=True) as conn:
        cur = conn.execute(statement)
        return cur.fetchall() if cur.description else []


def new_run(store: Store) -> str:
    return store.create_run(name="t", script_path="t.flow.py", script_text="", args=None,
                            options={}, background=False)


def agent(prompt: str) -> AgentRecord:
    return AgentRecord(request=AgentRequest(prompt=prompt), status="ok", output=prompt,
                       usage=Usage(input_tokens=1, output_tokens=1))


def all_at_once(n: int, work: Callable[[], object]) -> list[BaseException]:
    """Run ``work`` in ``n`` threads released together; the errors they raised."""
    barrier = threading.Barrier(n)
    errors: list[BaseException] = []

    def go() -> None:
        barrier.wait()
        try:
            work()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=go) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def test_the_schema_is_versioned_marked_and_in_a_schema_of_its_own(pg_url: str) -> None:
    Store.open(pg_url).close()
    assert sql(pg_url, "SELECT application, version FROM flowdsl.store_meta") == [
        ("flowdsl", SCHEMA_VERSION)]
    tables = sql(pg_url, "SELECT table_schema, table_name FROM information_schema.tables "
                         "WHERE table_schema NOT IN ('pg_catalog', 'information_schema')")
    assert sorted(tables) == [("flowdsl", t) for t in ("events", "journal", "runs",
                                                       "store_meta")]


def test_every_sqlite_migration_has_its_postgresql_twin() -> None:
    assert _postgres.BASE_VERSION + len(_postgres.PG_MIGRATIONS) == SCHEMA_VERSION


def test_a_new_store_opened_by_many_at_once_is_created_once(pg_url: str) -> None:
    assert all_at_once(8, lambda: Store.open(pg_url).close()) == []
    assert sql(pg_url, "SELECT count(*) FROM flowdsl.store_meta") == [(1,)]


def test_a_migration_runs_once_under_concurrent_opens_and_keeps_data(
        pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with Store.open(pg_url) as store:
        run_id = new_run(store)
    step = ("ALTER TABLE flowdsl.events ADD COLUMN extra TEXT",)  # fails when run twice
    monkeypatch.setattr(_postgres, "PG_MIGRATIONS", (*_postgres.PG_MIGRATIONS, step))
    assert all_at_once(8, lambda: Store.open(pg_url).close()) == []
    assert sql(pg_url, "SELECT version FROM flowdsl.store_meta") == [(SCHEMA_VERSION + 1,)]
    with Store.open(pg_url, read_only=True) as store:
        assert store.get_run(run_id).name == "t"


def test_a_read_only_open_of_an_older_store_upgrades_it_first(
        pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    Store.open(pg_url).close()
    monkeypatch.setattr(_postgres, "PG_MIGRATIONS", (
        *_postgres.PG_MIGRATIONS, ("ALTER TABLE flowdsl.events ADD COLUMN extra TEXT",)))
    Store.open(pg_url, read_only=True).close()
    assert sql(pg_url, "SELECT version FROM flowdsl.store_meta") == [(SCHEMA_VERSION + 1,)]


@pytest.mark.parametrize("setup", [
    "CREATE SCHEMA flowdsl; CREATE TABLE flowdsl.runs (x int)",
    "CREATE SCHEMA flowdsl; CREATE TABLE flowdsl.store_meta (application text, version int);"
    "INSERT INTO flowdsl.store_meta VALUES ('other', 1)",
])
def test_a_foreign_flowdsl_schema_is_refused_and_left_untouched(pg_url: str, setup: str) -> None:
    sql(pg_url, setup)
    before = sql(pg_url, "SELECT table_name FROM information_schema.tables "
                         "WHERE table_schema = 'flowdsl'")
    with pytest.raises(StoreCorrupt, match="not a flowdsl store") as error:
        Store.open(pg_url)
    assert "nothing was changed" in str(error.value)
    assert sql(pg_url, "SELECT table_name FROM information_schema.tables "
                       "WHERE table_schema = 'flowdsl'") == before


def test_other_schemas_of_the_database_are_left_alone(pg_url: str) -> None:
    sql(pg_url, "CREATE SCHEMA dbos; CREATE TABLE dbos.queue (x int); "
                "CREATE TABLE public.runs (x int)")
    with Store.open(pg_url) as store:
        run_id = new_run(store)  # the store's own runs table, not public.runs
        assert store.get_run(run_id).id == run_id
    assert sql(pg_url, "SELECT count(*) FROM public.runs") == [(0,)]


def test_a_newer_store_is_refused_and_left_untouched(pg_url: str) -> None:
    Store.open(pg_url).close()
    sql(pg_url, "UPDATE flowdsl.store_meta SET version = 99")
    for read_only in (False, True):
        with pytest.raises(StoreVersionError, match=r"version 99 is newer .*upgrade flowdsl"):
            Store.open(pg_url, read_only=read_only)
    assert sql(pg_url, "SELECT version FROM flowdsl.store_meta") == [(99,)]


def test_an_absent_store_is_not_created_by_reads_or_without_create(pg_url: str) -> None:
    for kwargs in ({"read_only": True}, {"create": False}):
        with pytest.raises(StoreMissing, match="no flowdsl store in this database"):
            Store.open(pg_url, **kwargs)
    assert sql(pg_url, "SELECT count(*) FROM pg_namespace WHERE nspname = 'flowdsl'") == [(0,)]


def test_a_wrong_password_is_one_line_naming_the_server_but_no_password(
        pg_cluster: PostgresCluster, pg_url: str) -> None:
    wrong = "not-the-Password-42"
    db = pg_url.rsplit("/", 1)[1]
    with pytest.raises(StoreError) as error:
        Store.open(pg_cluster.url(db, password=wrong))
    message = str(error.value)
    assert f"{pg_cluster.host}:{pg_cluster.port}/{db}" in message
    assert "password authentication failed" in message
    assert wrong not in message
    assert PASSWORD not in message
    assert "\n" not in message


def test_a_refused_connection_and_a_missing_database_are_one_line(
        pg_cluster: PostgresCluster) -> None:
    with pytest.raises(StoreError, match=r"127\.0\.0\.1:1/x: cannot connect") as error:
        Store.open(f"postgresql://u:{PASSWORD}@127.0.0.1:1/x")
    assert PASSWORD not in str(error.value)
    with pytest.raises(StoreError, match='database "no_such_db" does not exist'):
        Store.open(pg_cluster.url("no_such_db"))


def test_a_read_only_store_refuses_writes(pg_url: str) -> None:
    with Store.open(pg_url) as store:
        run_id = new_run(store)
    with Store.open(pg_url, read_only=True) as store:
        with pytest.raises(StoreError, match="the store is read-only") as error:
            store.append_journal(run_id, "k", agent("k"))
        assert "\n" not in str(error.value)
        assert store.get_run(run_id).agents_done == 0  # and reads still work


def test_the_password_is_masked_and_does_not_key_the_local_folder() -> None:
    url = "postgresql://me:pa%40ss@db.example:5433/runs?sslmode=require"
    assert mask_url(url) == "postgresql://me:***@db.example:5433/runs?sslmode=require"
    assert mask_url("postgres://h/d?password=x&a=b") == "postgres://h/d?password=***&a=b"
    other = url.replace("pa%40ss", "changed")
    assert local_dir(url, "/s") == local_dir(other, "/s") != local_dir(url + "x", "/s")
    assert local_dir(url, "/s").parent == Path("/s/flowdsl/stores")


def test_a_url_store_keeps_logs_and_workflows_in_its_local_folder(
        pg_url: str, tmp_path: Path) -> None:
    with Store.open(pg_url) as store:
        assert store.directory == resolve_store_dir(pg_url)
        assert store.directory.is_relative_to(tmp_path / "state")  # $XDG_STATE_HOME
        assert store.log_path("abc").parent == store.directory / "logs"
        assert not store.release_reserve()  # no disk reserve beside a server's database
        assert PASSWORD not in store.where


@pytest.mark.parametrize("store_kind", ["sqlite", "postgresql"])
def test_sixteen_concurrent_writers_lose_no_row(
        store_kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    location = (str(tmp_path / "store") if store_kind == "sqlite"
                else request.getfixturevalue("pg_url"))
    with Store.open(location) as store:
        run_id = new_run(store)
    writers, batches = 16, 10
    names = iter(range(writers))
    lock = threading.Lock()

    def write() -> None:
        with lock:
            me = next(names)
        with Store.open(location) as store:
            for b in range(batches):
                rows = [(f"{me}-{b}-{i}", agent(f"{me}-{b}-{i}")) for i in range(3)]
                store.append_journal_batch(run_id, rows, [(run_id, time.time(), "log", "x")])
                store.append_journal(run_id, f"{me}-{b}-single", agent("single"))
                store.heartbeat(run_id)

    assert all_at_once(writers, write) == []
    with Store.open(location) as store:
        keys = [entry.key for entry in store.journal(run_id)]
        assert len(keys) == len(set(keys)) == writers * batches * 4
        assert sum(e.kind == "log" for e in store.events(run_id)) == writers * batches
        assert store.get_run(run_id).agents_done == writers * batches * 4


def test_a_worker_on_another_host_is_live_while_its_heartbeat_is_fresh(pg_url: str) -> None:
    with Store.open(pg_url) as store:
        run_id = new_run(store)
        store.claim(run_id, pid=1)  # pid 1 on the other host, not ours
        sql(pg_url, f"UPDATE flowdsl.runs SET host = 'elsewhere' WHERE id = '{run_id}'")
        store.heartbeat(run_id)
        assert store.get_run(run_id).status == "running"
        stale = time.time() - 31  # STALE_AFTER: 15 heartbeats of 2 s
        sql(pg_url, f"UPDATE flowdsl.runs SET heartbeat = {stale} WHERE id = '{run_id}'")
        assert store.get_run(run_id).status == "interrupted"


def test_a_claim_by_a_second_worker_of_a_live_run_is_refused(pg_url: str) -> None:
    with Store.open(pg_url) as store, Store.open(pg_url) as other:
        run_id = new_run(store)
        store.claim(run_id, pid=os.getpid())  # alive: this process
        with pytest.raises(UsageError, match="already running"):
            other.claim(run_id, pid=os.getpid() + 1)
        store.finish(run_id, RunResult(status="completed"))


def test_sqlite_users_do_not_import_psycopg(tmp_path: Path) -> None:
    code = ("import sys\nfrom flowdsl._cli import main\n"
            f"main(['runs', 'list', '--store', {str(tmp_path)!r}])\n"
            "from flowdsl._store import Store\n"
            f"Store.open({str(tmp_path / 's')!r}).close()\n"
            "assert 'psycopg' not in sys.modules, 'psycopg imported'\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr


def test_a_connection_the_server_dropped_fails_once_then_reconnects(pg_url: str) -> None:
    with Store.open(pg_url) as store:
        run_id = new_run(store)
        pid = store.pg.info.backend_pid  # type: ignore[attr-defined]
        sql(pg_url, f"SELECT pg_terminate_backend({pid})")
        with pytest.raises(StoreError) as error:
            store.heartbeat(run_id)
        assert "\n" not in str(error.value)
        store.heartbeat(run_id)  # a new connection
        assert store.get_run(run_id).heartbeat is not None


def test_a_url_store_without_psycopg_says_what_to_install(tmp_path: Path) -> None:
    code = ("import sys\nsys.modules['psycopg'] = None  # as if not installed\n"
            "from flowdsl._store import Store\nfrom flowdsl.errors import StoreError\n"
            "try:\n    Store.open('postgresql://u:pw@127.0.0.1:1/db')\n"
            "except StoreError as exc:\n    print(exc)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.stdout.strip() == ("postgresql://u:***@127.0.0.1:1/db: a PostgreSQL store "
                                   "needs psycopg 3: pip install 'flowdsl[distributed]'")


def test_a_nul_character_in_an_agents_output_does_not_fail_the_write(pg_url: str) -> None:
    with Store.open(pg_url) as store:
        run_id = new_run(store)
        store.append_journal(run_id, "k", agent("before\x00after"))
        [entry] = store.journal(run_id)
        assert entry.record.output == "before\ufffdafter"  # PostgreSQL text holds no NUL
