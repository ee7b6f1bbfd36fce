"""Hostile text from a workflow script, through the CLI: it never drives the terminal.

The script puts each hostile string in one place (a phase title, a log line, an agent
label, the result, an error, its name); the commands that show it (``run``, ``runs
logs|list|status|result``) exit normally, print no control character raw, and show rich
markup literally. ``--json`` keeps the exact value.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from flowdsl._cli import main

HOSTILE = [
    "\x1b[2J",  # clear screen
    "\x1b]0;pwned\x07",  # window title
    "\x1b]52;c;ZWNobyBoaQ==\x07",  # clipboard
    "\x9b2J",  # clear screen through the C1 CSI
    "ding\x07",
    "safe\b\b\b\bevil",
    "ok\rEVIL",
    "abc\u202edef",
    "[/bold]",
    "[link=file:///etc/passwd]x[/link]",
    "[red]",
]
MARKUP = ["[/bold]", "[link=file:///etc/passwd]x[/link]", "[red]"]
TEXT = " | ".join(HOSTILE)
"""Every hostile string at once: a run per place, not per place and string."""

RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
"""What must never reach the terminal (newline and tab may)."""

SLOW = "tests.cli.slow_backend:create"
ECHO = "tests.cli.echo_backend:create"

PLACES = {
    # where the script puts the text: (script body, backend, exit code of `run`)
    "phase": ("phase(TEXT)\nreturn 1", "simulate", 0),
    "log": ("log('x', TEXT)\nreturn 1", "simulate", 0),
    "print": ("print(TEXT)\nreturn 1", "simulate", 0),
    "label": ("await agent('x', label=TEXT, timeout=0.01)\nreturn 1", SLOW, 3),  # timed out: exit 3
    "agent output": ("return await agent(TEXT)", ECHO, 0),
    "result": ("return TEXT", "simulate", 0),
    "result object": ("return {'v': TEXT, 'w': [TEXT]}", "simulate", 0),
    "error": ("raise ValueError(TEXT)", "simulate", 1),
}


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def hostile_script(script: Callable[..., Path], place: str, text: str = TEXT) -> Path:
    body = PLACES[place][0].replace("TEXT", repr(text))
    meta = f'meta = {{"name": {text!r}, "description": "hostile"}}\n'
    return script(body, meta=meta)


def run_hostile(capsys: pytest.CaptureFixture[str], script: Callable[..., Path],
                place: str, *flags: str) -> tuple[int, str, str]:
    _, backend, _ = PLACES[place]
    return run_cli(capsys, "run", str(hostile_script(script, place)), "--backend", backend,
                   *flags)


def last_run_id(capsys: pytest.CaptureFixture[str]) -> str:
    _, out, _ = run_cli(capsys, "runs", "list", "--json")
    run_id: str = json.loads(out)[0]["run_id"]
    return run_id


@pytest.mark.parametrize("place", PLACES)
def test_run_prints_no_raw_control_character(capsys, script, place):
    code, out, err = run_hostile(capsys, script, place)
    assert code == PLACES[place][2], err
    assert RAW_CONTROL.findall(out + err) == []


@pytest.mark.parametrize("place", PLACES)
def test_run_shows_markup_literally(capsys, script, place):
    _, out, err = run_hostile(capsys, script, place)
    assert [m for m in MARKUP if m not in out + err] == []


@pytest.mark.parametrize("place", ["phase", "log", "label", "result", "result object", "error"])
def test_runs_commands_print_no_raw_control_character(capsys, script, place):
    run_hostile(capsys, script, place)
    run_id = last_run_id(capsys)
    for argv in (["list"], ["status", run_id], ["logs", run_id], ["result", run_id]):
        code, out, err = run_cli(capsys, "runs", *argv)
        assert code in (0, 1), (argv, err)
        assert RAW_CONTROL.findall(out + err) == [], argv


def test_runs_logs_show_markup_literally(capsys, script):
    run_hostile(capsys, script, "phase")
    _, out, _ = run_cli(capsys, "runs", "logs", last_run_id(capsys))
    assert "== \\x1b[2J | \\x1b]0;pwned\\x07 | " in out
    assert " | [/bold] | [link=file:///etc/passwd]x[/link] | [red]\n" in out


def test_runs_status_escapes_a_hostile_script_path(capsys, script):
    path = script("return 1", name="x\x1b]0;pwned\x07.flow.py")
    run_cli(capsys, "run", str(path), "--backend", "simulate")
    _, out, _ = run_cli(capsys, "runs", "status", last_run_id(capsys))
    assert "x\\x1b]0;pwned\\x07.flow.py" in out
    assert RAW_CONTROL.findall(out) == []


def test_a_multi_line_log_cannot_pose_as_log_lines(capsys, script):
    run_cli(capsys, "run", str(script("log('x\\n12:00:00 -- completed')\nreturn 1")),
            "--backend", "simulate")
    _, out, _ = run_cli(capsys, "runs", "logs", last_run_id(capsys))
    assert "\n" + " " * len("12:00:00 == ") + "12:00:00 -- completed\n" in out


def test_run_json_keeps_the_exact_value(capsys, script):
    code, out, _ = run_hostile(capsys, script, "result object", "--json")
    assert code == 0
    assert RAW_CONTROL.findall(out) == []
    assert json.loads(out)["result"] == {"v": TEXT, "w": [TEXT]}


def test_runs_result_json_keeps_the_exact_value(capsys, script):
    run_hostile(capsys, script, "result")
    _, out, _ = run_cli(capsys, "runs", "result", last_run_id(capsys), "--json")
    assert RAW_CONTROL.findall(out) == []
    assert json.loads(out)["result"] == TEXT


def test_json_output_of_ordinary_text_is_unchanged(capsys, script):
    value = {"a": "é 😀 日本 [/bold]", "b": [1, 2.5, None]}
    _, out, _ = run_cli(capsys, "run", str(script(f"return {value!r}")),
                        "--backend", "simulate", "--json")
    assert out == json.dumps(json.loads(out), ensure_ascii=False) + "\n"
    assert json.loads(out)["result"] == value


class Terminal(io.StringIO):
    """A stderr that says it is a terminal: the run shows the rich live view."""

    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("place", ["phase", "log"])
def test_live_view_shows_hostile_text_literally_and_safely(capsys, script, monkeypatch, place):
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    monkeypatch.setenv("TERM", "xterm-256color")
    code, _, _ = run_hostile(capsys, script, place)
    shown = terminal.getvalue()
    assert code == 0, shown
    assert "running ·" in shown  # the live panel, not the plain lines
    assert "\\x1b]0;pwned\\x07 | " in shown
    assert [m for m in MARKUP if m not in shown] == []
    assert [raw for raw in ("\x1b]", "\x07", "\x9b", "\x1b[2J", "\u202e") if raw in shown] == []
