"""Which script a tool call means: inline text (saved under the store's ``scripts/``), a
file, or a saved workflow's name — read, size-checked and compiled.

An inline script is saved before it is compiled, at a path named after its content, so a
script error points into a file the model can open, edit and run again by
``script_path`` (Claude Code's Workflow tool does the same with its scripts).
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .._durable import find_workflow
from .._frontends import CompiledWorkflow, compile_source, read_workflow
from .._store import resolve_store_dir
from ..errors import UsageError

__all__ = ["MAX_SCRIPT_CHARS", "Language", "Script", "load_script", "looks_like_javascript"]

MAX_SCRIPT_CHARS = 524_288
"""The longest script a tool takes (Claude Code's limit for its Workflow tool)."""

Language = Literal["python", "javascript"]

_SUFFIX: dict[Language, str] = {"python": ".flow.py", "javascript": ".js"}
_JS_LINE = re.compile(r"^\s*(export\s|const\s|let\s|var\s|function[\s*]|//)", re.MULTILINE)
_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True, slots=True)
class Script:
    """A script to validate or run: its file (None: not saved) and its compiled form."""

    path: Path | None
    compiled: CompiledWorkflow


def looks_like_javascript(text: str) -> bool:
    """Whether an inline script is the JavaScript dialect: a line starting with
    ``export``, ``const``, ``let``, ``var``, ``function`` or ``//`` (none is Python)."""
    return _JS_LINE.search(text) is not None


def _check_size(text: str, where: str) -> None:
    if len(text) > MAX_SCRIPT_CHARS:
        raise UsageError(f"{where}: the script has {len(text):,} characters; the limit is "
                         f"{MAX_SCRIPT_CHARS:,}")


def _save_inline(text: str, suffix: str, scripts_dir: Path, stem: str) -> Path:
    path = scripts_dir / f"{stem}{suffix}"
    try:
        scripts_dir.mkdir(parents=True, exist_ok=True)
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, path)
    except OSError as exc:
        raise UsageError(f"{path}: cannot save the script ({exc.strerror})") from None
    return path


def _inline(text: str, language: Language | None, *, save: bool, store: str | None) -> Script:
    _check_size(text, "script")
    chosen: Language = language or ("javascript" if looks_like_javascript(text) else "python")
    suffix = _SUFFIX[chosen]
    if not save:
        return Script(None, compile_source(text, f"script{suffix}"))
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    scripts_dir = resolve_store_dir(store) / "scripts"
    draft = _save_inline(text, suffix, scripts_dir, f"workflow-{digest}")
    compiled = compile_source(text, str(draft))  # a ScriptError names the saved file
    slug = _SLUG.sub("-", compiled.name.lower()).strip("-")[:60] or "workflow"
    if slug == "workflow":
        return Script(draft, compiled)
    path = _save_inline(text, suffix, scripts_dir, f"{slug}-{digest}")
    draft.unlink(missing_ok=True)
    return Script(path, compile_source(text, str(path)))


def load_script(*, script: str | None = None, script_path: str | None = None,
                name: str | None = None, language: Language | None = None,
                save: bool = False, store: str | None = None,
                project_dir: Path) -> Script:
    """The script one of ``script`` (inline text), ``script_path`` or ``name`` (a saved
    or bundled workflow, ``@name`` for a bundled one) names; exactly one must be given.

    Args:
        language: the inline script's language (default: guessed, see
            :func:`looks_like_javascript`).
        save: save an inline script under the store's ``scripts/`` (for a run).
        store: the store directory (None: the default).
        project_dir: relative paths and names are looked up from here.

    Raises:
        UsageError: none or several given, a file or name not found, over the size limit.
        ScriptError: the script is invalid (``path:line:col: message``).
    """
    given = [k for k, v in (("script", script), ("script_path", script_path),
                            ("name", name)) if v is not None]
    if len(given) != 1:
        raise UsageError("give exactly one of script, script_path or name"
                         + (f" (got {', '.join(given)})" if given else ""))
    if script is not None:
        return _inline(script, language, save=save, store=store)
    if script_path is not None:
        path = Path(script_path)
        path = path if path.is_absolute() else project_dir / path
    else:
        assert name is not None
        found = find_workflow(name, project_dir, store_dir=store)
        if found is None:
            raise UsageError(f"{name}: no saved or bundled workflow of that name "
                             "(see workflows_saved)")
        path = found
    text = read_workflow(path)
    _check_size(text, str(path))
    return Script(path, compile_source(text, str(path)))
