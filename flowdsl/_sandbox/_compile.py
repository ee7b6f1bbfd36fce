"""The compile step: parse, read ``meta``, apply the transformer, wrap, ``compile()``.

RestrictedPython's own ``compile_restricted`` ignores compile flags and expects a module,
so the transformer runs on the tree here and ``compile()`` is called directly on the
result: the module body becomes the body of ``async def __flow_main__():``, which is
what makes top-level ``await`` and ``return`` legal.

The result is plain data (:class:`CompiledScript`: meta and code object); caching it
and running it under the right policy is the frontends' business.
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import CodeType
from typing import Any

from ..errors import SandboxViolation, ScriptSyntaxError
from ._builtins import ENTRY
from ._collector_pause import collector_paused
from ._line_map import LineMap
from ._meta import extract_meta
from ._policy import SandboxPolicy
from ._transformer import FlowTransformer

__all__ = ["CompiledScript", "compile_python"]


@dataclass(frozen=True, slots=True)
class CompiledScript:
    """A script the sandbox accepted: its ``meta`` and the code that defines ``ENTRY``."""

    meta: Mapping[str, Any]
    code: CodeType = field(repr=False)


class _Locator:
    """AST positions (line, byte offset) -> what users see (line, 1-based column)."""

    def __init__(self, source: str, line_map: LineMap | None) -> None:
        self._lines = source.split("\n")
        self._line_map = line_map

    def __call__(self, line: int, col_offset: int) -> tuple[int, int | None]:
        text = self._lines[line - 1] if 0 < line <= len(self._lines) else ""
        column = len(text.encode("utf-8")[:col_offset].decode("utf-8", "ignore")) + 1
        return self.map(line, column)

    def map(self, line: int, column: int | None) -> tuple[int, int | None]:
        if self._line_map is None:
            return line, column
        return self._line_map.lookup(line, column)


def compile_python(
    source: str,
    path: str,
    *,
    policy: SandboxPolicy | None = None,
    line_map: LineMap | None = None,
) -> CompiledScript:
    """Compile a Python-form workflow under a sandbox policy.

    Args:
        source: the Python form of the script (what the sandbox checks and compiles).
        path: the script's path, used in messages and tracebacks.
        policy: the policy whose modules and builtins the script may use (the default
            policy if None); run the result under the same policy.
        line_map: maps lines of ``source`` to the original script (transpiled scripts),
            for the positions in messages.

    Returns:
        The meta dict and the code object; ``start_script`` runs it.

    Raises:
        ScriptSyntaxError: ``source`` is not valid Python.
        MetaError: the leading ``meta`` literal is missing, not literal, or invalid.
        SandboxViolation: the script uses something the policy does not allow.
    """
    locate = _Locator(source, line_map)
    with collector_paused():
        return _compile(source, path, policy or SandboxPolicy.default(), locate)


def _compile(
    source: str, path: str, policy: SandboxPolicy, locate: _Locator
) -> CompiledScript:
    try:
        return _compile_checked(source, path, policy, locate)
    except RecursionError:
        # ast.parse, the policy and compile() all recurse on the tree's depth.
        message = "the script is nested too deeply (an expression or block thousands deep)"
        raise ScriptSyntaxError(message, path=path, line=1, column=1) from None


def _compile_checked(
    source: str, path: str, policy: SandboxPolicy, locate: _Locator
) -> CompiledScript:
    with warnings.catch_warnings():
        # Invalid escapes and `x is 1` warn at parse time; a script has no console.
        warnings.simplefilter("ignore")
        tree = _parse(source, path, locate)
        meta = extract_meta(tree, path, locate)
        transformer = FlowTransformer(tree, policy=policy)
        transformer.visit(tree)
        if transformer.violations:
            raise _violation(transformer, path, locate)
        code = _compile_tree(_wrap(tree), path, locate)
    return CompiledScript(meta=meta, code=code)


def _parse(source: str, path: str, locate: _Locator) -> ast.Module:
    try:
        return ast.parse(source, filename=path)
    except SyntaxError as exc:
        raise _syntax_error(exc, path, locate) from None
    except ValueError as exc:  # null bytes
        raise ScriptSyntaxError(str(exc), path=path, line=1, column=1) from None


def _syntax_error(exc: SyntaxError, path: str, locate: _Locator) -> ScriptSyntaxError:
    line, column = locate.map(exc.lineno or 1, exc.offset)
    return ScriptSyntaxError(exc.msg, path=path, line=line, column=column)


def _violation(transformer: FlowTransformer, path: str, locate: _Locator) -> SandboxViolation:
    violations = transformer.violations
    line, col_offset, message = min(violations, key=lambda item: (item[0], item[1]))
    shown_line, column = locate(line, col_offset)
    more = len(violations) - 1
    if more:
        message += f" (and {more} more problem{'s' if more > 1 else ''})"
    return SandboxViolation(message, path=path, line=shown_line, column=column)


def _wrap(tree: ast.Module) -> ast.Module:
    """``<body>`` -> ``async def __flow_main__(): <body>``, positions kept.

    Every node already has its position: the parser gave the script's, the transformer
    gives each node it makes the position of the one it replaces, and the wrapper is
    parsed (a tree-wide ``fix_missing_locations`` here would only walk it again)."""
    wrapper = ast.parse(f"async def {ENTRY}():\n    pass\n").body[0]
    assert isinstance(wrapper, ast.AsyncFunctionDef)
    wrapper.body = tree.body
    return ast.Module(body=[wrapper], type_ignores=[])


def _compile_tree(module: ast.Module, path: str, locate: _Locator) -> CodeType:
    try:
        code: CodeType = compile(module, path, "exec", dont_inherit=True)
    except SyntaxError as exc:
        raise _syntax_error(exc, path, locate) from None
    return code
