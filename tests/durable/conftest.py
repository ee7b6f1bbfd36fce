from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))  # flowstore_helpers, also for worker subprocesses (PYTHONPATH)
from flowstore_helpers import Proc  # noqa: E402


@pytest.fixture
def store_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "store"
    monkeypatch.setenv("FLOWDSL_STORE", str(directory))
    monkeypatch.chdir(tmp_path)
    return directory


@pytest.fixture
def env(tmp_path: Path, store_dir: Path) -> dict[str, str]:
    values = dict(os.environ)
    values["FLOWDSL_STORE"] = str(store_dir)
    values["PYTHONPATH"] = os.pathsep.join([str(HERE), str(ROOT)])
    values["FLOWDSL_TEST_COUNT_FILE"] = str(tmp_path / "count.txt")
    return values


@pytest.fixture
def cli(env: dict[str, str], tmp_path: Path):  # type: ignore[no-untyped-def]
    def run(*argv: str, extra: dict[str, str] | None = None, timeout: float = 60) -> Proc:
        proc = subprocess.run([sys.executable, "-m", "flowdsl", *argv],
                              env={**env, **(extra or {})}, cwd=tmp_path,
                              capture_output=True, text=True, timeout=timeout)
        return Proc(proc.returncode, proc.stdout, proc.stderr)

    return run
