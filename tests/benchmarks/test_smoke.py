"""The benchmark suite stays runnable: ``python -m benchmarks --quick`` in a temp folder.

No timing is asserted (CI machines are noisy); only that every scenario produced a result
or said why it was skipped, and that the table was written.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = ("efficiency", "overhead", "js_compile", "limits", "resume", "timeouts", "http",
             "boundary", "worktree", "startup")


def test_quick_suite_writes_every_scenario(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--no-plots", "--out", str(tmp_path)],
        cwd=REPO, capture_output=True, text=True, timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    [result_file] = tmp_path.glob("*-quick.json")
    doc = json.loads(result_file.read_text(encoding="utf-8"))
    assert doc["quick"] is True
    assert doc["machine"]["cores"] >= 1
    for key in SCENARIOS:
        scenario = doc["scenarios"][key]
        assert scenario["status"] in ("ok", "skipped"), (key, scenario)
        if scenario["status"] == "skipped":
            assert scenario["reason"], key
    table = result_file.with_suffix(".md").read_text(encoding="utf-8")
    assert "| figure | measured | target | result |" in table


@pytest.mark.parametrize(("content", "says"), [
    (None, "No such file or directory"),
    ('{"a":', ":1:6: not a results file (Expecting value)"),
    ("[1]", 'not a results file (no "scenarios" object)'),
])
def test_a_bad_results_file_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str],
                                                   tmp_path: Path, content: str | None,
                                                   says: str) -> None:
    from benchmarks.__main__ import main

    path = tmp_path / "results.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(SystemExit) as exited:
        main(["--report", str(path)])
    err = capsys.readouterr().err
    assert exited.value.code == 2
    assert err.count("\n") == 1
    assert says in err
