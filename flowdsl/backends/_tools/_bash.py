"""The bash tool: one command in the workspace root, allow-listed, time-limited, capped.

The allow-list holds command prefixes (``"pytest"``, ``"npm test"``, ``"git diff"``), or
``"*"`` for any command. With ``"*"`` the command runs under ``bash -c`` (``sh -c`` where
bash is missing). Otherwise no shell ever sees it: it is split with :mod:`shlex`
(``punctuation_chars=True``), refused if it holds a shell operator (``;``, ``&&``,
``||``, ``|``, ``&``, redirections, parentheses, backticks, ``$(``, ``${``, newlines) —
a prefix check is meaningless if ``pytest; curl ...`` can follow — and run as an argv
when its tokens start with the tokens of an allowed prefix, so ``npm test -- -k x``
matches ``npm test`` and ``npm testing`` does not. Approaches rejected: matching the raw
string (``pytest`` would allow ``pytestx``, and operators would pass), and running
allow-listed commands under a shell after a check (quoting rules differ between the
check and the shell).

The child gets a bare environment (:func:`._proc.minimal_env`: no API keys) plus the
caller's ``env``, stdin from /dev/null, its own process group (ended on exit, timeout and
cancellation), and merged stdout+stderr kept to ``max_output`` characters, head and tail.
A non-zero exit is reported in the answer, not raised: the model needs the output.
"""

from __future__ import annotations

import codecs
import shlex
import shutil
import signal
from collections.abc import Mapping, Sequence

import anyio

from ...errors import ToolError
from ._proc import minimal_env, run_streaming
from ._workspace import Workspace

__all__ = ["bash_allowed", "run_bash"]

ANY_COMMAND = "*"

_OPERATOR_CHARS = frozenset("();<>|&")

_FORBIDDEN_TEXT = (("`", "a backtick"), ("$(", "`$(`"), ("${", "`${`"), ("\n", "a newline"),
                   ("\r", "a carriage return"))


def bash_allowed(command: str, allow: Sequence[str]) -> str | None:
    """None if ``command`` may run under ``allow``, else the refusal the model reads."""
    if not command.strip():
        return "the command is empty: give one command to run"
    if "\0" in command:
        return "command refused: it contains a NUL character, which no program can receive"
    if ANY_COMMAND in allow:
        return None
    prefixes = [prefix for prefix in allow if prefix.strip()]
    if not prefixes:
        return "command refused: no commands may run in this workspace"
    allowed = "allowed commands start with " + ", ".join(f"`{p}`" for p in prefixes)
    for text, name in _FORBIDDEN_TEXT:
        if text in command:
            return (f"command refused: {name} is not allowed (commands run without a shell, "
                    f"one at a time); {allowed}")
    try:
        tokens = split_command(command)
    except ValueError as exc:
        return f"command refused: it cannot be parsed ({exc}); {allowed}"
    for token in tokens:
        if set(token) <= _OPERATOR_CHARS:
            return (f"command refused: shell operator `{token}` is not allowed (commands run "
                    f"without a shell: no pipes, redirections or chaining; run one command "
                    f"at a time); {allowed}")
    if any(_starts_with(tokens, prefix) for prefix in prefixes):
        return None
    return f"command refused: `{shlex.join(tokens[:2])}` is not allowed here; {allowed}"


def split_command(command: str) -> list[str]:
    """Shell-like tokens; operators come out as tokens of their own.

    Raises:
        ValueError: unbalanced quotes or a trailing backslash.
    """
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = ""  # no shell runs the command, so `#` is an ordinary character
    return list(lexer)


def _starts_with(tokens: list[str], prefix: str) -> bool:
    try:
        wanted = split_command(prefix)
    except ValueError:
        return False
    return bool(wanted) and tokens[: len(wanted)] == wanted


async def run_bash(
    ws: Workspace,
    command: str,
    *,
    allow: Sequence[str],
    timeout: float = 120.0,  # noqa: ASYNC109 - the tool's contract; applied with fail_after
    max_output: int = 30_000,
    env: Mapping[str, str] | None = None,
) -> str:
    """Run a command in the workspace root; returns its output and exit code.

    stdout and stderr come back together; very long output keeps its start and end.
    stdin is closed, so interactive prompts fail instead of waiting, and a command that
    runs too long is stopped. When only some commands are allowed, the command runs
    without a shell: one command, no pipes, redirections, `;` or `&&`, and no
    variables, globs or `~` expanded.

    Args:
        command: The command line to run, e.g. `pytest -q tests/test_parser.py`.
    """
    refusal = bash_allowed(command, allow)
    if refusal is not None:
        raise ToolError(refusal)
    if timeout <= 0 or max_output < 1:
        raise ValueError(f"run_bash needs timeout > 0 and max_output >= 1, got {timeout}, "
                         f"{max_output}")
    child_env = minimal_env(env)
    if ANY_COMMAND in allow:
        argv = [shutil.which("bash", path=child_env["PATH"]) or "/bin/sh", "-c", command]
    else:
        argv = split_command(command)
    output = _OutputCap(max_output)
    try:
        with anyio.fail_after(timeout):
            exit_ = await run_streaming(argv, cwd=ws.root, env=child_env, sink=output.feed,
                                        merge_stderr=True)
    except TimeoutError:
        raise ToolError(f"command timed out after {timeout:g} s and was killed: run a "
                        "quicker or narrower command") from None
    except OSError as exc:
        raise ToolError(f"command could not start: {argv[0]}: {exc.strerror or exc} (is it "
                        "installed and on PATH?)") from None
    return _report(output.text(), exit_.returncode)


def _report(output: str, returncode: int) -> str:
    if returncode < 0:
        try:
            status = f"[killed by signal {signal.Signals(-returncode).name}]"
        except ValueError:
            status = f"[killed by signal {-returncode}]"
    else:
        status = f"[exit code {returncode}]"
    if not output:
        return f"(no output)\n{status}"
    newline = "" if output.endswith("\n") else "\n"
    return f"{output}{newline}{status}"


class _OutputCap:
    """Decoded output, keeping the first and last ``limit // 2`` characters or so."""

    def __init__(self, limit: int) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._head_cap = limit // 2
        self._tail_cap = limit - self._head_cap
        self._head = ""
        self._tail = ""
        self._cut = 0

    def feed(self, chunk: bytes) -> bool:
        self._add(self._decoder.decode(chunk))
        return True

    def _add(self, text: str, keep: int | None = None) -> None:
        room = self._head_cap - len(self._head)
        if room > 0:
            self._head += text[:room]
            text = text[room:]
        self._tail += text
        if len(self._tail) > (keep if keep is not None else 2 * self._tail_cap):
            drop = len(self._tail) - self._tail_cap
            self._cut += drop
            self._tail = self._tail[drop:]

    def text(self) -> str:
        self._add(self._decoder.decode(b"", final=True), keep=self._tail_cap)
        if not self._cut:
            return self._head + self._tail
        return f"{self._head}\n[... {self._cut:,} characters cut ...]\n{self._tail}"
