"""``workflow(name_or_path, args)``: which file a script's child workflow is.

A path is taken relative to the calling script and must stay inside its project (the
repository root above it); a name is looked for next to the calling script with each
workflow suffix, then through the run's :data:`WorkflowFinder` (saved workflows — the
durable layer supplies it; a bare runtime has none).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .._config import project_root
from .._frontends import WORKFLOW_SUFFIXES
from ..errors import UsageError

__all__ = ["find_child_workflow"]


WorkflowFinder = Callable[[str, Path], Path | None]
"""``(name, script_dir) -> path`` of a saved workflow, for ``workflow(name)``."""


def find_child_workflow(ref: str, script_path: str, finder: WorkflowFinder | None) -> Path:
    """The file ``workflow(ref)`` runs, called from the script at ``script_path``.

    Raises:
        UsageError: the reference leaves the project, or nothing is found.
    """
    base = Path(script_path).parent
    is_path = Path(ref).is_absolute() or "/" in ref or "\\" in ref or ref.startswith(".")
    # Containment first: whether a file outside the project exists is not for scripts.
    if not (base / ref).resolve().is_relative_to(project_root(base)):
        raise UsageError(f"workflow {ref!r} is outside the project")
    for suffix in ("", *WORKFLOW_SUFFIXES):
        candidate = base / f"{ref}{suffix}"
        if candidate.is_file():
            return candidate
    found = None if is_path or finder is None else finder(ref, base)
    if found is None:
        raise UsageError(f"workflow {ref!r} not found next to {script_path} "
                         "or among saved workflows")
    return found
