"""edit (exact, unique replace; keeps encoding, newlines, mode) and write (atomic, confined)."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest

from flowdsl.backends._tools import Workspace, edit_file, write_file
from flowdsl.errors import ToolError

pytestmark = pytest.mark.anyio


# -- edit -------------------------------------------------------------------------------------
async def test_edit_replaces_the_one_occurrence(ws: Workspace, root: Path, tree: Any) -> None:
    tree({"a.py": "x = 1\ny = 2\n"})
    await edit_file(ws, "a.py", "y = 2", "y = 3")
    assert (root / "a.py").read_text() == "x = 1\ny = 3\n"


async def test_edit_answer_shows_the_edited_region_numbered(ws: Workspace, tree: Any) -> None:
    tree({"a.py": "".join(f"line{n}\n" for n in range(1, 21))})
    out = await edit_file(ws, "a.py", "line10\n", "ten\nTEN\n")
    assert out.splitlines() == [
        "Edited a.py: replaced 1 occurrence. The edited region (cat -n):",
        "     7\tline7", "     8\tline8", "     9\tline9", "    10\tten", "    11\tTEN",
        "    12\tline11", "    13\tline12", "    14\tline13",
    ]


async def test_edit_replace_all_replaces_every_occurrence(ws: Workspace, root: Path,
                                                          tree: Any) -> None:
    tree({"a.py": "foo foo\nfoo\n"})
    out = await edit_file(ws, "a.py", "foo", "bar", replace_all=True)
    assert (root / "a.py").read_text() == "bar bar\nbar\n"
    assert out.startswith("Edited a.py: replaced 3 occurrences.")


async def test_edit_keeps_crlf_newlines_when_given_lf(ws: Workspace, root: Path,
                                                      tree: Any) -> None:
    tree({"a.txt": b"one\r\ntwo\r\nthree\r\n"})
    await edit_file(ws, "a.txt", "one\ntwo", "1\n2")
    assert (root / "a.txt").read_bytes() == b"1\r\n2\r\nthree\r\n"


async def test_edit_leaves_mixed_newlines_as_they_are(ws: Workspace, root: Path,
                                                      tree: Any) -> None:
    tree({"a.txt": b"one\r\ntwo\nthree\n"})
    await edit_file(ws, "a.txt", "two", "2")
    assert (root / "a.txt").read_bytes() == b"one\r\n2\nthree\n"


async def test_edit_keeps_a_utf8_bom(ws: Workspace, root: Path, tree: Any) -> None:
    tree({"a.txt": b"\xef\xbb\xbfcaf\xc3\xa9\n"})
    await edit_file(ws, "a.txt", "café", "tea")
    assert (root / "a.txt").read_bytes() == b"\xef\xbb\xbftea\n"


async def test_edit_keeps_the_file_mode(ws: Workspace, root: Path, tree: Any) -> None:
    tree({"run.sh": "echo hi\n"})
    os.chmod(root / "run.sh", 0o751)
    await edit_file(ws, "run.sh", "hi", "there")
    assert stat.S_IMODE((root / "run.sh").stat().st_mode) == 0o751


async def test_edit_through_an_inside_symlink_changes_the_target(ws: Workspace, root: Path,
                                                                 tree: Any) -> None:
    tree({"real.txt": "a\n"})
    os.symlink(root / "real.txt", root / "alias.txt")
    await edit_file(ws, "alias.txt", "a", "b")
    assert (root / "real.txt").read_text() == "b\n"
    assert (root / "alias.txt").is_symlink()


async def test_edit_leaves_no_temporary_file(ws: Workspace, root: Path, tree: Any) -> None:
    tree({"a.txt": "a\n"})
    await edit_file(ws, "a.txt", "a", "b")
    assert os.listdir(root) == ["a.txt"]


@pytest.mark.parametrize(("files", "path", "old", "new", "message"), [
    ({"a.py": "x\n"}, "a.py", "zzz", "y", "was not found in 'a.py'"),
    ({"a.py": "x x\n"}, "a.py", "x", "y", "occurs 2 times in 'a.py'.*replace_all"),
    ({"a.py": "x\n"}, "a.py", "x", "x", "are the same"),
    ({"a.py": "x\n"}, "a.py", "", "y", "old_string is empty"),
    ({}, "missing.py", "x", "y", "does not exist: use write"),
    ({"d/f": "x"}, "d", "x", "y", "not a regular file"),
    ({"b.bin": b"x\0y"}, "b.bin", "x", "y", "binary file"),
    ({"l1.txt": b"caf\xe9\n"}, "l1.txt", "caf", "tea", "not UTF-8"),
    ({".git/config": "x\n"}, ".git/config", "x", "y", r"\.git"),
    ({}, "../out.txt", "x", "y", "outside the workspace"),
])
async def test_edit_refusals(ws: Workspace, tree: Any, files: dict[str, Any], path: str,
                             old: str, new: str, message: str) -> None:
    tree(files)
    with pytest.raises(ToolError, match=message):
        await edit_file(ws, path, old, new)


async def test_a_refused_edit_leaves_the_file_unchanged(ws: Workspace, root: Path,
                                                        tree: Any) -> None:
    tree({"a.py": "x x\n"})
    with pytest.raises(ToolError):
        await edit_file(ws, "a.py", "x", "y")
    assert (root / "a.py").read_text() == "x x\n"


# -- write ------------------------------------------------------------------------------------
async def test_write_creates_a_file_and_its_parents(ws: Workspace, root: Path) -> None:
    out = await write_file(ws, "new/deep/a.txt", "one\ntwo\n")
    assert (root / "new/deep/a.txt").read_text() == "one\ntwo\n"
    assert out == "Created new/deep/a.txt (2 lines, 8 bytes)"


async def test_write_overwrites_and_keeps_the_mode(ws: Workspace, root: Path,
                                                   tree: Any) -> None:
    tree({"run.sh": "old\n"})
    os.chmod(root / "run.sh", 0o700)
    out = await write_file(ws, "run.sh", "new")
    assert (root / "run.sh").read_text() == "new"
    assert stat.S_IMODE((root / "run.sh").stat().st_mode) == 0o700
    assert out.startswith("Overwrote run.sh")


async def test_write_gives_a_new_file_the_umask_mode(ws: Workspace, root: Path) -> None:
    umask = os.umask(0o022)
    os.umask(umask)
    await write_file(ws, "a.txt", "x")
    assert stat.S_IMODE((root / "a.txt").stat().st_mode) == 0o666 & ~umask


async def test_write_keeps_the_content_byte_for_byte(ws: Workspace, root: Path) -> None:
    await write_file(ws, "a.txt", "crlf\r\nünïcode\n")
    assert (root / "a.txt").read_bytes() == "crlf\r\nünïcode\n".encode()


@pytest.mark.parametrize(("path", "message"), [
    ("../escape.txt", "outside the workspace"),
    ("/etc/flowdsl-test.txt", "outside the workspace"),
    ("link_dir/x.txt", "outside the workspace"),
    (".git/hooks/pre-commit", r"\.git"),
    (".flowdsl/runs.db", "protected"),
    ("d", "is a directory"),
    ("f.txt/x", "cannot create the directory"),
])
async def test_write_refusals(root: Path, tree: Any, path: str, message: str) -> None:
    tree({"d/keep": "", "f.txt": ""})
    (root.parent / "outdir").mkdir()
    os.symlink(root.parent / "outdir", root / "link_dir")
    ws = Workspace(root=root, protected=(root / ".flowdsl",))
    with pytest.raises(ToolError, match=message):
        await write_file(ws, path, "x")
    assert not (root.parent / "escape.txt").exists()
    assert list((root.parent / "outdir").iterdir()) == []


async def test_write_of_lone_surrogates_is_a_tool_error(ws: Workspace) -> None:
    with pytest.raises(ToolError, match="UTF-8"):
        await write_file(ws, "a.txt", "bad \ud800")
