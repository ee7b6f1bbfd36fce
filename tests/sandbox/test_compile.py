"""compile_python(): the CompiledScript it returns and the syntax errors it reports."""

from __future__ import annotations

import pytest

from flowdsl._sandbox import ENTRY, LineMap, compile_python
from flowdsl.errors import ScriptSyntaxError

from .conftest import HEADER


def test_compiled_script_is_meta_and_code() -> None:
    compiled = compile_python(HEADER + "return 1\n", "a.flow.py")
    assert compiled.meta == {"name": "t", "description": "t"}
    assert compiled.code.co_filename == "a.flow.py"
    assert ENTRY in compiled.code.co_names


def test_each_compile_is_fresh_the_sandbox_keeps_no_cache() -> None:
    first = compile_python(HEADER + "return 1\n", "a.flow.py")
    assert compile_python(HEADER + "return 1\n", "a.flow.py").code is not first.code


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
        compile_python(HEADER + "x = (", "s.js", line_map=LineMap({2: (9, 4)}))
    assert (info.value.line, info.value.column) == (9, 4)


def test_warnings_at_compile_time_do_not_escape() -> None:
    # `"\d"` warns (DeprecationWarning) and `x is 1` warns (SyntaxWarning); pytest
    # turns warnings into errors, so this passes only if compile_python silences them.
    compile_python(HEADER + 'x = "\\d"\ny = x is 1\nreturn y\n', "w.flow.py")


def test_absurdly_deep_expressions_are_a_syntax_error() -> None:
    source = HEADER + "x = " + "+".join(["1"] * 100_000) + "\nreturn x\n"
    with pytest.raises(ScriptSyntaxError, match="nested too deeply"):
        compile_python(source, "deep.flow.py")


@pytest.mark.parametrize(
    ("line", "expected"),
    [(1, (1, 7)), (2, (4, 1)), (3, (4, 1)), (9, (8, 2)), (10_000, (8, 2))],
)
def test_a_line_map_finds_the_nearest_entry_at_or_before_a_line(
    line: int, expected: tuple[int, int]
) -> None:
    line_map = LineMap({9: (8, 2), 2: (4, 1), 1: (1, 7)})
    assert line_map.lookup(line) == expected


def test_a_line_before_every_entry_keeps_its_own_position() -> None:
    assert LineMap({5: (1, 1)}).lookup(3, 7) == (3, 7)
    assert LineMap({}).lookup(3) == (3, None)
    assert LineMap(LineMap({5: (1, 1)}).as_dict()) == LineMap({5: (1, 1)})
