"""The one seam between the runtime and the script languages.

A frontend turns source text into a :class:`CompiledWorkflow`: the ``meta`` dict and a
code object, produced by the sandbox's compile step, that defines the async entry
function ``ENTRY``. Frontends are chosen by file suffix and imported lazily by name
(the way anyio loads its backends), so the core never imports ``compat`` itself.
"""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import CodeType
from typing import Any, Literal, cast

from .errors import UsageError

__all__ = [
    "ENTRY",
    "FRONTENDS",
    "CompiledWorkflow",
    "compile_file",
    "compile_source",
    "frontend_for",
]

ENTRY = "__flow_main__"
"""Name of the async function the compiled module defines; the runtime awaits it."""

Tick = Callable[[], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class CompiledWorkflow:
    """A script ready to run: its meta, its Python form and the sandboxed code object."""

    path: str
    language: Literal["python", "javascript"]
    meta: Mapping[str, Any]
    source: str
    python_source: str
    code: CodeType = field(repr=False)
    line_map: Mapping[int, tuple[int, int]] | None = field(default=None, repr=False)
    """Python line -> (line, column) in the original source, for transpiled scripts."""

    @property
    def name(self) -> str:
        return str(self.meta.get("name", Path(self.path).stem))

    @property
    def source_hash(self) -> str:
        return hashlib.sha256(self.source.encode("utf-8")).hexdigest()

    def original_position(self, python_line: int) -> tuple[int, int | None]:
        """Map a line of the Python form back to the script the user wrote."""
        if self.line_map is None:
            return python_line, None
        best = None
        for line in sorted(self.line_map):
            if line > python_line:
                break
            best = self.line_map[line]
        return best if best is not None else (python_line, None)

    def start(self, dsl: Mapping[str, object], tick: Tick) -> Coroutine[Any, Any, Any]:
        """Create the script's globals from ``dsl`` and return the entry coroutine."""
        from ._sandbox import script_globals

        namespace = script_globals(dsl, tick)
        exec(self.code, namespace)
        entry = cast(Callable[[], Coroutine[Any, Any, Any]], namespace[ENTRY])
        return entry()


FRONTENDS: Mapping[str, str] = {
    ".flow.py": "flowdsl._sandbox:compile_python",
    ".py": "flowdsl._sandbox:compile_python",
    ".js": "compat:compile_javascript",
    ".mjs": "compat:compile_javascript",
    ".cjs": "compat:compile_javascript",
}
"""File suffix -> ``module:function(source, path) -> CompiledWorkflow``; longest suffix wins."""


def frontend_for(path: str) -> Callable[[str, str], CompiledWorkflow]:
    """The compile function for ``path``'s suffix."""
    for suffix in sorted(FRONTENDS, key=len, reverse=True):
        if path.endswith(suffix):
            module_name, _, attr = FRONTENDS[suffix].partition(":")
            fn: Callable[[str, str], CompiledWorkflow] = getattr(
                importlib.import_module(module_name), attr
            )
            return fn
    known = ", ".join(sorted(FRONTENDS))
    raise UsageError(f"{path}: unknown workflow file type (expected one of {known})")


def compile_source(source: str, path: str) -> CompiledWorkflow:
    """Compile ``source`` with the frontend that ``path``'s suffix selects.

    A compile of the same text at the same path is served from the on-disk cache.
    """
    return _compile_cached(frontend_for(path), source, path)


def _compile_cached(
    compile_fn: Callable[[str, str], CompiledWorkflow], source: str, path: str
) -> CompiledWorkflow:
    from . import _compile_cache

    cached = _compile_cache.load(source, path)
    if cached is not None:
        return cached
    compiled = compile_fn(source, path)
    _compile_cache.save(compiled)
    return compiled


def compile_file(path: str | Path) -> CompiledWorkflow:
    """Read and compile a workflow file.

    Raises:
        UsageError: the file cannot be read or has an unknown suffix.
        ScriptError: the script is invalid (syntax, meta, sandbox, transpile).
    """
    text_path = str(path)
    compile_fn = frontend_for(text_path)
    try:
        source = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise UsageError(f"{text_path}: cannot read workflow ({reason})") from None
    return _compile_cached(compile_fn, source, text_path)
