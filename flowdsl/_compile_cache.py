"""On-disk cache of compiled workflows.

Parsing a large JavaScript workflow with esprima, transpiling it and running the
sandbox's RestrictedPython rewrite costs most of a second; a workflow is usually run
many times unchanged (and resumed). The finished :class:`CompiledWorkflow` — meta, the
Python form, the line map and the marshalled code object — is kept under
``$FLOWDSL_CACHE_DIR`` (default ``$XDG_CACHE_HOME/flowdsl`` or ``~/.cache/flowdsl``;
``FLOWDSL_CACHE_DIR=off`` disables it).

The key covers the script's path and text, the Python version and a hash of every source
file of ``flowdsl`` and ``compat``: a changed sandbox policy or transpiler never serves a
stale entry. Only successful compiles are stored; an unreadable, corrupt or foreign
entry is ignored and rewritten. The cache is an optimisation: any error in it is silent.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import marshal
import os
import sys
import tempfile
from pathlib import Path
from types import CodeType
from typing import Any

from ._frontends import CompiledWorkflow

__all__ = ["CACHE_ENV", "cache_dir", "load", "save"]

CACHE_ENV = "FLOWDSL_CACHE_DIR"
_FORMAT = 1


def cache_dir() -> Path | None:
    """Where compiled workflows are kept, or None when the cache is off."""
    configured = os.environ.get(CACHE_ENV)
    if configured is not None:
        return None if configured.strip().lower() in ("", "off", "0", "none") else Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "flowdsl"


@functools.cache
def _salt() -> str:
    """Hash of the compiler's own sources: any change to them invalidates every entry."""
    digest = hashlib.sha256(f"{_FORMAT}|{sys.version}|{marshal.version}".encode())
    for package in ("flowdsl", "compat"):
        spec = importlib.util.find_spec(package)  # located, not imported
        if spec is None or spec.origin is None:
            continue
        root = Path(spec.origin).parent
        for file in sorted(root.rglob("*.py")):
            digest.update(str(file.relative_to(root)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()


def _entry(source: str, path: str) -> Path | None:
    directory = cache_dir()
    if directory is None:
        return None
    key = hashlib.sha256(f"{_salt()}\0{path}\0{source}".encode()).hexdigest()
    return directory / "compiled" / key[:2] / f"{key[2:]}.bin"


def load(source: str, path: str) -> CompiledWorkflow | None:
    """The cached compile of ``source`` at ``path``, or None."""
    try:
        entry = _entry(source, path)
        if entry is None or not entry.is_file():
            return None
        data: Any = marshal.loads(entry.read_bytes())
        language, meta, python_source, line_map, code = data
        if not isinstance(code, CodeType) or not isinstance(meta, dict):
            return None
        return CompiledWorkflow(
            path=path, language=language, meta=meta, source=source,
            python_source=python_source, code=code,
            line_map={int(k): (int(v[0]), int(v[1])) for k, v in line_map.items()}
            if line_map is not None else None,
        )
    except (OSError, ValueError, EOFError, TypeError):
        return None


def save(compiled: CompiledWorkflow) -> None:
    """Store a successful compile (atomically; errors are ignored)."""
    try:
        entry = _entry(compiled.source, compiled.path)
        if entry is None:
            return
        line_map = dict(compiled.line_map) if compiled.line_map is not None else None
        blob = marshal.dumps((compiled.language, dict(compiled.meta), compiled.python_source,
                              line_map, compiled.code))
        entry.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=entry.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            handle.write(blob)
        os.replace(tmp, entry)
    except (OSError, ValueError):
        return
