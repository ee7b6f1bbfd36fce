"""``flowdsl runs cost``: tokens and $ by run, workflow, phase and model, from the store.

The store is filled by real runs (``report_stores``); every figure is checked against the
journal rows read back through ``Store.journal``.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from flowdsl import Store, Usage
from flowdsl._cli import main

from .report_stores import REVIEW, UNPRICED_MODEL, fill_store, run_workflow, write


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cost")
    fill_store(folder, folder / "store")
    return folder / "store"


def cost_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    assert main(["runs", "cost", *argv, "--json"]) == 0
    data: dict[str, Any] = json.loads(capsys.readouterr().out)
    return data


def journal_usage(store: Path) -> dict[tuple[str, str], Usage]:
    """Usage summed from the journal rows, by (run id, model the run used)."""
    sums: dict[tuple[str, str], Usage] = defaultdict(Usage)
    with Store.open(store) as opened:
        for info in opened.list_runs():
            default = info.options.get("model") or "(default)"
            for entry in opened.journal(info.id):
                model = entry.record.request.model or default
                sums[(info.id, str(model))] += entry.record.usage
    return sums


def test_every_table_adds_up_to_the_journal(store: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    data = cost_json(capsys, "--store", str(store))
    sums = journal_usage(store)
    total_in = sum(u.input_tokens for u in sums.values())
    assert data["total"]["usage"]["input_tokens"] == total_in
    for table in ("runs", "workflows", "phases", "models"):
        assert sum(row["usage"]["input_tokens"] for row in data[table]) == total_in
        assert sum(row["usage"]["unpriced_tokens"] for row in data[table]) == \
            data["total"]["usage"]["unpriced_tokens"]
    assert len(data["runs"]) == 4
    assert {row["workflow"] for row in data["workflows"]} == {"review", "summary"}


def test_models_are_summed_across_runs(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = cost_json(capsys, "--store", str(store))
    by_model: dict[str, Usage] = defaultdict(Usage)
    for (_, model), usage in journal_usage(store).items():
        by_model[model] += usage
    assert {row["model"]: row["usage"]["output_tokens"] for row in data["models"]} == \
        {model: usage.output_tokens for model, usage in by_model.items()}
    priced = next(row for row in data["models"] if row["model"] == "gpt-4.1")
    assert priced["usage"]["cost_usd"] == pytest.approx(by_model["gpt-4.1"].cost_usd)
    assert priced["usage"]["cost_usd"] > 0


def test_a_model_without_a_price_costs_null_not_zero(store: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    data = cost_json(capsys, "--store", str(store))
    local = next(row for row in data["models"] if row["model"] == UNPRICED_MODEL)
    assert local["usage"]["cost_usd"] is None
    assert local["usage"]["cost_complete"] is False
    assert local["usage"]["unpriced_tokens"] == local["usage"]["input_tokens"] + \
        local["usage"]["output_tokens"] > 0
    assert data["total"]["usage"]["cost_complete"] is False
    assert data["total"]["usage"]["cost_usd"] > 0  # the priced part


def test_text_shows_unknown_never_zero_dollars(store: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["runs", "cost", "--store", str(store)]) == 0
    out = capsys.readouterr().out
    local = next(line for line in out.splitlines() if line.strip().startswith(UNPRICED_MODEL))
    assert local.endswith("unknown")
    assert "$0.0000" not in out
    assert "+ unknown" in out
    for title in ("By run", "By workflow", "By phase", "By model", "Total: 4 runs"):
        assert title in out


def test_one_run_only(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with Store.open(store) as opened:
        run = opened.list_runs()[-1]  # the oldest: review on the default model
        journal = opened.journal(run.id)
    data = cost_json(capsys, run.id[:6], "--store", str(store))
    assert [row["run_id"] for row in data["runs"]] == [run.id]
    assert data["total"]["agents"] == len(journal)
    assert data["total"]["not_ok"] == 1
    phases = {row["phase"]: row["agents"] for row in data["phases"]}
    assert phases == {"Scan": 7, "Judge": 2}


def test_since_keeps_the_runs_started_after(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    review = write(tmp_path, "review.flow.py", REVIEW)
    store = tmp_path / "store"
    run_workflow(review, store)
    time.sleep(0.05)
    cut = datetime.fromtimestamp(time.time()).isoformat(timespec="milliseconds")
    run_workflow(review, store, "--model", "gpt-4o-mini")
    capsys.readouterr()
    assert len(cost_json(capsys, "--store", str(store), "--since", cut)["runs"]) == 1
    assert len(cost_json(capsys, "--store", str(store), "--since", "1h")["runs"]) == 2
    late = cost_json(capsys, "--store", str(store), "--since", "2999-01-01")
    assert late["runs"] == []
    assert late["total"]["agents"] == 0


@pytest.mark.parametrize("argv", [["--since", "yesterday"], ["--since", "7x"],
                                  ["abc", "--since", "7d"], ["nosuchrun"]])
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, store: Path, argv: list[str],
                                          capsys: pytest.CaptureFixture[str]) -> None:
    try:
        code = main(["runs", "cost", "--store", str(store), *argv])
    except SystemExit as exc:  # argparse rejects a bad --since while parsing
        code = int(str(exc.code))
    assert code == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("flowdsl: error: ")


def test_an_empty_store_has_no_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["runs", "cost", "--store", str(tmp_path / "none")]) == 0
    assert capsys.readouterr().err == "no runs\n"


def test_runs_cost_imports_nothing_heavy(tmp_path: Path, store: Path) -> None:
    from tests.test_import_cost import HEAVY, RUNTIME, loaded, packages

    modules, out = loaded(tmp_path, tmp_path, "runs", "cost", "--store", str(store))
    assert "By model" in out
    assert packages(modules, HEAVY | RUNTIME) == set()


def test_since_reads_dates_in_local_time_and_ages() -> None:
    from flowdsl._cli._cmd_report import since_time

    assert since_time("2026-12-01") == datetime(2026, 12, 1).timestamp()
    assert since_time("2026-12-01T10:00") == datetime(2026, 12, 1, 10).timestamp()
    assert since_time("2026-12-01T10:00+00:00") == 1796119200.0
    now = time.time()
    assert now - 86400 - 60 < since_time("24h") <= now - 86400 + 60
    assert now - 7 * 86400 - 60 < since_time("7d") <= now - 7 * 86400 + 60
