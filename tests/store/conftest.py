"""The store fixture over both databases (the throwaway PostgreSQL cluster, ``pg_cluster``
and ``pg_url``, is the suite's: ``tests/conftest.py``).

"""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _private_state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A URL store's local folder (logs, workflows) goes under the test's directory."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


@pytest.fixture(params=["sqlite", "postgresql"])
def store_at(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A store location: a directory, or the URL of a PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "store")
    url: str = request.getfixturevalue("pg_url")
    return url
