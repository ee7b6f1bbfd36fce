"""Red-team attacks through the real runtime: ``flowdsl.run`` on ``.flow.py`` files.

The table tests run snippets against stubs; these check the same walls end to end,
with the runtime's own tick, Halt and deadline. Holes found in the runtime (halts in
fan-outs, workflow paths, script code outliving its run, recursion headroom around
agent(), schema regexes, unencodable results) were fixed there; their tests stay
here as regressions.
"""

from __future__ import annotations

import gc
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import flowdsl
from flowdsl._types import RunResult
from flowdsl.errors import SandboxViolation

from .conftest import HEADER


def _run(tmp_path: Path, body: str, *, timeout: float | None = 0.3, **kwargs: Any) -> RunResult:
    path = tmp_path / "attack.flow.py"
    path.write_text(HEADER + body, encoding="utf-8")
    return flowdsl.run(path, backend="simulate", run_timeout=timeout, **kwargs)


SWALLOW_ATTEMPTS = [
    "while True:\n    try:\n        while True:\n            pass\n    except:\n        pass",
    "while True:\n    try:\n        while True:\n            pass\n"
    "    except Exception:\n        pass",
    "try:\n    while True:\n        pass\nfinally:\n    while True:\n        pass",
    "try:\n    while True:\n        pass\nfinally:\n    await agent('cleanup')",
    "def f(n):\n    try:\n        return f(n + 1)\n"
    "    except RecursionError:\n        return f(n + 1)\nreturn f(0)",
    "async def g():\n    try:\n        yield 1\n        while True:\n            pass\n"
    "    finally:\n        log('agen finally')\nasync for x in g():\n    pass",
    "import itertools\nfor x in itertools.count():\n"
    "    try:\n        pass\n    except:\n        pass",
]


@pytest.mark.parametrize("body", SWALLOW_ATTEMPTS)
def test_the_run_deadline_cannot_be_swallowed(tmp_path: Path, body: str) -> None:
    started = time.monotonic()
    result = _run(tmp_path, body)
    assert result.status == "failed"
    assert result.error is not None
    assert "wall-clock limit" in result.error
    assert time.monotonic() - started < 3.0


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ("x = 10**10**8", "`**` (or `pow()`) is too big"),
        ('x = "x" * 10**10', "`*` on a sequence is too big"),
        ("import math\nreturn math.factorial(10**7)", "`math.factorial` is too big"),
        ('import re\nreturn re.match(r"(a+)+$", "a" * 40 + "b")', "is refused"),
        ('import textwrap\nreturn textwrap.wrap("a" * 10**6, 1)', "`textwrap.wrap` is too big"),
        ('return getattr(agent, "__self__", None)', "`.__self__` is not available"),
        ('return "{0.__globals__}".format(log)', "`.__globals__` is not available"),
        ("return getattr(budget, '_run', None)", "`._run` is not available"),
    ],
)
def test_run_time_violations_fail_the_run_at_the_script_line(
    tmp_path: Path, body: str, fragment: str
) -> None:
    started = time.monotonic()
    result = _run(tmp_path, body, timeout=5)
    assert result.status == "failed"
    assert result.error is not None
    assert fragment in result.error
    assert f"attack.flow.py:{2 + body.count(chr(10))}:" in result.error
    assert time.monotonic() - started < 2.0


def test_static_violations_are_raised_before_the_run(tmp_path: Path) -> None:
    with pytest.raises(SandboxViolation, match="`__self__` is not available"):
        _run(tmp_path, "return agent.__self__")


def test_dsl_objects_expose_only_their_documented_attributes(tmp_path: Path) -> None:
    body = (
        "return [budget.total, budget.spent(), hasattr(budget, '_run'), hasattr(agent, 'x'),"
        " hasattr(log, '__self__'), getattr(workflow, 'name', 'none')]"
    )
    result = _run(tmp_path, body, budget=100)
    assert result.value == [100, 0, False, False, False, "none"]


def test_args_are_plain_json_values(tmp_path: Path) -> None:
    result = _run(tmp_path, "return [args['a'].upper(), args['n'] * 2]", args={"a": "x", "n": 2})
    assert result.value == ["X", 4]


def test_a_caught_budget_error_shows_only_its_numbers(tmp_path: Path) -> None:
    body = (
        "try:\n    await agent('x')\n    await agent('y')\nexcept BudgetExceeded as e:\n"
        "    return [e.total, hasattr(e, '__traceback__'), hasattr(e, 'with_traceback')]"
    )
    result = _run(tmp_path, body, budget=1, timeout=5)
    assert result.status == "completed"
    assert result.value == [1, False, False]


@pytest.mark.parametrize(
    "body",
    [
        "def spin():\n    while True:\n        pass\nreturn await parallel([spin])",
        "def stage(prev, item, i):\n    while True:\n        pass\n"
        "return await pipeline([1], stage)",
    ],
)
def test_a_deadline_inside_a_fan_out_fails_the_run(tmp_path: Path, body: str) -> None:
    result = _run(tmp_path, body)
    assert result.status == "failed"


@pytest.mark.parametrize("ref", ["{outside}", "../outside/secret.flow.py"])
def test_workflow_cannot_reach_files_outside_the_script_directory(tmp_path: Path, ref: str) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.flow.py").write_text(HEADER + "return 'secret'\n", encoding="utf-8")
    project = tmp_path / "project"
    project.mkdir()
    ref = ref.format(outside=outside / "secret.flow.py")
    body = f"try:\n    return await workflow({ref!r})\nexcept Exception as e:\n    return 'refused'"
    result = _run(project, body, timeout=5)
    assert result.value == "refused"


def test_script_code_cannot_run_after_its_run_ended(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    unraisable: list[object] = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    body = (
        "def g():\n    try:\n        yield 1\n    finally:\n        while True:\n            pass\n"
        "box = []\nit = g()\nnext(it)\nbox.append(box)\nbox.append(it)\nreturn 'done'"
    )
    # inline: the script's objects are in this process (in a child they die with it)
    gc.collect()  # earlier tests' garbage: not timed
    result = _run(tmp_path, body, timeout=1.0, isolation="inline")
    assert result.value == "done"
    started = time.monotonic()
    gc.collect()  # the cycle holds the suspended generator: its finally runs here
    assert time.monotonic() - started < 2.0  # unstopped, its `while True` never ends


DEEP_RECURSION_AROUND_AGENT = """
results = []
async def deep(n):
    if n == 0:
        try:
            results.append(await agent("x"))
        except RecursionError:
            results.append("too deep")
        return 0
    try:
        return await deep(n - 1)
    except RecursionError:
        return -1
for depth in range(850, 1000):
    await deep(depth)
return len(results)
"""


def test_deep_recursion_around_agent_cannot_corrupt_the_run(tmp_path: Path) -> None:
    result = _run(tmp_path, DEEP_RECURSION_AROUND_AGENT, timeout=10)
    assert result.status == "completed"


def test_agent_schema_patterns_are_checked_like_script_regexes(tmp_path: Path) -> None:
    from flowdsl.testing import FunctionBackend

    schema = {"type": "object", "properties": {"s": {"type": "string", "pattern": "^(a+)+$"}}}
    body = f"return await agent('30 a then b', schema={schema!r})"
    path = tmp_path / "attack.flow.py"
    path.write_text(HEADER + body, encoding="utf-8")
    backend = FunctionBackend(lambda request: {"s": "a" * 20 + "b"})
    result = flowdsl.run(path, backend=backend, run_timeout=5)
    assert result.status == "failed"
    assert result.error is not None
    assert "possessive" in result.error


@pytest.mark.parametrize(
    "body",
    [
        "x = []\nfor i in range(100000):\n    x = [x]\nreturn x",
        "x = []\nx.append(x)\nreturn x",
    ],
)
def test_an_unencodable_result_fails_the_run(tmp_path: Path, body: str) -> None:
    result = _run(tmp_path, body, timeout=5)
    assert result.status == "failed"


def test_workflow_errors_do_not_reveal_which_outside_files_exist(tmp_path: Path) -> None:
    existing = tmp_path / "outside.flow.py"
    existing.write_text(HEADER + "return 1\n", encoding="utf-8")
    project = tmp_path / "project"
    project.mkdir()
    body = (
        "out = []\nfor ref in args:\n    try:\n        await workflow(ref)\n"
        "    except Exception as e:\n        out.append(str(e).replace(ref, 'REF'))\nreturn out"
    )
    refs = [str(existing), str(tmp_path / "missing.flow.py")]
    result = _run(project, body, timeout=5, args=refs)
    assert result.status == "completed"
    assert result.value[0] == result.value[1]


def test_workflow_names_do_not_resolve_against_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "cwdonly.flow.py").write_text(HEADER + "return 'ran'\n", encoding="utf-8")
    project = tmp_path / "project"
    project.mkdir()
    monkeypatch.chdir(elsewhere)
    body = (
        "try:\n    return await workflow('cwdonly.flow.py')\n"
        "except Exception as e:\n    return 'refused'"
    )
    assert _run(project, body, timeout=5).value == "refused"
