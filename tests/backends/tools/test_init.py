"""The tools' package face: __all__ is sorted and complete; docstrings describe every argument.

The agent loop turns each tool's docstring into the description a model reads (pydantic-ai
parses them with griffe, Google style), so the test parses them the same way.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import griffe
import pytest

from flowdsl.backends import _tools
from flowdsl.errors import FlowError, ToolError

TOOLS: dict[str, Callable[..., Any]] = {
    "read": _tools.read_file,
    "list": _tools.list_dir,
    "glob": _tools.glob_files,
    "grep": _tools.grep,
    "edit": _tools.edit_file,
    "write": _tools.write_file,
    "bash": _tools.run_bash,
}

BOUND_BY_THE_LOOP = {"ws", "allow", "timeout", "max_output", "env"}
"""Arguments the loop supplies; the model never sees them."""


def test_all_is_sorted_and_every_name_exists() -> None:
    assert list(_tools.__all__) == sorted(set(_tools.__all__))
    for name in _tools.__all__:
        assert hasattr(_tools, name), name


def test_every_tool_name_has_a_function() -> None:
    assert set(TOOLS) == set(_tools.TOOL_NAMES)


def test_tool_error_is_a_flow_error() -> None:
    assert issubclass(ToolError, FlowError)


@pytest.mark.parametrize("name", list(TOOLS))
def test_each_model_visible_argument_is_documented(name: str) -> None:
    function = TOOLS[name]
    sections = griffe.Docstring(inspect.getdoc(function) or "").parse("google")
    documented = {
        param.name for section in sections if section.kind.value == "parameters"
        for param in section.value
    }
    visible = set(inspect.signature(function).parameters) - BOUND_BY_THE_LOOP
    assert documented == visible


@pytest.mark.parametrize("name", list(TOOLS))
def test_each_docstring_opens_with_a_one_line_summary(name: str) -> None:
    lines = (inspect.getdoc(TOOLS[name]) or "").splitlines()
    assert lines[0].endswith(".")
    assert lines[1] == ""
