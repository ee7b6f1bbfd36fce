"""The Python API with ``store="postgresql://..."``: a journaled run, then ``resume``."""

from __future__ import annotations

import textwrap
from pathlib import Path

import flowdsl
from flowdsl._store import Store

SCRIPT = textwrap.dedent('''\
    meta = {"name": "api", "description": "two agents"}
    a = await agent("first")
    b = await agent("second")
    return [a, b]
''')
BROKEN = SCRIPT.replace("return [a, b]", "raise ValueError('fix me')")


def test_a_journaled_run_and_its_resume_use_the_url_store(pg_url: str, tmp_path: Path) -> None:
    script = tmp_path / "api.flow.py"
    script.write_text(BROKEN)
    failed = flowdsl.run(script, backend="simulate", journal=True, store=pg_url)
    assert failed.status == "failed"
    assert failed.run_id is not None
    with Store.open(pg_url, read_only=True) as store:
        assert [e.record.request.prompt for e in store.journal(failed.run_id)] == [
            "first", "second"]
    script.write_text(SCRIPT)
    again = flowdsl.resume(failed.run_id, store=pg_url, script=script, backend="simulate")
    assert again.status == "completed", again.error
    assert again.outcomes()["replayed"] == 2  # from the journal in PostgreSQL, none re-run
    assert isinstance(again.value, list)
    assert len(again.value) == 2
