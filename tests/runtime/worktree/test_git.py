"""Running git: one-line failures, lock contention retried, a clean environment."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from flowdsl._runtime._worktree._git import git, run_git, try_git
from flowdsl.errors import IsolationError

from .conftest import install_hook, needs_git, write

pytestmark = [pytest.mark.anyio, needs_git]


async def test_output_is_returned(repo: Path) -> None:
    assert (await git("rev-parse", "--abbrev-ref", "HEAD", cwd=repo)).strip() == "main"


async def test_a_failure_is_one_line_naming_the_command_and_git_s_last_line(repo: Path) -> None:
    with pytest.raises(IsolationError) as info:
        await git("rev-parse", "--verify", "no-such-ref", cwd=repo)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("git rev-parse --verify no-such-ref failed: fatal:")


async def test_a_multi_line_argument_shows_its_first_line_only(repo: Path) -> None:
    with pytest.raises(IsolationError) as info:
        await git("commit", "-m", "subject\n\nbody", cwd=repo)  # nothing to commit
    assert "\n" not in str(info.value)
    assert "subject …" in str(info.value)


async def test_lock_contention_is_retried_until_the_lock_goes(repo: Path) -> None:
    lock = repo / ".git" / "index.lock"
    write(lock, "")
    write(repo / "new.txt", "new\n")

    async def release() -> None:
        await anyio.sleep(0.2)
        await anyio.Path(lock).unlink()

    async with anyio.create_task_group() as tg:
        tg.start_soon(release)
        await git("add", "new.txt", cwd=repo)
    assert "new.txt" in await git("ls-files", cwd=repo)


async def test_a_lock_held_for_good_fails_naming_it(repo: Path) -> None:
    write(repo / ".git" / "index.lock", "")
    write(repo / "new.txt", "new\n")
    with pytest.raises(IsolationError, match=r"index\.lock"):
        await git("add", "new.txt", cwd=repo)


async def test_try_git_returns_none_on_failure(repo: Path) -> None:
    assert await try_git("rev-parse", "--verify", "no-such-ref", cwd=repo) is None


async def test_run_git_reports_the_exit_status_without_raising(repo: Path) -> None:
    result = await run_git("rev-parse", "--verify", "--quiet", "no-such-ref", cwd=repo)
    assert result.returncode == 1
    assert result.last_error == "exit status 1"


async def test_git_that_cannot_start_is_an_isolation_error(
        repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(repo / "no-bin"))
    with pytest.raises(IsolationError, match="could not start"):
        await git("status", cwd=repo)


async def test_an_inherited_git_dir_does_not_redirect_commands(
        repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_DIR", str(tmp_path / "elsewhere" / ".git"))
    top = await git("rev-parse", "--show-toplevel", cwd=repo)
    assert Path(top.strip()) == repo


async def test_user_hooks_are_not_run(repo: Path) -> None:
    install_hook(repo, "pre-commit", "exit 1")
    write(repo / "f0.txt", "changed\n")
    await git("commit", "-qam", "through the hook", cwd=repo)
    assert "through the hook" in await git("log", "-1", "--format=%s", cwd=repo)
