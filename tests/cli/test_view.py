"""``flowdsl._cli._view``: script text reaches the views as text, never as markup or
terminal control sequences."""

from __future__ import annotations

import io
import json

import pytest
from rich.console import Console

from flowdsl._cli._view import LiveView, PlainView, format_summary, format_value
from flowdsl._runtime import AgentFinished, LogLine, PhaseStarted
from flowdsl._types import AgentRecord, AgentRequest, RunResult, Usage

MARKUP = ["[/bold]", "[link=file:///etc/passwd]x[/link]", "[red]", "[bold]x[/bold]"]


def failed(label: str | None, error: str) -> AgentFinished:
    record = AgentRecord(request=AgentRequest(prompt="p", label=label), status="failed",
                         error=error)
    return AgentFinished(index=0, record=record)


def live_output(*events: PhaseStarted | LogLine) -> str:
    stream = io.StringIO()
    with LiveView(Console(file=stream, force_terminal=True, width=120), ticker=False) as view:
        for event in events:
            view(event)
    view.console.print(view.render())
    return stream.getvalue()


@pytest.mark.parametrize("title", MARKUP)
def test_live_view_shows_phase_titles_literally(title):
    out = live_output(PhaseStarted(title="Draft"), PhaseStarted(title=title))
    assert title in out
    assert "Draft" in out


def test_live_view_escapes_control_characters_in_titles_and_logs():
    out = live_output(PhaseStarted(title="a\x1b]0;pwned\x07"),
                      LogLine(text="b\x1b]52;c;ZWNobyBoaQ==\x07\x9b2J"))
    assert "\x1b]" not in out
    assert "\x07" not in out
    assert "\x9b" not in out
    assert "a\\x1b]0;pwned\\x07" in out
    assert "b\\x1b]52;c;ZWNobyBoaQ==\\x07\\x9b2J" in out


def plain_lines(*events: PhaseStarted | LogLine | AgentFinished) -> list[str]:
    stream = io.StringIO()
    view = PlainView(stream)
    for event in events:
        view(event)
    return stream.getvalue().splitlines()


@pytest.mark.parametrize(("event", "lines"), [
    (PhaseStarted(title="[/bold]\x1b[2J\nx"), ["== [/bold]\\x1b[2J x"]),
    (LogLine(text="ok\rEVIL\nnext"), ["   ok\\rEVIL", "   next"]),
    (failed("\u202elabel\n", "boom\x07\ntrace"), ["!! \\u202elabel  failed: boom\\x07",
                                                  "   trace"]),
    (failed(None, "e"), ["!! agent #1 failed: e"]),
])
def test_plain_view_escapes_and_indents(event, lines):
    assert plain_lines(event) == lines


def test_summary_escapes_errors():
    result = RunResult(status="failed", error="ValueError: \x1b]0;pwned\x07",
                       agents=(failed("a", "\x9b2J").record,))
    summary = format_summary(result)
    assert "error: ValueError: \\x1b]0;pwned\\x07" in summary
    assert "  1 × \\x9b2J" in summary


def test_summary_says_the_cost_of_an_unpriced_model_is_unknown():
    unpriced = Usage(input_tokens=30, output_tokens=12, unpriced_tokens=42)
    record = AgentRecord(request=AgentRequest(prompt="p", model="qwen3"), status="ok",
                         usage=unpriced)
    summary = format_summary(RunResult(status="completed", agents=(record,), usage=unpriced))
    assert "cost: unknown (no price for model qwen3)" in summary.splitlines()


def test_summary_shows_the_known_part_of_a_partly_unknown_cost():
    usage = Usage(input_tokens=1030, output_tokens=12, cost_usd=0.5, unpriced_tokens=42)
    summary = format_summary(RunResult(status="completed", usage=usage))
    assert "cost: $0.5000 + unknown (42 tokens of unpriced models)" in summary.splitlines()


@pytest.mark.parametrize(("value", "shown"), [
    ("ok\rEVIL\x1b[2J é", "ok\\rEVIL\\x1b[2J é"),
    ({"v": "\x9b2J\x1b"}, '{\n  "v": "\\u009b2J\\u001b"\n}'),
    ({"v": "é [/bold]"}, '{\n  "v": "é [/bold]"\n}'),
])
def test_format_value_is_safe_and_json_stays_json(value, shown):
    assert format_value(value) == shown
    if not isinstance(value, str):
        assert json.loads(shown) == value
