"""grep: both engines (ripgrep, Python) give the same answers; modes, limits and refusals.

Each behaviour runs once per engine: ``rg`` when ripgrep is installed (skipped otherwise;
``.ci/run`` installs it), ``python`` with PATH pointing at an empty directory so
``shutil.which("rg")`` finds nothing.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import anyio
import pytest

from flowdsl.backends._tools import Workspace, _grep, _hits, _pygrep, _rg, grep
from flowdsl.errors import ToolError

pytestmark = pytest.mark.anyio

TREE: dict[str, str | bytes] = {
    "src/app.py": "import os\n\ndef main():\n    return os.getcwd()\n",
    "src/util.py": "def helper():\n    pass\n# TODO: more\n",
    "src/deep/mod.ts": "export const Main = 1;\n",
    "docs/notes.md": "main ideas\nTODO list\nother\nmore\nmain again\n",
    "crlf.txt": "main line\r\nnext\r\n",
    ".hidden/conf.py": "main = True\n",
    ".git/HEAD": "main\n",
    "sub/.git/config": "main\n",
    "bin.dat": b"main\0binary\n",
    "latebin.txt": b"main\n" + b"x\n" * 10 + b"\0",
    "latin1.txt": b"caf\xe9 main\n",
}


@pytest.fixture(params=["rg", "python"])
def engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch,
           tmp_path: Path) -> str:
    if request.param == "rg":
        if shutil.which("rg") is None:
            pytest.skip("ripgrep (rg) is not installed: only the Python engine is tested")
    else:
        empty = tmp_path / "no-bin"
        empty.mkdir()
        monkeypatch.setenv("PATH", str(empty))
    return str(request.param)


@pytest.fixture
def searched(engine: str, ws: Workspace, root: Path, tree: Any) -> Workspace:
    """The workspace holding TREE (and a link out of it), searched with ``engine``."""
    tree(TREE)
    outside = root.parent / "outside"
    outside.mkdir()
    (outside / "leak.py").write_text("main leak\n")
    os.symlink(outside, root / "link_out")
    os.symlink(outside / "leak.py", root / "leak_link.py")
    return ws


async def test_files_with_matches_is_the_default(searched: Workspace) -> None:
    out = await grep(searched, "main")
    assert sorted(out.splitlines()) == [
        ".hidden/conf.py", "crlf.txt", "docs/notes.md", "latin1.txt", "src/app.py",
    ]


async def test_files_with_matches_lists_newest_first(searched: Workspace, root: Path) -> None:
    for age, name in enumerate(["docs/notes.md", "src/app.py", "crlf.txt"]):
        os.utime(root / name, (2_000_000 - age * 100, 2_000_000 - age * 100))
    out = await grep(searched, "main", glob="!.hidden/**", path=".")
    assert out.splitlines()[:3] == ["latin1.txt", "docs/notes.md", "src/app.py"]


async def test_content_mode_shows_path_line_and_text(searched: Workspace) -> None:
    out = await grep(searched, "main", path="docs", output_mode="content")
    assert out == "docs/notes.md:1:main ideas\ndocs/notes.md:5:main again"


async def test_content_mode_with_context_marks_context_lines_and_gaps(
    searched: Workspace,
) -> None:
    out = await grep(searched, "main", path="docs/notes.md", output_mode="content", context=1)
    assert out.splitlines() == [
        "docs/notes.md:1:main ideas", "docs/notes.md-2-TODO list",
        "--",
        "docs/notes.md-4-more", "docs/notes.md:5:main again",
    ]


async def test_count_mode_counts_matching_lines_in_path_order(searched: Workspace) -> None:
    out = await grep(searched, "main|TODO", output_mode="count", path="docs")
    assert out == "docs/notes.md:3"


async def test_ignore_case_matches_any_case(searched: Workspace) -> None:
    out = await grep(searched, "MAIN", path="src", ignore_case=True)
    assert sorted(out.splitlines()) == ["src/app.py", "src/deep/mod.ts"]


async def test_a_match_is_case_sensitive_by_default(searched: Workspace) -> None:
    assert await grep(searched, "Main", path="src") == "src/deep/mod.ts"


@pytest.mark.parametrize(("glob", "expected"), [
    ("*.py", [".hidden/conf.py", "src/app.py"]),
    ("*.{md,txt}", ["crlf.txt", "docs/notes.md", "latin1.txt"]),
    ("src/**", ["src/app.py"]),
    ("!*.py", ["crlf.txt", "docs/notes.md", "latin1.txt"]),
    ("!docs", [".hidden/conf.py", "crlf.txt", "latin1.txt", "src/app.py"]),
    ("docs", []),
])
async def test_glob_filters_like_ripgrep(searched: Workspace, glob: str,
                                         expected: list[str]) -> None:
    out = await grep(searched, "main", glob=glob)
    assert sorted(out.splitlines()) == (expected or ["No matches found"])


async def test_an_explicit_file_is_searched_whatever_the_glob(searched: Workspace) -> None:
    assert await grep(searched, "main", path="src/app.py", glob="*.md") == "src/app.py"


async def test_results_are_relative_to_the_root_when_searching_a_subdirectory(
    searched: Workspace,
) -> None:
    assert await grep(searched, "helper", path="src") == "src/util.py"


async def test_crlf_lines_are_shown_without_the_carriage_return(searched: Workspace) -> None:
    assert await grep(searched, "line", path="crlf.txt", output_mode="content") == \
        "crlf.txt:1:main line"


async def test_head_limit_keeps_the_first_entries(searched: Workspace) -> None:
    out = await grep(searched, "main|TODO", path="docs", output_mode="content", head_limit=2)
    assert out.splitlines() == [
        "docs/notes.md:1:main ideas", "docs/notes.md:2:TODO list",
        "[1 more lines cut by head_limit=2]",
    ]


async def test_no_match_says_so(searched: Workspace) -> None:
    assert await grep(searched, "zebra") == "No matches found"


async def test_output_is_capped_at_max_read_chars(engine: str, root: Path, tree: Any) -> None:
    tree({"many.txt": "match me please\n" * 100})
    out = await grep(Workspace(root=root, max_read_chars=200), "match", output_mode="content")
    assert "[output cut at" in out
    assert "narrow the path or glob, or pass head_limit" in out


@pytest.mark.parametrize(("pattern", "kwargs", "message"), [
    ("a(", {}, "invalid regex"),
    ("main", {"output_mode": "lines"}, "output_mode 'lines' is not one of"),
    ("main", {"context": -1}, "context must be between"),
    ("main", {"head_limit": -1}, "head_limit must be"),
    ("main", {"path": "../"}, "outside the workspace"),
    ("main", {"path": "link_out"}, "outside the workspace"),
    ("main", {"path": "missing"}, "does not exist"),
    ("a\0b", {}, "NUL character"),
    ("main", {"glob": "*\0"}, "NUL character"),
])
async def test_grep_refusals(searched: Workspace, pattern: str, kwargs: dict[str, Any],
                             message: str) -> None:
    with pytest.raises(ToolError, match=message):
        await grep(searched, pattern, **kwargs)


async def test_the_python_engine_refuses_catastrophic_patterns(ws: Workspace, root: Path,
                                                               tree: Any) -> None:
    tree({"a.txt": "aaaa\n"})
    query = _hits.Query(pattern="(a+)+$", ignore_case=False, context=0, glob=None, target=root,
                        content=True)
    with pytest.raises(ToolError, match="exponential"):
        _pygrep.search(ws, query)


async def test_the_python_engine_stops_at_the_collection_cap(
    ws: Workspace, root: Path, tree: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_pygrep, "MAX_COLLECTED", 3)
    tree({"a.txt": "x\nx\n", "b.txt": "x\nx\n", "c.txt": "x\n"})
    query = _hits.Query(pattern="x", ignore_case=False, context=0, glob=None, target=root,
                        content=True)
    found = await anyio.to_thread.run_sync(_pygrep.search, ws, query)
    assert not found.complete
    assert len(found.files) == 2


def test_ripgrep_runs_without_user_config_and_without_following_links(
    ws: Workspace, root: Path,
) -> None:
    query = _hits.Query(pattern="-x", ignore_case=True, context=2, glob="*.py", target=root,
                        content=True)
    argv = _rg.argv("rg", ws, query)
    assert argv[1] == "--no-config"
    assert "--follow" not in argv
    assert "-L" not in argv
    assert argv[-4:] == ["--regexp", "-x", "--", "."]


@pytest.mark.parametrize(("pattern", "context", "glob"), [
    ("main", 0, None),
    ("main|TODO", 2, None),
    ("^def ", 1, "*.py"),
    ("e$", 0, "!src/**"),
    ("caf", 0, None),
])
async def test_both_engines_find_the_same_lines(ws: Workspace, root: Path, tree: Any,
                                                pattern: str, context: int,
                                                glob: str | None) -> None:
    rg = shutil.which("rg")
    if rg is None:
        pytest.skip("ripgrep (rg) is not installed")
    tree(TREE)
    query = _hits.Query(pattern=pattern, ignore_case=False, context=context, glob=glob,
                        target=root, content=True)
    by_rg = await _rg.search(rg, ws, query)
    by_python = await anyio.to_thread.run_sync(_pygrep.search, ws, query)
    assert sorted(by_rg.files, key=lambda f: f.path) == \
        sorted(by_python.files, key=lambda f: f.path)
    assert by_rg.files


async def test_ripgrep_stops_at_the_collection_cap(ws: Workspace, root: Path, tree: Any,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    rg = shutil.which("rg")
    if rg is None:
        pytest.skip("ripgrep (rg) is not installed")
    monkeypatch.setattr(_rg, "MAX_COLLECTED", 3)
    tree({f"f{n}.txt": "x\nx\n" for n in range(20)})
    query = _hits.Query(pattern="x", ignore_case=False, context=0, glob=None, target=root,
                        content=True)
    found = await _rg.search(rg, ws, query)
    assert not found.complete
    assert len(found.files) == 2


async def test_an_incomplete_search_says_so(engine: str, root: Path, tree: Any,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_rg, "MAX_COLLECTED", 2)
    monkeypatch.setattr(_pygrep, "MAX_COLLECTED", 2)
    tree({"a.txt": "x\nx\n", "b.txt": "x\n"})
    out = await grep(Workspace(root=root), "x")
    assert out.splitlines()[-1].startswith("[search stopped after")


async def test_grep_past_its_time_limit_is_a_tool_error(engine: str, ws: Workspace, tree: Any,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_grep, "SEARCH_SECONDS", 0)
    tree({"a.txt": "x\n"})
    with pytest.raises(ToolError, match="grep took longer than 0 s"):
        await grep(ws, "x")


async def test_count_mode_caps_files_not_lines(engine: str, ws: Workspace, tree: Any,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_rg, "MAX_COLLECTED", 2)
    monkeypatch.setattr(_pygrep, "MAX_COLLECTED", 2)
    tree({"a.txt": "x\n" * 10})
    assert await grep(ws, "x", output_mode="count") == "a.txt:10"
