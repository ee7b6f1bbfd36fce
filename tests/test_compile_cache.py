"""The on-disk compile cache: hits skip the frontend, changes miss, damage is ignored."""

from __future__ import annotations

from pathlib import Path

import pytest

import flowdsl
from flowdsl import _compile_cache, _frontends
from flowdsl._frontends import CompiledWorkflow, compile_file

SCRIPT = 'meta = {"name": "c", "description": "d"}\nreturn await agent("x")\n'


@pytest.fixture
def counting_frontend(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = _frontends.frontend_for

    def frontend_for(path: str):  # type: ignore[no-untyped-def]
        compile_fn = real(path)

        def counted(source: str, p: str) -> CompiledWorkflow:
            calls.append(p)
            return compile_fn(source, p)

        return counted

    monkeypatch.setattr(_frontends, "frontend_for", frontend_for)
    return calls


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setenv(_compile_cache.CACHE_ENV, str(directory))
    return directory


def test_second_compile_is_served_from_disk(tmp_path, cache, counting_frontend):
    path = tmp_path / "c.flow.py"
    path.write_text(SCRIPT)
    first = compile_file(path)
    second = compile_file(path)
    assert len(counting_frontend) == 1
    assert second.meta == first.meta
    assert second.python_source == first.python_source
    assert flowdsl.run(path, backend="simulate").status == "completed"


def test_changed_source_is_compiled_again(tmp_path, cache, counting_frontend):
    path = tmp_path / "c.flow.py"
    path.write_text(SCRIPT)
    compile_file(path)
    path.write_text(SCRIPT.replace('"x"', '"y"'))
    assert "y" in compile_file(path).python_source
    assert len(counting_frontend) == 2


def test_corrupt_entry_is_ignored_and_rewritten(tmp_path, cache, counting_frontend):
    path = tmp_path / "c.flow.py"
    path.write_text(SCRIPT)
    compile_file(path)
    for entry in cache.rglob("*.bin"):
        entry.write_bytes(b"not marshal data")
    assert compile_file(path).meta["name"] == "c"
    assert len(counting_frontend) == 2


def test_javascript_line_map_survives_the_cache(tmp_path, cache):
    path = tmp_path / "t.js"
    path.write_text("export const meta = {name: 't', description: 'd'};\n"
                    "const x = 1;\nthrow new Error('boom ' + x);\n")
    first = flowdsl.run(path, backend="simulate")
    second = flowdsl.run(path, backend="simulate")
    assert first.error == second.error
    assert ":3:" in (second.error or "")


def test_cache_can_be_turned_off(tmp_path, monkeypatch, counting_frontend):
    monkeypatch.setenv(_compile_cache.CACHE_ENV, "off")
    path = tmp_path / "c.flow.py"
    path.write_text(SCRIPT)
    compile_file(path)
    compile_file(path)
    assert len(counting_frontend) == 2
