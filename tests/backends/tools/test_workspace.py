"""Workspace.resolve keeps every path inside the root; writes also avoid .git and protected."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from flowdsl.backends._tools import READ_ONLY_TOOLS, TOOL_NAMES, Workspace
from flowdsl.backends._tools._workspace import cap_text
from flowdsl.errors import ToolError


@pytest.fixture
def attack_tree(root: Path) -> Path:
    """Inside: ``src/a.py``. Outside (next to root): ``secret.txt``, ``outdir/``; links."""
    outside = root.parent
    (outside / "secret.txt").write_text("secret")
    (outside / "outdir").mkdir()
    (outside / "outdir" / "x.txt").write_text("x")
    (root / "src").mkdir()
    (root / "src" / "a.py").write_text("a")
    os.symlink(outside / "secret.txt", root / "link_file")
    os.symlink(outside / "outdir", root / "link_dir")
    os.symlink(root / "src", root / "inner_link")
    os.symlink("loop_b", root / "loop_a")
    os.symlink("loop_a", root / "loop_b")
    return root


OUTSIDE = [
    "..",
    "../secret.txt",
    "src/../../secret.txt",
    "/etc/passwd",
    "link_file",
    "link_dir",
    "link_dir/x.txt",
    "link_dir/new.txt",
    "link_dir/../secret.txt",
    "inner_link/../../secret.txt",
]


@pytest.mark.parametrize("path", OUTSIDE)
def test_paths_resolving_outside_are_refused(ws: Workspace, attack_tree: Path,
                                             path: str) -> None:
    with pytest.raises(ToolError, match="outside the workspace"):
        ws.resolve(path)


@pytest.mark.parametrize("path", OUTSIDE)
def test_paths_resolving_outside_are_refused_for_writes(ws: Workspace, attack_tree: Path,
                                                        path: str) -> None:
    with pytest.raises(ToolError, match="outside the workspace"):
        ws.resolve(path, for_write=True)


@pytest.mark.parametrize(("path", "expected"), [
    ("src/a.py", "src/a.py"),
    ("./src//a.py", "src/a.py"),
    ("src/../src/a.py", "src/a.py"),
    ("inner_link/a.py", "src/a.py"),
    ("new/file.txt", "new/file.txt"),
    (".", "."),
    ("", "."),
])
def test_paths_inside_resolve_under_the_root(ws: Workspace, attack_tree: Path, path: str,
                                             expected: str) -> None:
    assert ws.relative(ws.resolve(path)) == expected


def test_an_absolute_path_inside_the_root_is_accepted(ws: Workspace, attack_tree: Path) -> None:
    assert ws.resolve(str(attack_tree / "src" / "a.py")) == attack_tree / "src" / "a.py"


def test_a_symlink_loop_is_a_tool_error(ws: Workspace, attack_tree: Path) -> None:
    with pytest.raises(ToolError, match="loop_a"):
        ws.resolve("loop_a")


def test_a_nul_in_a_path_is_a_tool_error(ws: Workspace) -> None:
    with pytest.raises(ToolError, match="NUL"):
        ws.resolve("a\0b")


@pytest.mark.parametrize("path", [".git", ".git/config", "sub/.git/HEAD", ".GIT/config"])
def test_git_directories_are_refused_for_writes(ws: Workspace, path: str) -> None:
    with pytest.raises(ToolError, match=r"\.git"):
        ws.resolve(path, for_write=True)


def test_git_directories_may_be_read(ws: Workspace) -> None:
    assert ws.relative(ws.resolve(".git/config")) == ".git/config"


@pytest.mark.parametrize("path", [".flowdsl", ".flowdsl/runs.db", "link_to_store/x"])
def test_protected_paths_are_refused_for_writes(root: Path, path: str) -> None:
    (root / ".flowdsl").mkdir()
    os.symlink(root / ".flowdsl", root / "link_to_store")
    ws = Workspace(root=root, protected=(root / ".flowdsl",))
    with pytest.raises(ToolError, match="protected"):
        ws.resolve(path, for_write=True)


def test_protected_paths_may_be_read(root: Path) -> None:
    ws = Workspace(root=root, protected=(root / ".flowdsl",))
    assert ws.relative(ws.resolve(".flowdsl/runs.db")) == ".flowdsl/runs.db"


@pytest.mark.parametrize("bad", [Path("relative/dir"), Path("/tmp/../tmp")])
def test_an_unresolved_root_is_a_value_error(bad: Path) -> None:
    with pytest.raises(ValueError, match="absolute and resolved"):
        Workspace(root=bad)


def test_cap_text_keeps_short_text() -> None:
    assert cap_text("abc", 10, "hint") == "abc"


def test_cap_text_cuts_at_a_line_end_and_says_how_to_get_more() -> None:
    text = "line one\nline two\nline three\n"
    capped = cap_text(text, 20, "read on")
    assert capped.startswith("line one\nline two\n[output cut at 17 of 29 characters: read on]")


def test_tool_names_are_the_seven_tools_and_read_only_ones_are_among_them() -> None:
    assert TOOL_NAMES == ("read", "list", "glob", "grep", "edit", "write", "bash")
    assert READ_ONLY_TOOLS < set(TOOL_NAMES)
