"""read (cat -n, ranges, refusals), list (one directory) and glob (newest first, confined)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from flowdsl.backends._tools import Workspace, _files, glob_files, list_dir, read_file
from flowdsl.errors import ToolError

pytestmark = pytest.mark.anyio


# -- read -------------------------------------------------------------------------------------
async def test_read_numbers_lines_like_cat_n(ws: Workspace, tree: Any) -> None:
    tree({"a.txt": "alpha\nbeta\n"})
    assert await read_file(ws, "a.txt") == "     1\talpha\n     2\tbeta"


async def test_read_offset_and_limit_select_a_range_and_say_how_to_read_on(
    ws: Workspace, tree: Any
) -> None:
    tree({"a.txt": "".join(f"line {n}\n" for n in range(1, 11))})
    out = await read_file(ws, "a.txt", offset=3, limit=2)
    assert out == "     3\tline 3\n     4\tline 4\n[more lines follow: read on with offset=5]"


async def test_read_defaults_to_2000_lines(ws: Workspace, tree: Any) -> None:
    tree({"a.txt": "x\n" * 2500})
    out = await read_file(ws, "a.txt")
    assert out.splitlines()[-2:] == ["  2000\tx", "[more lines follow: read on with offset=2001]"]


async def test_read_cuts_long_lines_with_a_marker(ws: Workspace, tree: Any) -> None:
    tree({"a.txt": "y" * 2500 + "\n"})
    out = await read_file(ws, "a.txt")
    assert out == "     1\t" + "y" * 2000 + " [... line cut at 2,000 of 2,500 characters]"


async def test_read_strips_crlf_and_a_bom_for_display(ws: Workspace, tree: Any) -> None:
    tree({"a.txt": b"\xef\xbb\xbfone\r\ntwo\r\n"})
    assert await read_file(ws, "a.txt") == "     1\tone\n     2\ttwo"


async def test_read_of_an_empty_file_says_so(ws: Workspace, tree: Any) -> None:
    tree({"empty.txt": ""})
    assert await read_file(ws, "empty.txt") == "[the file is empty]"


async def test_read_output_is_capped_at_max_read_chars(root: Path, tree: Any) -> None:
    tree({"a.txt": "0123456789\n" * 50})
    out = await read_file(Workspace(root=root, max_read_chars=100), "a.txt")
    assert out.endswith("[output cut at 100 characters: read on with offset=6]")
    assert len(out.splitlines()) == 6


@pytest.mark.parametrize(("files", "path", "args", "message"), [
    ({}, "missing.txt", {}, "does not exist"),
    ({"d/x.txt": "x"}, "d", {}, "is a directory: use list"),
    ({"b.bin": b"abc\0def"}, "b.bin", {}, "binary file"),
    ({"l1.txt": b"caf\xe9\n"}, "l1.txt", {}, "binary file"),
    ({"a.txt": "one\n"}, "a.txt", {"offset": 5}, "past the end of 'a.txt', which has 1 lines"),
    ({"a.txt": "one\n"}, "a.txt", {"offset": -1}, "offset must be"),
    ({"a.txt": "one\n"}, "a.txt", {"limit": 0}, "limit must be"),
    ({}, "../outside.txt", {}, "outside the workspace"),
])
async def test_read_refusals(ws: Workspace, tree: Any, files: dict[str, Any], path: str,
                             args: dict[str, int], message: str) -> None:
    tree(files)
    with pytest.raises(ToolError, match=message):
        await read_file(ws, path, **args)


async def test_read_of_a_huge_file_needs_a_range(ws: Workspace, tree: Any,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_files, "MAX_FILE_BYTES", 100)
    tree({"big.txt": "z\n" * 100})
    with pytest.raises(ToolError, match="read a range with offset and limit"):
        await read_file(ws, "big.txt")


async def test_read_of_a_huge_file_with_a_range_works(ws: Workspace, tree: Any,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_files, "MAX_FILE_BYTES", 100)
    tree({"big.txt": "".join(f"{n}\n" for n in range(1, 101))})
    assert await read_file(ws, "big.txt", offset=99) == "    99\t99\n   100\t100"


# -- list -------------------------------------------------------------------------------------
async def test_list_marks_directories_and_links_and_sorts(ws: Workspace, root: Path,
                                                          tree: Any) -> None:
    tree({"b.txt": "", "a/x.txt": "", ".hidden": "", "C.txt": ""})
    os.symlink(root / "a", root / "link")
    assert await list_dir(ws) == ".hidden\nC.txt\na/\nb.txt\nlink@"


async def test_list_of_an_empty_directory_says_so(ws: Workspace, root: Path) -> None:
    (root / "empty").mkdir()
    assert await list_dir(ws, "empty") == "[empty directory]"


async def test_list_is_capped_with_a_count_of_the_rest(ws: Workspace, tree: Any,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_files, "MAX_ENTRIES", 2)
    tree({"a": "", "b": "", "c": "", "d": ""})
    out = await list_dir(ws)
    assert out.splitlines()[:2] == ["a", "b"]
    assert out.splitlines()[2].startswith("[2 more entries cut: use glob")


@pytest.mark.parametrize(("path", "message"), [
    ("f.txt", "is a file, not a directory: use read"),
    ("nope", "does not exist"),
    ("..", "outside the workspace"),
])
async def test_list_refusals(ws: Workspace, tree: Any, path: str, message: str) -> None:
    tree({"f.txt": "x"})
    with pytest.raises(ToolError, match=message):
        await list_dir(ws, path)


# -- glob -------------------------------------------------------------------------------------
async def test_glob_lists_matches_relative_to_the_root_newest_first(ws: Workspace, root: Path,
                                                                    tree: Any) -> None:
    tree({"src/old.py": "", "src/deep/new.py": "", "src/mid.py": "", "src/x.txt": ""})
    for age, name in enumerate(["src/deep/new.py", "src/mid.py", "src/old.py"]):
        os.utime(root / name, (1_000_000 - age * 1000, 1_000_000 - age * 1000))
    assert await glob_files(ws, "**/*.py") == "src/deep/new.py\nsrc/mid.py\nsrc/old.py"


async def test_glob_pattern_is_relative_to_path(ws: Workspace, tree: Any) -> None:
    tree({"src/a.py": "", "src/sub/b.py": "", "a.py": ""})
    assert await glob_files(ws, "*.py", "src") == "src/a.py"


async def test_glob_skips_git_directories(ws: Workspace, tree: Any) -> None:
    tree({".git/hooks/x.py": "", "sub/.git/y.py": "", "ok.py": ""})
    assert await glob_files(ws, "**/*.py") == "ok.py"


async def test_glob_does_not_follow_links_out_of_the_root(ws: Workspace, root: Path,
                                                          tree: Any) -> None:
    outside = root.parent / "outdir"
    outside.mkdir()
    (outside / "secret.py").write_text("")
    (root.parent / "secret2.py").write_text("")
    os.symlink(outside, root / "linked_dir")
    os.symlink(root.parent / "secret2.py", root / "linked_file.py")
    tree({"in.py": ""})
    assert await glob_files(ws, "**/*.py") == "in.py"


async def test_glob_lists_a_symlinked_file_whose_target_is_inside(ws: Workspace, root: Path,
                                                                  tree: Any) -> None:
    tree({"real.py": ""})
    os.symlink(root / "real.py", root / "alias.py")
    assert sorted((await glob_files(ws, "*.py")).splitlines()) == ["alias.py", "real.py"]


async def test_glob_without_matches_says_so(ws: Workspace, tree: Any) -> None:
    tree({"a.txt": ""})
    assert await glob_files(ws, "**/*.py") == "No files found"


async def test_glob_is_capped_with_a_more_results_line(ws: Workspace, tree: Any,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_files, "MAX_ENTRIES", 2)
    tree({"a.py": "", "b.py": "", "c.py": ""})
    out = (await glob_files(ws, "*.py")).splitlines()
    assert len(out) == 3
    assert out[2] == "[1 more results cut: narrow the pattern or path]"


@pytest.mark.parametrize(("pattern", "path", "message"), [
    ("", ".", "non-empty pattern"),
    ("../*.py", ".", "without '..'"),
    ("*.py", "..", "outside the workspace"),
    ("*.py", "f.txt", "is a file, not a directory"),
    ("*.py", "missing", "does not exist"),
])
async def test_glob_refusals(ws: Workspace, tree: Any, pattern: str, path: str,
                             message: str) -> None:
    tree({"f.txt": ""})
    with pytest.raises(ToolError, match=message):
        await glob_files(ws, pattern, path)


async def test_glob_past_its_time_limit_is_a_tool_error(ws: Workspace, tree: Any,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_files, "SEARCH_SECONDS", 0)
    tree({"a.py": ""})
    with pytest.raises(ToolError, match="glob took longer than 0 s: narrow the pattern"):
        await glob_files(ws, "**/*.py")


async def test_undecodable_file_names_are_shown_with_a_replacement_character(
    ws: Workspace, root: Path
) -> None:
    os.close(os.open(os.fsencode(root) + b"/caf\xe9.txt", os.O_CREAT | os.O_WRONLY))
    assert await list_dir(ws) == "caf\ufffd.txt"
    assert await glob_files(ws, "*.txt") == "caf\ufffd.txt"
