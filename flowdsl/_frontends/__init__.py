"""Frontends: workflow files of every language -> :class:`CompiledWorkflow`.

The one seam between the core and the script languages. The runtime and the durable
layer ask this package, never a language layer by name:

    _registry.py          the suffix registry (``.flow.py``, ``.py``, ``.js``, ``.mjs``,
                          ``.cjs``) -> a Frontend; suffix and language helpers; the
                          sandbox policy workflows run under (default + ``jsrt``); the
                          only code that imports the JS layer (``compat``), lazily
    _compile_workflow.py  read_workflow(), compile_source(), compile_file(), transpile()
    _compiled.py          CompiledWorkflow: meta, Python form, code, line map; start()
                          runs it under its policy with the run's ScriptHooks
    _compile_cache.py     the one compile cache: memory LRU in front of an
                          HMAC-authenticated disk cache

A frontend writes the sandbox's Python form (JavaScript is transpiled by ``compat``;
Python is its own form), the sandbox (``flowdsl._sandbox``, below this package)
compiles it into plain data, and this package wraps the result with what running it
needs. Layers above import from here; ``compat`` and the sandbox never import it.
"""

from __future__ import annotations

import typing as _typing

from .._lazy import lazy_exports as _lazy_exports

if _typing.TYPE_CHECKING:
    from .._sandbox import ENTRY as ENTRY
    from ._compile_cache import CACHE as CACHE
    from ._compile_workflow import compile_file as compile_file
    from ._compile_workflow import compile_source as compile_source
    from ._compile_workflow import read_workflow as read_workflow
    from ._compile_workflow import transpile as transpile
    from ._compiled import CompiledWorkflow as CompiledWorkflow
    from ._registry import WORKFLOW_SUFFIXES as WORKFLOW_SUFFIXES
    from ._registry import Language as Language
    from ._registry import frontend_available as frontend_available
    from ._registry import frontend_for as frontend_for
    from ._registry import is_javascript as is_javascript
    from ._registry import language_of as language_of
    from ._registry import preload_runtime as preload_runtime
    from ._registry import suffix_of as suffix_of
    from ._registry import workflow_policy as workflow_policy

_LAZY: dict[str, tuple[str, str]] = {
    "ENTRY": (".._sandbox", "ENTRY"),
    "CACHE": ("._compile_cache", "CACHE"),
    "compile_file": ("._compile_workflow", "compile_file"),
    "compile_source": ("._compile_workflow", "compile_source"),
    "read_workflow": ("._compile_workflow", "read_workflow"),
    "transpile": ("._compile_workflow", "transpile"),
    "CompiledWorkflow": ("._compiled", "CompiledWorkflow"),
    "WORKFLOW_SUFFIXES": ("._registry", "WORKFLOW_SUFFIXES"),
    "Language": ("._registry", "Language"),
    "frontend_available": ("._registry", "frontend_available"),
    "frontend_for": ("._registry", "frontend_for"),
    "is_javascript": ("._registry", "is_javascript"),
    "language_of": ("._registry", "language_of"),
    "preload_runtime": ("._registry", "preload_runtime"),
    "suffix_of": ("._registry", "suffix_of"),
    "workflow_policy": ("._registry", "workflow_policy"),
}


__getattr__ = _lazy_exports(__name__, _LAZY)


__all__ = (
    "CACHE",
    "ENTRY",
    "WORKFLOW_SUFFIXES",
    "CompiledWorkflow",
    "Language",
    "compile_file",
    "compile_source",
    "frontend_available",
    "frontend_for",
    "is_javascript",
    "language_of",
    "preload_runtime",
    "read_workflow",
    "suffix_of",
    "transpile",
    "workflow_policy",
)
