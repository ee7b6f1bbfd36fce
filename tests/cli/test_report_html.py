"""``flowdsl runs report``: one self-contained HTML file from the store (no browser here;
``test_report_browser`` opens it in Chromium)."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import flowdsl
from flowdsl import AgentRequest, AgentResult, Store, Usage
from flowdsl._cli import main

from .report_stores import REVIEW, run_workflow, write

HOSTILE = '</script><script>alert(1)</script><!-- <img src=x onerror=alert(2)>'


def review_run(tmp_path: Path, *flags: str) -> tuple[Path, str]:
    store = tmp_path / "store"
    run_workflow(write(tmp_path, "review.flow.py", REVIEW), store, *flags)
    with Store.open(store) as opened:
        return store, opened.list_runs()[0].id


def report(tmp_path: Path, store: Path, run_id: str,
           capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    out = tmp_path / "r.html"
    assert main(["runs", "report", run_id, "-o", str(out), "--store", str(store)]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    return out.read_text(encoding="utf-8")


def agents_data(page: str) -> list[dict[str, Any]]:
    match = re.search(r'<script type="application/json" id="report-data">(.*?)</script>',
                      page, re.S)
    assert match is not None
    agents: list[dict[str, Any]] = json.loads(match.group(1))["agents"]
    return agents


def test_default_file_is_in_the_current_directory(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    store, run_id = review_run(tmp_path)
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    assert main(["runs", "report", run_id[:5], "--store", str(store)]) == 0
    path = tmp_path / f"flowdsl-report-{run_id}.html"
    assert capsys.readouterr().out.strip() == str(path)
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_every_journaled_agent_has_a_bar_and_its_data(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    store, run_id = review_run(tmp_path)
    page = report(tmp_path, store, run_id, capsys)
    with Store.open(store) as opened:
        journal = opened.journal(run_id)
    assert len(re.findall(r'data-agent="\d+"', page)) == len(journal) == 9
    data = agents_data(page)
    assert [a["label"] for a in data] == [e.record.request.label for e in journal]
    assert [a["in"] for a in data] == [e.record.usage.input_tokens for e in journal]
    broken = next(a for a in data if a["label"] == "broken")
    assert broken["status"] == "failed"
    assert "HTTP 500" in broken["error"]


def test_totals_failures_logs_and_result_are_shown(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    store, run_id = review_run(tmp_path)
    page = report(tmp_path, store, run_id, capsys)
    for text in ("By phase", "By model", "Scan", "Judge", "gpt-4.1", "my-local-llm",
                 "Failures by reason", "BackendError: HTTP 500: the server had an error",
                 "scanned 6 files", "done: judge everything", run_id):
        assert html.escape(text) in page
    model_rows = page[page.index("By model"):page.index("Failures by reason")]
    local_row = model_rows[model_rows.index("my-local-llm"):]
    assert local_row[:local_row.index("</tr>")].endswith('<td class="n">unknown</td>')


def test_an_unpriced_model_costs_unknown(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    store, run_id = review_run(tmp_path)
    local = next(a for a in agents_data(report(tmp_path, store, run_id, capsys))
                 if a["label"] == "local")
    assert local["cost"] == "unknown"


def test_run_text_cannot_break_out_of_the_page(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    script = write(tmp_path, "evil.flow.py", f'''
        meta = {{"name": {HOSTILE!r}, "description": "hostile text"}}
        phase({HOSTILE!r})
        log({HOSTILE!r})
        await agent("fail " + {HOSTILE!r}, label={HOSTILE!r})
        return await agent({HOSTILE!r}, label="x" + {HOSTILE!r})
    ''')
    store = tmp_path / "store"
    run_workflow(script, store)
    with Store.open(store) as opened:
        run_id = opened.list_runs()[0].id
    page = report(tmp_path, store, run_id, capsys)
    assert "<script>alert" not in page
    assert "<img" not in page
    assert "<!--" not in page
    assert page.count("</script>") == 2  # the data block's and the page script's
    data = agents_data(page)
    assert data[0]["label"] == HOSTILE  # intact once parsed
    assert data[1]["prompt"] == HOSTILE


def test_refused_agents_missing_from_the_journal_are_counted(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script = write(tmp_path, "budget.flow.py", '''
        meta = {"name": "budget", "description": "over budget after the first agent"}
        first = await agent("first task", label="first")
        return await parallel([lambda i=i: agent(f"task {i}", label=f"task {i}")
                               for i in range(3)])
    ''')
    store = tmp_path / "store"
    run_workflow(script, store, "--budget", "50")
    with Store.open(store) as opened:
        run_id = opened.list_runs()[0].id
        journaled = len(opened.journal(run_id))
    page = report(tmp_path, store, run_id, capsys)
    assert journaled == 1
    assert "The run refused 3 agents before sending them" in page
    assert "task 2 refused: BudgetExceeded: budget of 50 tokens exhausted" in page


def test_unknown_run_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store, _ = review_run(tmp_path)
    capsys.readouterr()
    assert main(["runs", "report", "nosuchrun", "--store", str(store)]) == 2
    assert capsys.readouterr().err == f"flowdsl: error: no run 'nosuchrun' in {store}\n"


def test_an_unwritable_output_is_one_line_exit_2(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    store, run_id = review_run(tmp_path)
    capsys.readouterr()
    target = tmp_path / "no" / "such" / "dir" / "r.html"
    assert main(["runs", "report", run_id, "-o", str(target), "--store", str(store)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"flowdsl: error: {target}: cannot write the report")
    assert err.count("\n") == 1


class SnapshotBackend:
    """Answers at once; the agent prompted ``snapshot`` first writes the run's report,
    while the run is still going."""

    def __init__(self, store: Path, out: Path) -> None:
        self.store, self.out = store, out
        self.code: int | None = None

    async def run(self, request: AgentRequest) -> AgentResult:
        if request.prompt == "snapshot":
            with Store.open(self.store) as opened:
                run_id = opened.list_runs()[0].id
            self.code = main(["runs", "report", run_id, "-o", str(self.out),
                              "--store", str(self.store)])
        return AgentResult(output="ok", usage=Usage(input_tokens=10, output_tokens=2))


def test_a_running_run_gives_a_snapshot(tmp_path: Path, script: Callable[..., Path]) -> None:
    path = script('''
        phase("Before")
        await parallel([lambda i=i: agent(f"early {i}", label=f"early {i}") for i in range(3)])
        phase("During")
        return await agent("snapshot", label="snapshot")
    ''')
    backend = SnapshotBackend(tmp_path / "store", tmp_path / "snap.html")
    result = flowdsl.run(path, backend=backend, journal=True, store=str(tmp_path / "store"),
                         isolation="inline")
    assert result.status == "completed"
    assert backend.code == 0
    page = (tmp_path / "snap.html").read_text(encoding="utf-8")
    assert '<span class="badge b-running">running</span>' in page
    assert "A snapshot: the run was running" in page
    assert [a["label"] for a in agents_data(page)] == ["early 0", "early 1", "early 2"]
    assert "No result: the run is still going." in page
