"""The suffix registry, the workflow-file reader, transpile, and CompiledWorkflow."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from flowdsl._frontends import (
    WORKFLOW_SUFFIXES,
    compile_file,
    compile_source,
    frontend_available,
    is_javascript,
    language_of,
    read_workflow,
    suffix_of,
    transpile,
    workflow_policy,
)
from flowdsl._sandbox import SandboxPolicy, ScriptHooks
from flowdsl.errors import UsageError

PY = 'meta = {"name": "t", "description": "d"}\nreturn 1\n'
JS = "export const meta = { name: 't', description: 'd' };\nreturn 7 / 2;\n"


def test_every_workflow_suffix_is_listed_once_preferred_first() -> None:
    assert WORKFLOW_SUFFIXES == (".flow.py", ".py", ".js", ".mjs", ".cjs")


@pytest.mark.parametrize(
    ("path", "suffix", "language"),
    [
        ("a/b.flow.py", ".flow.py", "python"),
        ("b.py", ".py", "python"),
        (Path("x/y.js"), ".js", "javascript"),
        ("y.mjs", ".mjs", "javascript"),
        ("y.cjs", ".cjs", "javascript"),
        ("notes.txt", ".txt", None),
        ("Makefile", "", None),
        ("dir.flow.py/readme", "", None),
    ],
)
def test_suffix_and_language_of_a_path(path: str | Path, suffix: str, language: str | None) -> None:
    assert suffix_of(path) == suffix
    assert language_of(path) == language
    assert is_javascript(path) is (language == "javascript")


def test_both_languages_are_available_here() -> None:
    assert frontend_available(".flow.py")
    assert frontend_available(".cjs")
    assert not frontend_available(".txt")


def test_an_unknown_suffix_is_a_usage_error_before_reading() -> None:
    with pytest.raises(UsageError, match=r"missing\.txt: unknown workflow file type"):
        compile_file("missing.txt")


def test_read_workflow_names_the_file_and_the_reason(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"nope\.flow\.py: cannot read workflow \(No such file"):
        read_workflow(tmp_path / "nope.flow.py")
    binary = tmp_path / "bad.flow.py"
    binary.write_bytes(b"\xff\xfe")
    with pytest.raises(UsageError, match=r"bad\.flow\.py: cannot read workflow \('utf-8'"):
        read_workflow(binary)
    with pytest.raises(UsageError, match="cannot read workflow"):
        read_workflow(tmp_path)


def test_the_seam_selects_the_language_by_suffix() -> None:
    assert compile_source(PY, "b.flow.py").language == "python"
    compiled = compile_source(JS, "b.js")
    assert compiled.language == "javascript"
    assert compiled.source == JS
    assert "js_run" in compiled.python_source
    assert compiled.line_map is not None


def test_transpile_takes_only_javascript() -> None:
    assert transpile(JS, "t.cjs").startswith("# The Python form of t.cjs")
    with pytest.raises(UsageError, match="transpile takes a JavaScript workflow"):
        transpile(PY, "t.flow.py")


def test_both_languages_run_under_one_policy_that_offers_jsrt() -> None:
    policy = workflow_policy()
    assert policy is workflow_policy()
    assert "jsrt" in policy.modules
    assert "jsrt" not in SandboxPolicy.default().modules


def test_a_started_workflow_returns_its_result() -> None:
    compiled = compile_source(JS, "r.js")
    dsl = dict.fromkeys(("agent", "parallel", "pipeline", "phase", "log", "args", "budget",
                         "workflow"))
    assert anyio.run(lambda: compiled.start(dsl, ScriptHooks(tick=lambda: None))) == 3.5


def test_errors_are_named_as_the_scripts_language_names_them() -> None:
    import compat

    js = compile_source(JS, "e.js")
    python = compile_source(PY, "e.flow.py")
    type_error = compat._jsrt._values.JSTypeError("x")
    assert js.error_name(type_error) == "TypeError"
    assert js.error_name(KeyError("k")) == "KeyError"
    assert python.error_name(type_error) == "JSTypeError"


def test_original_position_maps_through_the_line_map() -> None:
    compiled = compile_source(JS, "p.js")
    lines = compiled.python_source.split("\n")
    body = next(i for i, text in enumerate(lines, 1) if "return js_div" in text)
    assert compiled.original_position(body) == (2, 1)
    assert compile_source(PY, "p.flow.py").original_position(2) == (2, None)
