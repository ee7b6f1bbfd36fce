"""``load_backend``: shipped names, and ``module:factory`` references resolved from the cwd."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from flowdsl._types import AgentRequest
from flowdsl.backends import load_backend
from flowdsl.backends._simulate import SimulateBackend
from flowdsl.errors import UsageError

FACTORY = '''
from flowdsl._types import AgentResult


class Echo:
    def __init__(self, prefix: str = "echo") -> None:
        self.prefix = prefix

    async def run(self, request):
        return AgentResult(output=f"{self.prefix}: {request.prompt}")


def make(**options):
    return Echo(**options)
'''


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A temporary cwd; the modules it defines are removed from sys.modules afterwards."""
    monkeypatch.chdir(tmp_path)
    before = set(sys.modules)
    yield tmp_path
    for name in set(sys.modules) - before:
        del sys.modules[name]


@pytest.mark.anyio
async def test_a_module_in_the_cwd_loads_without_touching_sys_path(project: Path) -> None:
    (project / "my_agents_mod.py").write_text(FACTORY, encoding="utf-8")
    path_before = list(sys.path)
    backend = load_backend("my_agents_mod:make", prefix="hi")
    assert sys.path == path_before
    assert (await backend.run(AgentRequest(prompt="p"))).output == "hi: p"


def test_a_package_module_in_the_cwd_loads(project: Path) -> None:
    package = project / "my_agents_pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "sub" / "__init__.py").write_text("", encoding="utf-8")
    (package / "sub" / "backend.py").write_text(FACTORY, encoding="utf-8")
    path_before = list(sys.path)
    backend = load_backend("my_agents_pkg.sub.backend:Echo")
    assert sys.path == path_before
    assert type(backend).__module__ == "my_agents_pkg.sub.backend"


def test_a_missing_dependency_of_a_cwd_module_is_reported(project: Path) -> None:
    (project / "my_agents_broken.py").write_text("import no_such_dependency_xyz\n",
                                                 encoding="utf-8")
    with pytest.raises(UsageError, match="no_such_dependency_xyz"):
        load_backend("my_agents_broken:make")
    assert "my_agents_broken" not in sys.modules


def test_a_module_nowhere_is_a_usage_error(project: Path) -> None:
    with pytest.raises(UsageError, match="cannot import 'my_agents_absent'"):
        load_backend("my_agents_absent:make")


def test_a_missing_factory_is_a_usage_error(project: Path) -> None:
    (project / "my_agents_nofactory.py").write_text("x = 1\n", encoding="utf-8")
    with pytest.raises(UsageError, match="has no 'make'"):
        load_backend("my_agents_nofactory:make")


def test_shipped_names_and_unknown_names() -> None:
    assert isinstance(load_backend("simulate"), SimulateBackend)
    with pytest.raises(UsageError, match="unknown backend 'nope'"):
        load_backend("nope")


@pytest.mark.parametrize(("backend", "missing"), [("openai", "pydantic"),
                                                  ("anthropic", "pydantic")])
def test_a_shipped_backend_without_its_extra_says_what_to_install(backend: str,
                                                                  missing: str) -> None:
    code = (f"import sys; sys.modules[{missing!r}] = None\n"
            "from flowdsl.backends import load_backend\n"
            "from flowdsl.errors import BackendConfigError\n"
            "try:\n"
            f"    load_backend({backend!r})\n"
            "except BackendConfigError as exc:\n"
            "    print(exc)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60).stdout
    assert out.strip() == (f"the {backend} backend needs the {missing!r} package, which is "
                           f"not installed: pip install 'flowdsl[{backend}]'")
