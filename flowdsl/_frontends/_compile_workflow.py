"""Workflow files and text -> :class:`CompiledWorkflow`, through the compile cache.

The frontend (chosen by suffix) writes the Python form, the sandbox compiles it under
the workflow policy, and the result is cached; ``read_workflow`` is the one place a
workflow file is read.
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path

from .._sandbox import collector_paused, compile_python
from ..errors import UsageError
from ._compile_cache import CACHE
from ._compiled import CompiledWorkflow
from ._registry import frontend_for, is_javascript, workflow_policy

__all__ = ["compile_file", "compile_source", "read_workflow", "transpile"]


def read_workflow(path: str | PathLike[str]) -> str:
    """The text of a workflow file.

    Raises:
        UsageError: ``PATH: cannot read workflow (reason)`` — missing, unreadable, a
            directory, or not UTF-8.
    """
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise UsageError(f"{path}: cannot read workflow ({reason})") from None


def compile_source(source: str, path: str | PathLike[str]) -> CompiledWorkflow:
    """Compile ``source`` with the frontend that ``path``'s suffix selects.

    A compile of the same text at the same path is served from the compile cache.

    Raises:
        UsageError: the suffix is unknown, or its language layer is not installed.
        ScriptError: the script is invalid (syntax, meta, sandbox, transpile).
    """
    text_path = str(path)
    frontend = frontend_for(text_path)
    cached = CACHE.get(source, text_path)
    if cached is not None:
        return cached
    with collector_paused():  # no GC within the compile (_sandbox/_collector_pause.py)
        python_source, line_map = frontend.to_python(source, text_path)
        script = compile_python(python_source, text_path, policy=workflow_policy(),
                                line_map=line_map)
    compiled = CompiledWorkflow(
        path=text_path, language=frontend.language, meta=script.meta, source=source,
        python_source=python_source, code=script.code, line_map=line_map,
    )
    CACHE.put(compiled)
    return compiled


def compile_file(path: str | PathLike[str]) -> CompiledWorkflow:
    """Read and compile a workflow file.

    Raises:
        UsageError: the file cannot be read or has an unknown suffix.
        ScriptError: the script is invalid (syntax, meta, sandbox, transpile).
    """
    frontend_for(path)  # an unknown suffix is named before the file is read
    return compile_source(read_workflow(path), path)


def transpile(source: str, path: str | PathLike[str]) -> str:
    """The Python form of a JavaScript workflow, as ``flowdsl transpile`` prints it.

    Raises:
        UsageError: ``path`` is not a JavaScript workflow, or the JS layer is missing.
        ScriptError: the script is not valid (syntax, meta, unsupported construct).
    """
    if not is_javascript(path):
        raise UsageError(f"{path}: transpile takes a JavaScript workflow (.js, .mjs, .cjs)")
    python_source, _ = frontend_for(path).to_python(source, str(path))
    return python_source
