"""Saved and bundled workflows: ``flowdsl save``, ``flowdsl workflows`` and name lookup.

``@NAME`` is a bundled workflow, one shipped with flowdsl in ``flowdsl/workflows/``
(``flowdsl run @review``, ``workflow("@review", args)`` in a script): the ``@`` namespace is
reserved for them, so a saved workflow never shadows one and a bundled one never shadows a
saved ``review``. ``flowdsl/workflows/`` is package data, not a package: its scripts are
workflows (top-level ``await``), never imported. Any other name is looked up, in order:

1. as a path (absolute, relative to the current directory, or to ``start_dir``);
2. ``workflows/NAME.*`` in the store (``--store``/``$FLOWDSL_STORE``/``./.flowdsl``), then in
   any ``.flowdsl/`` from ``start_dir`` up to the repository root;
3. ``.claude/workflows/NAME.js`` in the closest folder from ``start_dir`` up to the
   repository root (a folder containing ``.git``) — Claude Code's saved workflows.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .._config import project_folders
from .._frontends import WORKFLOW_SUFFIXES, compile_file, frontend_available, suffix_of
from .._runtime import WorkflowFinder
from .._store import resolve_store_dir
from ..errors import UsageError

__all__ = [
    "BUNDLED_DIR",
    "SavedWorkflow",
    "bundled_names",
    "bundled_workflows",
    "find_bundled",
    "find_workflow",
    "list_workflows",
    "save_workflow",
    "saved_workflow_finder",
]

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")

BUNDLED_DIR = Path(__file__).resolve().parent.parent / "workflows"
"""The workflows shipped with flowdsl (package data; their agent types are in ``agents/``)."""
_BUNDLED_SUFFIX = ".flow.py"


@dataclass(frozen=True, slots=True, kw_only=True)
class SavedWorkflow:
    """A workflow found by name: where it lives and which collection it belongs to."""

    name: str
    path: Path
    source: Literal["flowdsl", "claude", "bundled"]
    description: str | None = None
    """The meta ``description`` (read for bundled workflows only: listing stays cheap)."""

    @property
    def ref(self) -> str:
        """What ``flowdsl run`` takes to run it: ``@name`` for a bundled one, else ``name``."""
        return f"@{self.name}" if self.source == "bundled" else self.name


def _stem(name: str) -> str:
    """``name`` without its workflow suffix (``review.flow.py`` -> ``review``)."""
    suffix = suffix_of(name)
    return name[: -len(suffix)] if suffix in WORKFLOW_SUFFIXES else name


def _store_dirs(start: Path, store: str | os.PathLike[str] | None) -> list[Path]:
    dirs = [resolve_store_dir(store)]  # a URL store's: its local folder
    dirs += [folder / ".flowdsl" for folder in project_folders(start)]
    seen: list[Path] = []
    for d in dirs:
        resolved = d.resolve()
        if resolved not in seen:
            seen.append(resolved)
    return seen


def find_workflow(
    name: str, start_dir: Path, *, store_dir: str | os.PathLike[str] | None = None,
    as_path: bool = True,
) -> Path | None:
    """The file a workflow name or path refers to, or None (see the module docstring).

    ``as_path=False`` skips reading ``name`` as a path (``workflow()`` in a script resolves
    paths itself, inside the script's project).

    Raises:
        UsageError: ``name`` is ``@NAME`` and no bundled workflow has that name (the
            message lists the bundled names).
    """
    if name.startswith("@"):
        return find_bundled(name[1:])
    for candidate in (Path(name), start_dir / name) if as_path else ():
        if candidate.is_file():
            return candidate
    if not _NAME_RE.match(name):
        return None
    stem = _stem(name)
    for directory in _store_dirs(start_dir, store_dir or None):
        for suffix in WORKFLOW_SUFFIXES:
            candidate = directory / "workflows" / f"{stem}{suffix}"
            if candidate.is_file():
                return candidate
    for folder in project_folders(start_dir):
        candidate = folder / ".claude" / "workflows" / f"{stem}.js"
        if candidate.is_file():
            return candidate
    return None


def bundled_names() -> list[str]:
    """The names of the bundled workflows, sorted (``review``, not ``@review``)."""
    if not BUNDLED_DIR.is_dir():
        return []
    return sorted(path.name[: -len(_BUNDLED_SUFFIX)]
                  for path in BUNDLED_DIR.glob(f"*{_BUNDLED_SUFFIX}") if path.is_file())


def find_bundled(name: str) -> Path:
    """The file of the bundled workflow ``name`` (given without its ``@``).

    Raises:
        UsageError: no bundled workflow has that name.
    """
    if _NAME_RE.match(name) and name in bundled_names():
        return BUNDLED_DIR / f"{name}{_BUNDLED_SUFFIX}"
    known = ", ".join(f"@{n}" for n in bundled_names()) or "none"
    raise UsageError(f"no bundled workflow {'@' + name!r} (bundled: {known}; saved "
                     "workflows run by their plain name)")


def bundled_workflows() -> list[SavedWorkflow]:
    """The bundled workflows with their meta descriptions, by name.

    Raises:
        ScriptError: a bundled script does not compile (a broken installation).
    """
    found = []
    for name in bundled_names():
        path = BUNDLED_DIR / f"{name}{_BUNDLED_SUFFIX}"
        description = compile_file(path).meta.get("description")
        found.append(SavedWorkflow(name=name, path=path, source="bundled",
                                   description=str(description) if description else None))
    return found


def saved_workflow_finder(store_dir: str | os.PathLike[str] | None) -> WorkflowFinder:
    """What the runtime's ``workflow(name)`` calls to find a saved workflow of this store."""

    def find(name: str, start: Path) -> Path | None:
        return find_workflow(name, start, store_dir=store_dir, as_path=False)

    return find


def list_workflows(
    start_dir: Path | None = None, *, store_dir: str | os.PathLike[str] | None = None,
    bundled: bool = False,
) -> list[SavedWorkflow]:
    """Saved workflows by name: the store's, then ``.claude/workflows/*.js`` (JS layer only).

    A name found in several places is listed once, where :func:`find_workflow` finds it.
    ``bundled=True`` adds the bundled workflows after them (:func:`bundled_workflows`).
    """
    start = start_dir or Path.cwd()
    found: dict[str, SavedWorkflow] = {}
    for directory in _store_dirs(start, store_dir or None):
        folder = directory / "workflows"
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            suffix = suffix_of(path)
            if suffix in WORKFLOW_SUFFIXES and path.is_file():
                stem = path.name[: -len(suffix)]
                found.setdefault(stem, SavedWorkflow(name=stem, path=path, source="flowdsl"))
    if frontend_available(".js"):
        for folder in project_folders(start):
            claude = folder / ".claude" / "workflows"
            if claude.is_dir():
                for path in sorted(claude.glob("*.js")):
                    found.setdefault(path.stem, SavedWorkflow(name=path.stem, path=path,
                                                              source="claude"))
                break
    saved = sorted(found.values(), key=lambda w: w.name)
    return saved + bundled_workflows() if bundled else saved


def save_workflow(
    text: str, suffix: str, name: str, *,
    store_dir: str | os.PathLike[str] | None = None, force: bool = False,
) -> Path:
    """Write a workflow's source as ``workflows/NAME<suffix>`` in the store.

    Raises:
        UsageError: a bad name, or the name is taken and ``force`` is False.
    """
    stem = _stem(name)
    if not _NAME_RE.match(stem) or not stem:
        raise UsageError(f"bad workflow name {name!r}: use letters, digits, '.', '_' and '-'")
    if suffix not in WORKFLOW_SUFFIXES:
        raise UsageError(f"cannot save a {suffix or 'suffix-less'} file as a workflow "
                         f"(expected one of {', '.join(WORKFLOW_SUFFIXES)})")
    folder = resolve_store_dir(store_dir) / "workflows"
    existing = [folder / f"{stem}{known}" for known in WORKFLOW_SUFFIXES
                if (folder / f"{stem}{known}").is_file()]
    if existing and not force:
        raise UsageError(f"workflow {stem!r} already exists ({existing[0]}); "
                         "use --force to replace it")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{stem}{suffix}"
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)
        for old in existing:
            if old != target:
                old.unlink(missing_ok=True)
    except OSError as exc:
        raise UsageError(f"{folder}: cannot save workflow ({exc.strerror})") from None
    return target
