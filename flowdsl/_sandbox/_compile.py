"""The compile step: parse, read ``meta``, apply the policy, wrap, ``compile()``, cache.

RestrictedPython's own ``compile_restricted`` ignores compile flags and expects a module,
so the policy runs on the tree here and ``compile()`` is called directly on the result:
the module body becomes the body of ``async def __flow_main__():``, which is what makes
top-level ``await`` and ``return`` legal.

Compiled code is cached by (source hash, path, language): a workflow started many times
(resumes, ``workflow()`` children, the background worker) is parsed and checked once.
"""

from __future__ import annotations

import ast
import copy
import hashlib
import threading
import warnings
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from types import CodeType
from typing import Any, Literal

from .._frontends import ENTRY, CompiledWorkflow
from ..errors import SandboxViolation, ScriptSyntaxError
from ._meta import extract_meta
from ._policy import FlowPolicy

__all__ = ["CACHE", "CodeCache", "compile_python"]

Language = Literal["python", "javascript"]
LineMap = Mapping[int, tuple[int, int]]


@dataclass(frozen=True, slots=True)
class _Compiled:
    meta: Mapping[str, Any]
    code: CodeType


class CodeCache:
    """A small thread-safe LRU of compiled scripts, with hit/miss counters for tests."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[tuple[str, str, str], _Compiled] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str, str]) -> _Compiled | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                self.misses += 1
            else:
                self.hits += 1
                self._entries.move_to_end(key)
            return entry

    def put(self, key: tuple[str, str, str], entry: _Compiled) -> None:
        with self._lock:
            self._entries[key] = entry
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.hits = self.misses = 0


CACHE = CodeCache()


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
        best: tuple[int, int] | None = None
        for python_line in sorted(self._line_map):
            if python_line > line:
                break
            best = self._line_map[python_line]
        return best if best is not None else (line, column)


def compile_python(
    source: str,
    path: str,
    *,
    language: Language = "python",
    line_map: LineMap | None = None,
    display_source: str | None = None,
) -> CompiledWorkflow:
    """Compile a Python-form workflow into a sandboxed :class:`CompiledWorkflow`.

    Args:
        source: the Python form of the script (what the sandbox checks and compiles).
        path: the script's path, used in messages and tracebacks.
        language: ``"javascript"`` when ``source`` was transpiled by the JS layer
            (which may then import ``jsrt``).
        line_map: Python line -> (line, column) in the original script, for messages.
        display_source: the script as the user wrote it, stored as ``source``
            (defaults to ``source``).

    Returns:
        The compiled workflow; ``start()`` runs it.

    Raises:
        ScriptSyntaxError: ``source`` is not valid Python.
        MetaError: the leading ``meta`` literal is missing, not literal, or invalid.
        SandboxViolation: the script uses something the sandbox does not allow.
    """
    key = (hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest(), path, language)
    entry = CACHE.get(key)
    if entry is None:
        entry = _compile(source, path, language, _Locator(source, line_map))
        CACHE.put(key, entry)
    return CompiledWorkflow(
        path=path,
        language=language,
        meta=copy.deepcopy(dict(entry.meta)),
        source=source if display_source is None else display_source,
        python_source=source,
        code=entry.code,
        line_map=line_map,
    )


def _compile(source: str, path: str, language: Language, locate: _Locator) -> _Compiled:
    try:
        return _compile_checked(source, path, language, locate)
    except RecursionError:
        # ast.parse, the policy and compile() all recurse on the tree's depth.
        message = "the script is nested too deeply (an expression or block thousands deep)"
        raise ScriptSyntaxError(message, path=path, line=1, column=1) from None


def _compile_checked(source: str, path: str, language: Language, locate: _Locator) -> _Compiled:
    with warnings.catch_warnings():
        # Invalid escapes and `x is 1` warn at parse time; a script has no console.
        warnings.simplefilter("ignore")
        tree = _parse(source, path, locate)
        meta = extract_meta(tree, path, locate)
        policy = FlowPolicy(tree, language=language)
        policy.visit(tree)
        if policy.violations:
            raise _violation(policy, path, locate)
        code = _compile_tree(_wrap(tree), path, locate)
    return _Compiled(meta=meta, code=code)


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


def _violation(policy: FlowPolicy, path: str, locate: _Locator) -> SandboxViolation:
    line, col_offset, message = min(policy.violations, key=lambda item: (item[0], item[1]))
    shown_line, column = locate(line, col_offset)
    more = len(policy.violations) - 1
    if more:
        message += f" (and {more} more problem{'s' if more > 1 else ''})"
    return SandboxViolation(message, path=path, line=shown_line, column=column)


def _wrap(tree: ast.Module) -> ast.Module:
    """``<body>`` -> ``async def __flow_main__(): <body>``, positions kept."""
    wrapper = ast.parse(f"async def {ENTRY}():\n    pass\n").body[0]
    assert isinstance(wrapper, ast.AsyncFunctionDef)
    wrapper.body = tree.body
    module = ast.Module(body=[wrapper], type_ignores=[])
    return ast.fix_missing_locations(module)


def _compile_tree(module: ast.Module, path: str, locate: _Locator) -> CodeType:
    try:
        code: CodeType = compile(module, path, "exec", dont_inherit=True)
    except SyntaxError as exc:
        raise _syntax_error(exc, path, locate) from None
    return code
