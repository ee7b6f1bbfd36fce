"""``flowdsl run``: every agent ends in one outcome, and the exit code says what happened."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from flowdsl._cli import main

BACKEND = "tests.cli.outcome_backends:create"


def run(capsys: pytest.CaptureFixture[str], path: Path, *flags: str) -> tuple[int, str, str]:
    code = main(["run", str(path), "--backend", BACKEND, *flags])
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys: pytest.CaptureFixture[str], path: Path,
             *flags: str) -> tuple[int, dict[str, Any]]:
    code, out, _ = run(capsys, path, "--json", *flags)
    data: dict[str, Any] = json.loads(out)
    assert data["exit_code"] == code
    return code, data


def test_all_ok_exits_0(capsys: pytest.CaptureFixture[str],
                        script: Callable[..., Path]) -> None:
    code, err_json = run_json(capsys, script('return await parallel(agent(f"a{i}") '
                                             'for i in range(3))'))
    assert code == 0
    assert err_json["agents"] == {"total": 3, "ok": 3, "failed": 0, "refused": 0,
                                  "cancelled": 0, "replayed": 0}


def test_failed_agents_exit_3_with_reasons_grouped(capsys: pytest.CaptureFixture[str],
                                                   script: Callable[..., Path]) -> None:
    body = 'return await parallel(agent(f"fail {i}") for i in range(50))'
    code, _, err = run(capsys, script(body))
    assert code == 3
    assert "status: completed" in err
    assert "agents: 0 ok, 50 failed" in err
    assert "50 × BackendError: HTTP 500: the server had an error" in err
    assert "exit 3: completed, but agents failed" in err


def test_budget_refusals_are_counted_and_exit_3(capsys: pytest.CaptureFixture[str],
                                                script: Callable[..., Path]) -> None:
    body = 'return await parallel(agent(f"a{i}") for i in range(100))'
    code, data = run_json(capsys, script(body), "--budget", "4000", "--concurrency", "1")
    assert code == 3
    agents = data["agents"]
    assert agents["ok"] == 34  # 34 x 120 tokens reach 4,000
    assert agents["refused"] == 66
    assert data["status"] == "completed"


def test_the_summary_names_the_refusal_reason(capsys: pytest.CaptureFixture[str],
                                              script: Callable[..., Path]) -> None:
    body = 'return await parallel(agent(f"a{i}") for i in range(10))'
    code, _, err = run(capsys, script(body), "--budget", "200", "--concurrency", "1")
    assert code == 3
    assert "8 × refused: BudgetExceeded" in err


@pytest.mark.parametrize(("allow", "expected"), [("1", 3), ("2", 0), ("20%", 0), ("19%", 3)])
def test_allow_failures_accepts_some(capsys: pytest.CaptureFixture[str],
                                     script: Callable[..., Path], allow: str,
                                     expected: int) -> None:
    body = 'return await parallel(agent(p) for p in ["fail 1", "fail 2"] + ["x"] * 8)'
    code, _, _ = run(capsys, script(body), "--allow-failures", allow)
    assert code == expected


def test_a_config_error_ends_the_run_at_once_with_exit_2(capsys: pytest.CaptureFixture[str],
                                                         script: Callable[..., Path]) -> None:
    body = '''
        first = await agent("config bad key")
        return await parallel(agent(f"a{i}") for i in range(20))
    '''
    code, data = run_json(capsys, script(body))
    assert code == 2
    assert data["status"] == "failed"
    assert data["error_type"] == "BackendConfigError"
    assert data["agents"]["total"] == 1  # nothing was sent after it


def test_the_failure_policy_stops_dispatch_and_fails_the_run(
        capsys: pytest.CaptureFixture[str], script: Callable[..., Path]) -> None:
    body = 'return await parallel(agent(f"fail {i}") for i in range(20))'
    code, data = run_json(capsys, script(body), "--max-failures", "3", "--concurrency", "1")
    assert code == 1
    assert data["status"] == "failed"
    assert data["error_type"] == "FailurePolicyExceeded"
    assert "4 agents failed, more than max_failures=3" in data["error"]
    assert (data["agents"]["failed"], data["agents"]["refused"]) == (4, 16)


def test_a_percentage_policy_waits_for_ten_agents(capsys: pytest.CaptureFixture[str],
                                                  script: Callable[..., Path]) -> None:
    body = 'return await parallel(agent(p) for p in ["fail"] + ["x"] * 9 + ["fail"] * 5)'
    code, data = run_json(capsys, script(body), "--max-failures", "20%", "--concurrency", "1")
    assert code == 1
    assert data["agents"]["failed"] == 3  # 3 of 12 finished > 20 %; the rest refused
    assert data["agents"]["refused"] == 3


def test_the_run_timeout_cancels_running_and_refuses_waiting_agents(
        capsys: pytest.CaptureFixture[str], script: Callable[..., Path]) -> None:
    body = 'return await parallel(agent(f"slow {i}") for i in range(4))'
    code, data = run_json(capsys, script(body), "--concurrency", "2", "--run-timeout", "0.5")
    assert code == 1
    assert data["error_type"] == "RunTimeout"
    assert (data["agents"]["cancelled"], data["agents"]["refused"]) == (2, 2)


def test_bad_max_failures_is_bad_input(capsys: pytest.CaptureFixture[str],
                                       script: Callable[..., Path]) -> None:
    code, _, err = run(capsys, script('return 1'), "--max-failures", "lots")
    assert code == 2
    assert "max_failures must be a number of agents (10) or a percentage (5%)" in err


def test_max_cost_refuses_past_the_cap_and_exits_3(capsys: pytest.CaptureFixture[str],
                                                  script: Callable[..., Path]) -> None:
    body = 'return await parallel(agent(f"priced {i}") for i in range(20))'
    code, _, err = run(capsys, script(body), "--max-cost", "0.05", "--concurrency", "1")
    assert code == 3
    assert "agents: 5 ok, 0 failed, 15 refused" in err
    assert "15 × refused: CostLimitExceeded" in err
    assert "cost: $0.0500" in err


def test_max_cost_must_be_dollars(capsys: pytest.CaptureFixture[str],
                                  script: Callable[..., Path]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["run", str(script('return 1')), "--max-cost", "five"])
    assert info.value.code == 2
    assert "expected US dollars like 5 or 2.50, got 'five'" in capsys.readouterr().err
