"""The CLI through its entry point: exit codes, --json, dry runs, one-line errors."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from flowdsl._cli import _Parser, build_parser, main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_run_example_completes_and_prints_result(capsys):
    code, out, err = run_cli(capsys, "run", str(EXAMPLES / "review_fanout.flow.py"),
                             "--backend", "simulate")
    assert code == 0
    assert "status: completed" in err
    assert json.loads(out)["summary"].startswith("[simulated summary]")


def test_run_json_prints_one_object(capsys, script):
    path = script('return await agent("x")')
    code, out, _ = run_cli(capsys, "run", str(path), "--backend", "simulate", "--json")
    assert code == 0
    data = json.loads(out)
    assert set(data) == {"run_id", "status", "result", "error", "error_type", "usage", "agents",
                         "paused", "exit_code"}
    assert data["paused"] is None
    assert data["status"] == "completed"
    assert data["agents"] == {"total": 1, "ok": 1, "failed": 0, "refused": 0, "cancelled": 0,
                              "replayed": 0}
    assert set(data["usage"]) == {"input_tokens", "output_tokens", "cost_usd", "cost_complete",
                                  "unpriced_tokens"}


def test_args_from_json_text_and_file(capsys, script, tmp_path):
    path = script('return args["n"] + 1')
    assert json.loads(run_cli(capsys, "run", str(path), "--backend", "simulate",
                              "--args", '{"n": 1}')[1]) == 2
    args_file = tmp_path / "a.json"
    args_file.write_text('{"n": 5}')
    assert json.loads(run_cli(capsys, "run", str(path), "--backend", "simulate",
                              "--args", f"@{args_file}")[1]) == 6


def test_invalid_args_json_exits_2_with_position(capsys, script):
    code, _, err = run_cli(capsys, "run", str(script("return 1")), "--backend", "simulate",
                           "--args", '{"n": }')
    assert code == 2
    assert err.startswith("flowdsl: error: --args:1:7: invalid JSON")
    assert err.count("\n") == 1


def test_failed_run_exits_1_and_says_why(capsys, script):
    code, _, err = run_cli(capsys, "run", str(script('raise ValueError("broken")')),
                           "--backend", "simulate")
    assert code == 1
    assert "status: failed" in err
    assert "ValueError: broken" in err


def test_failed_agents_are_reported_loudly(capsys, script):
    body = 'return await parallel(agent(str(i), timeout=0.01) for i in range(3))'
    code, _, err = run_cli(capsys, "run", str(script(body)), "--backend",
                           "tests.cli.slow_backend:create")
    assert code == 3
    assert "WARNING: 3 of 3 agents did not succeed (100%)" in err
    assert "3 × timeout" in err


def test_dry_run_reports_agent_count_and_projected_tokens(capsys):
    code, _, err = run_cli(capsys, "run", str(EXAMPLES / "budget_loop.flow.py"), "--dry-run")
    assert code == 0
    assert "dry run:" in err
    assert "agents would run" in err


def test_missing_file_exits_2(capsys, tmp_path):
    code, _, err = run_cli(capsys, "run", str(tmp_path / "nope.flow.py"), "--backend", "simulate")
    assert code == 2
    assert "nope.flow.py" in err


def test_unknown_option_exits_2_in_one_line(capsys, script):
    with pytest.raises(SystemExit) as exc:
        main(["run", str(script("return 1")), "--frobnicate"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "unrecognized arguments: --frobnicate" in err
    assert err.count("\n") == 1


def test_base_url_help_names_every_backend_it_applies_to(capsys):
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    base_url_help = text.rsplit("--base-url URL", 1)[1].split(" --", 1)[0]  # not the usage
    for backend in ("openai", "anthropic", "claude", "codex"):
        assert backend in base_url_help


@pytest.mark.parametrize("columns", [40, 100])
def test_help_is_as_wide_as_argparse_makes_it(monkeypatch, columns):
    monkeypatch.setenv("COLUMNS", str(columns))
    ours = build_parser().format_help()
    monkeypatch.setattr(_Parser, "_get_formatter", argparse.ArgumentParser._get_formatter)
    assert build_parser().format_help() == ours  # argparse's own width, from shutil


def test_script_error_exits_2_with_location(capsys, script):
    path = script("x = (\n", name="bad.flow.py")
    code, _, err = run_cli(capsys, "check", str(path))
    assert code == 2
    assert f"{path}:2" in err


def test_check_validates_without_running(capsys):
    code, out, _ = run_cli(capsys, "check", str(EXAMPLES / "pipeline_verify.flow.py"), "--json")
    assert code == 0
    info = json.loads(out)
    assert info["ok"] is True
    assert info["phases"] == ["Draft", "Verify", "Repair"]


def test_unknown_backend_exits_2(capsys, script):
    code, _, err = run_cli(capsys, "run", str(script("return 1")), "--backend", "nosuch")
    assert code == 2
    assert "unknown backend 'nosuch'" in err


def test_console_script_entry_point_runs(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "flowdsl", "run", str(EXAMPLES / "pipeline_verify.flow.py"),
         "--backend", "simulate", "--json"],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["status"] == "completed"


@pytest.mark.parametrize(
    "example", sorted(p.name for p in EXAMPLES.iterdir() if p.suffix in (".py", ".js")),
)
def test_every_example_completes_on_the_simulate_backend(capsys, example):
    code, _, err = run_cli(capsys, "run", str(EXAMPLES / example), "--backend", "simulate")
    assert code == 0, err
    assert "agents:" in err
    assert "0 failed" in err


def test_foreground_runs_are_journaled_and_listed(capsys, script, private_store):
    code, out, _ = run_cli(capsys, "run", str(script('return await agent("x")')),
                           "--backend", "simulate", "--json")
    run_id = json.loads(out)["run_id"]
    assert code == 0
    assert run_id
    code, out, _ = run_cli(capsys, "runs", "status", run_id, "--json")
    assert json.loads(out)["status"] == "completed"


def test_transpile_writes_python_that_runs_the_same(capsys, tmp_path):
    out_file = tmp_path / "triage.flow.py"
    assert run_cli(capsys, "transpile", str(EXAMPLES / "triage.js"), "-o", str(out_file))[0] == 0
    _, js_out, _ = run_cli(capsys, "run", str(EXAMPLES / "triage.js"), "--backend", "simulate")
    _, py_out, _ = run_cli(capsys, "run", str(out_file), "--backend", "simulate")
    assert json.loads(js_out) == json.loads(py_out)


def test_transpile_refuses_python_input(capsys):
    code, _, err = run_cli(capsys, "transpile", str(EXAMPLES / "budget_loop.flow.py"))
    assert code == 2
    assert "transpile takes a JavaScript workflow" in err
