"""bash: the allow-list rules, output and exit status, caps, environment, timeout, cancellation."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import anyio
import pytest
from processes import wait_gone

from flowdsl.backends._tools import Workspace, bash_allowed, run_bash
from flowdsl.errors import ToolError

ALLOW = ("pytest", "npm test", "git diff", "ls")


# -- the allow-list ---------------------------------------------------------------------------
@pytest.mark.parametrize("command", [
    "pytest",
    "pytest -q tests/test_x.py",
    "pytest -k 'a or b'",
    'pytest -k "x|y"',
    "npm test",
    "npm test -- -k x",
    "git diff --stat HEAD~1",
    "  ls   -la  ",
    "ls a#b",
])
def test_commands_starting_with_an_allowed_prefix_are_allowed(command: str) -> None:
    assert bash_allowed(command, ALLOW) is None


@pytest.mark.parametrize(("command", "reason"), [
    ("npm testing", "`npm testing` is not allowed here"),
    ("npm", "`npm` is not allowed here"),
    ("pytestx", "`pytestx` is not allowed here"),
    ("git status", "`git status` is not allowed here"),
    ("rm -rf /", "`rm -rf` is not allowed here"),
    ("FOO=1 pytest", "`FOO=1 pytest` is not allowed here"),
    ("pytest; rm -rf /", "operator `;`"),
    ("pytest && curl x", "operator `&&`"),
    ("pytest || true", "operator `||`"),
    ("pytest | tee log", "operator `|`"),
    ("pytest &", "operator `&`"),
    ("pytest > out.txt", "operator `>`"),
    ("pytest >> out.txt", "operator `>>`"),
    ("pytest < in.txt", "operator `<`"),
    ("pytest 2>&1", "operator `>&`"),
    ("ls (x)", "operator `(`"),
    ("pytest `whoami`", "a backtick"),
    ("pytest $(whoami)", "`$(`"),
    ("pytest ${HOME}", "`${`"),
    ("pytest\nrm -rf /", "a newline"),
    ("pytest 'unclosed", "cannot be parsed"),
    ("pytest a\0b", "NUL character"),
    ("", "empty"),
    ("   ", "empty"),
])
def test_refused_commands_say_why(command: str, reason: str) -> None:
    refusal = bash_allowed(command, ALLOW)
    assert refusal is not None
    assert reason in refusal, refusal


@pytest.mark.parametrize("command", ["npm testing", "pytest; x", "pytest `x`", "pytest 'x"])
def test_refusals_name_the_allowed_prefixes(command: str) -> None:
    refusal = bash_allowed(command, ALLOW)
    assert refusal is not None
    assert refusal.endswith("allowed commands start with `pytest`, `npm test`, `git diff`, `ls`")


def test_nul_is_refused_even_when_any_command_may_run() -> None:
    assert bash_allowed("echo a\0b", ("*",)) == (
        "command refused: it contains a NUL character, which no program can receive"
    )


def test_star_allows_any_command() -> None:
    assert bash_allowed("curl x | sh; rm -rf / && `id`", ("*",)) is None


def test_an_empty_allow_list_allows_nothing() -> None:
    assert bash_allowed("ls", ()) == "command refused: no commands may run in this workspace"


# -- running ----------------------------------------------------------------------------------
@pytest.mark.anyio
async def test_output_and_a_nonzero_exit_code_are_reported(ws: Workspace) -> None:
    out = await run_bash(ws, "echo out; echo err >&2; exit 3", allow=("*",))
    assert out == "out\nerr\n[exit code 3]"


@pytest.mark.anyio
async def test_a_command_without_output_says_so(ws: Workspace) -> None:
    assert await run_bash(ws, "true", allow=("*",)) == "(no output)\n[exit code 0]"


@pytest.mark.anyio
async def test_a_signal_death_is_reported(ws: Workspace) -> None:
    out = await run_bash(ws, "kill -9 $$", allow=("*",))
    assert out == "(no output)\n[killed by signal SIGKILL]"


@pytest.mark.anyio
async def test_star_runs_the_command_under_bash(ws: Workspace) -> None:
    out = await run_bash(ws, "[[ 1 == 1 ]] && echo bash", allow=("*",))
    assert out == "bash\n[exit code 0]"


@pytest.mark.anyio
async def test_an_allowed_prefix_runs_as_argv_without_a_shell(ws: Workspace) -> None:
    out = await run_bash(ws, "echo $HOME '*' ~", allow=("echo",))
    assert out == "$HOME * ~\n[exit code 0]"


@pytest.mark.anyio
async def test_the_command_runs_in_the_workspace_root(ws: Workspace, root: Path) -> None:
    assert await run_bash(ws, "pwd", allow=("pwd",)) == f"{root}\n[exit code 0]"


@pytest.mark.anyio
async def test_stdin_is_closed(ws: Workspace) -> None:
    assert await run_bash(ws, "cat", allow=("cat",), timeout=20) == "(no output)\n[exit code 0]"


@pytest.mark.anyio
async def test_long_output_keeps_its_head_and_tail(ws: Workspace) -> None:
    out = await run_bash(ws, "printf '%0200d' 0", allow=("*",), max_output=100)
    assert out == f"{'0' * 50}\n[... 100 characters cut ...]\n{'0' * 50}\n[exit code 0]"


@pytest.mark.anyio
async def test_output_at_the_cap_is_kept_whole(ws: Workspace) -> None:
    out = await run_bash(ws, "printf '%0100d' 0", allow=("*",), max_output=100)
    assert out == f"{'0' * 100}\n[exit code 0]"


@pytest.mark.anyio
async def test_huge_output_is_cut_in_the_middle(ws: Workspace) -> None:
    out = await run_bash(ws, "seq 1 200000", allow=("seq",), max_output=1000)
    assert out.startswith("1\n2\n3\n")
    assert out.endswith("199999\n200000\n[exit code 0]")
    assert "characters cut ...]" in out


@pytest.mark.anyio
async def test_the_environment_is_minimal(ws: Workspace,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-value")
    monkeypatch.setenv("SOME_TOKEN", "tok-secret-value")
    out = await run_bash(ws, "env", allow=("env",))
    names = {line.split("=", 1)[0] for line in out.splitlines()[:-1]}
    assert "secret-value" not in out
    assert names <= {"PATH", "LANG", "LC_ALL", "TERM", "HOME", "TMPDIR", "PWD", "SHLVL", "_"}
    assert "TERM=dumb" in out.splitlines()


@pytest.mark.anyio
async def test_env_is_added_on_top(ws: Workspace) -> None:
    out = await run_bash(ws, "echo $FLOW_X $TERM", allow=("*",), env={"FLOW_X": "on"})
    assert out == "on dumb\n[exit code 0]"


@pytest.mark.anyio
@pytest.mark.parametrize(("command", "allow", "message"), [
    ("rm -rf x", ALLOW, "`rm -rf` is not allowed here"),
    ("ls | sh", ALLOW, "operator `|`"),
    ("no-such-program-flowdsl", ("no-such-program-flowdsl",), "could not start"),
])
async def test_refusals_and_spawn_failures_are_tool_errors(
    ws: Workspace, command: str, allow: tuple[str, ...], message: str
) -> None:
    with pytest.raises(ToolError, match=message):
        await run_bash(ws, command, allow=allow)


@pytest.mark.anyio
async def test_a_timeout_is_a_tool_error_and_ends_the_command(ws: Workspace,
                                                              root: Path) -> None:
    start = time.monotonic()
    with pytest.raises(ToolError, match=r"timed out after 0\.5 s"):
        await run_bash(ws, "echo $$ > pid; exec sleep 30", allow=("*",), timeout=0.5)
    assert time.monotonic() - start < 15
    assert await anyio.to_thread.run_sync(wait_gone, int((root / "pid").read_text()))


@pytest.mark.anyio
async def test_a_leftover_background_job_does_not_hold_the_call(ws: Workspace) -> None:
    start = time.monotonic()
    out = await run_bash(ws, "sleep 30 & echo done", allow=("*",))
    assert out == "done\n[exit code 0]"
    assert time.monotonic() - start < 15


@pytest.mark.anyio
@pytest.mark.parametrize("script", [
    "echo $$ > pid; exec sleep 30",
    "sleep 30 & echo $! > pid; wait",
])
async def test_cancelling_the_caller_kills_the_command(ws: Workspace, root: Path,
                                                       script: str) -> None:
    await _cancel_once_started(ws, root, script, ("*",))


@pytest.mark.anyio
async def test_cancelling_an_argv_command_kills_it(ws: Workspace, root: Path) -> None:
    code = "import os, time; open('pid', 'w').write(str(os.getpid())); time.sleep(30)"
    command = f'{sys.executable} -c "{code}"'
    await _cancel_once_started(ws, root, command, (sys.executable,))


async def _cancel_once_started(ws: Workspace, root: Path, command: str,
                               allow: tuple[str, ...]) -> None:
    """Run ``command`` (which writes a pid to ``pid``), cancel it, check the pid is gone."""
    pidfile = root / "pid"
    start = time.monotonic()
    async with anyio.create_task_group() as tg:
        tg.start_soon(_run_quietly, ws, command, allow)
        assert await anyio.to_thread.run_sync(_wait_written, pidfile)
        tg.cancel_scope.cancel()
    assert time.monotonic() - start < 20
    assert await anyio.to_thread.run_sync(wait_gone, int(pidfile.read_text()))


async def _run_quietly(ws: Workspace, command: str, allow: tuple[str, ...]) -> None:
    await run_bash(ws, command, allow=allow, timeout=60)
    raise AssertionError("the command should have been cancelled")


def _wait_written(path: Path, timeout: float = 20.0) -> bool:
    """True once ``path`` holds something (the command has started)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().strip():
            return True
        time.sleep(0.02)
    return False


