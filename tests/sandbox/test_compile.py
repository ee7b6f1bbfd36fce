"""compile_python(): the CompiledWorkflow it returns and the syntax errors it reports."""

from __future__ import annotations

import pytest

from flowdsl._frontends import ENTRY, compile_source
from flowdsl._sandbox import compile_python
from flowdsl.errors import ScriptSyntaxError

from .conftest import HEADER


def test_compiled_workflow_fields() -> None:
    compiled = compile_python(HEADER + "return 1\n", "a.flow.py")
    assert compiled.path == "a.flow.py"
    assert compiled.language == "python"
    assert compiled.source == compiled.python_source == HEADER + "return 1\n"
    assert compiled.line_map is None
    assert compiled.name == "t"
    assert compiled.code.co_filename == "a.flow.py"
    assert ENTRY in compiled.code.co_names


def test_the_frontend_seam_selects_the_sandbox_for_python_files() -> None:
    assert compile_source(HEADER + "return 1\n", "b.flow.py").language == "python"


@pytest.mark.parametrize(
    ("body", "position", "fragment"),
    [
        ("x = (", (2, 5), "was never closed"),
        ("def f():\nreturn 1", (3, 1), "expected an indented block"),
        ("def f():\n    await g()", (3, 5), "'await' outside async function"),
        ("nonlocal x", (2, 1), "no binding for nonlocal 'x' found"),
        ("x = 1 +", (2, 8), "invalid syntax"),
    ],
)
def test_syntax_errors_carry_a_position(
    body: str, position: tuple[int, int], fragment: str
) -> None:
    with pytest.raises(ScriptSyntaxError) as info:
        compile_python(HEADER + body, "s.flow.py")
    assert (info.value.line, info.value.column) == position
    assert fragment in info.value.message


def test_syntax_errors_map_through_the_line_map() -> None:
    with pytest.raises(ScriptSyntaxError) as info:
        compile_python(HEADER + "x = (", "s.js", language="javascript", line_map={2: (9, 4)})
    assert (info.value.line, info.value.column) == (9, 4)


def test_warnings_at_compile_time_do_not_escape() -> None:
    # `"\d"` warns (DeprecationWarning) and `x is 1` warns (SyntaxWarning); pytest
    # turns warnings into errors, so this passes only if compile_python silences them.
    compile_python(HEADER + 'x = "\\d"\ny = x is 1\nreturn y\n', "w.flow.py")


def test_absurdly_deep_expressions_are_a_syntax_error() -> None:
    source = HEADER + "x = " + "+".join(["1"] * 100_000) + "\nreturn x\n"
    with pytest.raises(ScriptSyntaxError, match="nested too deeply"):
        compile_python(source, "deep.flow.py")
