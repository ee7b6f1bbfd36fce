"""``flowdsl run`` starts its script's process before anything else and the run adopts it;
the seed it was started with is stored with the run, so a resume orders sets alike."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from flowdsl import Store


def _run_cli(path: Path, store: Path, *extra: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "flowdsl", "run", str(path), "--backend", "simulate",
         "--store", str(store), *extra], capture_output=True, text=True, timeout=120,
        check=False)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize(("extra", "seeded"), [((), True), (("--isolation", "inline"), False)])
def test_the_seed_of_the_started_process_is_stored_with_the_run(
    script: Callable[..., Path], tmp_path: Path, extra: tuple[str, ...], seeded: bool
) -> None:
    path = script('names = {"n" + str(i) for i in range(20)}\n'
                  'return await agent(",".join(names))')
    store = tmp_path / "store"
    _run_cli(path, store, *extra)
    with Store.open(store) as s:
        [run] = s.list_runs()
        options = s.get_run(run.id).options
    assert ("hash_seed" in options) is seeded
    if seeded:
        assert 0 < int(options["hash_seed"]) < 2**32
