"""The directory an agent works in, and the confinement every tool goes through.

Every path a model passes is resolved by :meth:`Workspace.resolve`: relative to the
root, ``..`` collapsed and every symlink followed (:meth:`pathlib.Path.resolve`), and only
then compared with the root, so a symlinked file or directory pointing outside is
refused like ``../x`` or ``/etc/passwd``. Writes are refused too under ``.git`` (any
repository's, at any depth) and the caller's protected paths (the run store).

The check is made on the resolved path just before the file is used. A process the agent
started could swap a directory for a symlink in between; the tools do not defend against
that race, since an agent allowed to run arbitrary commands needs no race to escape.

Tree walks (glob, the Python grep) run in a worker thread, never follow a symlinked
directory, skip ``.git`` and check for cancellation as they go.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from anyio import from_thread

from ...errors import ToolError

__all__ = ["READ_ONLY_TOOLS", "TOOL_NAMES", "Workspace", "cap_text", "printable", "walk_files"]

TOOL_NAMES: tuple[str, ...] = ("read", "list", "glob", "grep", "edit", "write", "bash")
"""The tools, in the order a loop offers them."""

READ_ONLY_TOOLS: frozenset[str] = frozenset({"read", "list", "glob", "grep"})
"""The tools that never change the workspace (what a read-only agent gets)."""

_CHECK_EVERY = 256
"""Directory entries a walk visits between two cancellation checks."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Workspace:
    """The directory an agent works in; the tools never reach outside it.

    ``root`` and ``protected`` must be absolute and already resolved
    (``Path(...).resolve()``): paths are compared after resolving symlinks.
    """

    root: Path
    protected: tuple[Path, ...] = ()
    max_read_chars: int = 100_000

    def __post_init__(self) -> None:
        for path in (self.root, *self.protected):
            if not path.is_absolute() or path.resolve() != path:
                raise ValueError(f"Workspace paths must be absolute and resolved, got {path}")
        if self.max_read_chars < 1:
            raise ValueError(f"max_read_chars must be at least 1, got {self.max_read_chars}")

    def resolve(self, path: str, *, for_write: bool = False) -> Path:
        """The absolute, symlink-free path ``path`` names, if the agent may use it.

        Raises:
            ToolError: it resolves outside the root, or ``for_write`` and it is a
                protected path or inside a ``.git`` directory.
        """
        if "\0" in path:
            raise ToolError(f"path {path!r} contains a NUL character: pass a plain file path")
        try:
            resolved = (self.root / (path or ".")).resolve()
        except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop (Python < 3.13)
            raise ToolError(f"cannot resolve path {path!r}: {exc}") from None
        if not resolved.is_relative_to(self.root):
            raise ToolError(
                f"path {path!r} is outside the workspace {self.root} (after resolving '..' "
                "and symlinks): use a path inside it"
            )
        if for_write:
            self._check_writable(path, resolved)
        return resolved

    def _check_writable(self, path: str, resolved: Path) -> None:
        if any(part.lower() == ".git" for part in resolved.relative_to(self.root).parts):
            raise ToolError(
                f"path {path!r} is inside a .git directory, which tools may not change: "
                "use git commands if allowed"
            )
        for protected in self.protected:
            if resolved.is_relative_to(protected):
                raise ToolError(f"path {path!r} is protected and may not be changed")

    def relative(self, path: Path) -> str:
        """``path`` (under the root) as the model sees it: relative, ``/``-separated."""
        return printable(path.relative_to(self.root).as_posix()) if path != self.root else "."

    def contains(self, path: Path) -> bool:
        """Whether ``path`` resolves inside the root (False if it cannot be resolved)."""
        try:
            return path.resolve().is_relative_to(self.root)
        except (OSError, RuntimeError):
            return False


def printable(name: str) -> str:
    """A file name with undecodable bytes (surrogate escapes) shown as U+FFFD."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def cap_text(text: str, limit: int, hint: str) -> str:
    """``text`` cut to ``limit`` characters (at a line end if one is near) with a marker."""
    if len(text) <= limit:
        return text
    cut = text.rfind("\n", 0, limit)
    if cut < limit // 2:
        cut = limit
    return f"{text[:cut]}\n[output cut at {cut:,} of {len(text):,} characters: {hint}]"


def walk_files(
    ws: Workspace,
    base: Path,
    *,
    prune: Callable[[tuple[str, ...]], bool] | None = None,
    file_links: bool = False,
) -> Iterator[Path]:
    """Regular files below ``base`` (a directory), depth first; call from a worker thread.

    Symlinked directories are never entered. A symlinked file is yielded only with
    ``file_links`` and when its target is a file inside the root. ``prune`` gets each
    directory's components relative to the root and returns False to skip it.
    """
    stack = [base]
    seen = 0
    while stack:
        directory = stack.pop()
        try:
            with os.scandir(directory) as entries:
                found = sorted(entries, key=lambda entry: entry.name)
        except OSError:
            continue  # unreadable or vanished: skipped like rg does
        for entry in found:
            seen += 1
            if seen % _CHECK_EVERY == 0:
                from_thread.check_cancelled()
            if entry.name == ".git":
                continue
            path = Path(entry.path)
            if entry.is_dir(follow_symlinks=False):
                if prune is None or prune(path.relative_to(ws.root).parts):
                    stack.append(path)
            elif entry.is_symlink():
                if file_links and path.is_file() and ws.contains(path):
                    yield path
            elif entry.is_file(follow_symlinks=False):
                yield path
