"""``flowdsl._cli._live_view`` and ``make_view``: the live view of a foreground run,
drawn on a fixed-width rich console and read back as the screen a terminal shows."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from flowdsl._cli._live_view import FAILURES_PER_DRAW, LiveView
from flowdsl._cli._view import PlainView, make_view
from flowdsl._runtime import AgentFinished, AgentStarted, LogLine, PhaseStarted, RunEvent
from flowdsl._types import AgentRecord, AgentRequest, AgentStatus, Usage


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def screen(raw: str) -> list[str]:
    """What a terminal shows after ``raw``: text, newlines, carriage returns, cursor up
    and erase line (the controls rich's live region uses; colours are off)."""
    lines, row, col = [""], 0, 0
    for token in re.split(r"(\x1b\[[0-9;?]*[A-Za-z]|\r|\n)", raw):
        if token == "\n":
            row, col = row + 1, 0
            if row == len(lines):
                lines.append("")
        elif token == "\r":
            col = 0
        elif token.startswith("\x1b["):
            if token.endswith("K"):
                lines[row] = ""
            elif token.endswith("A"):
                row -= int(token[2:-1] or 1)
        elif token:
            line = lines[row].ljust(col)
            lines[row] = line[:col] + token + line[col + len(token):]
            col += len(token)
    while lines and not lines[-1].strip():
        lines.pop()
    return [line.rstrip() for line in lines]


def request(label: str | None) -> AgentRequest:
    return AgentRequest(prompt="p", label=label)


def started(index: int, label: str | None) -> AgentStarted:
    return AgentStarted(index=index, request=request(label))


def finished(index: int, label: str | None, status: AgentStatus = "ok", error: str | None = None,
             tokens: int = 0, cost: float = 0.0) -> AgentFinished:
    usage = Usage(input_tokens=tokens, cost_usd=cost)
    return AgentFinished(index=index, record=AgentRecord(request=request(label), status=status,
                                                         error=error, usage=usage))


def console(width: int = 100) -> Console:
    return Console(file=io.StringIO(), width=width, height=40, force_terminal=True,
                   color_system=None)


def output(view: LiveView) -> str:
    file = view.console.file
    assert isinstance(file, io.StringIO)
    return file.getvalue()


SCRIPT: list[tuple[float, RunEvent]] = [
    (0.0, PhaseStarted(title="Draft")),
    *[(0.5, started(i, f"draft:file{i}.py")) for i in range(12)],
    (1.0, finished(0, "draft:file0.py", tokens=1500, cost=0.12)),
    (0.1, finished(1, "draft:file1.py", "failed", "BackendError: HTTP 500\ntrace")),
    (0.1, finished(12, "late", "refused", "BudgetExceeded: budget of 10,000 tokens exhausted")),
    (0.1, finished(13, "again", "replayed")),
    (1.0, PhaseStarted(title="Review")),
    (0.1, LogLine(text="reviewing 10 drafts")),
]
"""(seconds after the previous event, event)."""


def play(view: LiveView, clock: FakeClock, events: list[tuple[float, RunEvent]]) -> None:
    for delay, event in events:
        clock.now += delay
        view(event)


def scripted_view(**caps: float) -> tuple[LiveView, FakeClock]:
    clock = FakeClock()
    view = LiveView(console(), clock=clock, ticker=False, **caps)  # type: ignore[arg-type]
    return view, clock


def test_the_region_counts_agents_by_outcome_against_the_number_started():
    view, clock = scripted_view()
    with view:
        play(view, clock, SCRIPT)
        view.draw()
        shown = "\n".join(screen(output(view)))
    assert "agents   14 started: 10 running · 1 ok · 1 failed · 1 refused · 1 replayed" in shown
    assert "phase    Draft → Review" in shown


def test_the_region_lists_running_agents_longest_first_then_how_many_more():
    view, clock = scripted_view()
    with view:
        play(view, clock, SCRIPT)
        view.draw()
        lines = screen(output(view))
    running = [line for line in lines if "draft:file" in line and " s  " in line]
    assert running[0] == "running    6.9 s  draft:file2.py"
    assert [line.split()[-1] for line in running] == [f"draft:file{i}.py" for i in range(2, 10)]
    assert lines[-1].strip() == "… and 2 more"


def test_the_region_draws_a_bar_per_cap_with_what_was_spent():
    view, clock = scripted_view(budget=10_000, max_cost=1.0)
    with view:
        play(view, clock, SCRIPT)
        view.draw()
        lines = screen(output(view))
    assert "budget   " + "━" * 4 + "─" * 26 + "  1,500 of 10,000 tokens (15%)" in lines
    assert "cost cap " + "━" * 4 + "─" * 26 + "  $0.1200 of $1.00 (12%)" in lines


def test_no_bar_without_a_cap():
    view, clock = scripted_view()
    with view:
        play(view, clock, SCRIPT)
        view.draw()
        lines = screen(output(view))
    assert [line for line in lines if line.startswith(("budget", "cost cap"))] == []


def test_each_failure_shows_above_the_region_as_it_happens():
    view, clock = scripted_view()
    with view:
        play(view, clock, SCRIPT[:14])
        clock.now += 0.2
        view(finished(1, "draft:file1.py", "failed", "BackendError: HTTP 500\ntrace"))
        lines = screen(output(view))
    failure = lines.index("✗ draft:file1.py failed: BackendError: HTTP 500 trace")
    assert lines[failure + 1].startswith("phase ")  # the region is drawn below it


def test_phase_headers_failures_and_logs_stay_in_the_scrollback_after_the_run():
    view, clock = scripted_view(budget=10_000)
    with view:
        play(view, clock, SCRIPT)
    lines = screen(output(view))
    assert lines == [
        "── Draft " + "─" * 91,
        "✗ draft:file1.py failed: BackendError: HTTP 500 trace",
        "✗ late refused: BudgetExceeded: budget of 10,000 tokens exhausted",
        "── Review " + "─" * 90,
        "reviewing 10 drafts",
    ]


def test_many_failures_at_once_are_capped_with_a_count():
    view, clock = scripted_view()
    with view:
        clock.now += 1
        view(PhaseStarted(title="Fan"))
        for i in range(FAILURES_PER_DRAW + 15):
            view(finished(i, f"a{i}", "failed", "boom"))
    lines = screen(output(view))
    assert len([line for line in lines if line.startswith("✗ a")]) == FAILURES_PER_DRAW
    assert lines[-1] == "✗ … and 15 more agents without a result (grouped in the summary)"


def test_redraws_are_throttled_to_ten_a_second():
    view, clock = scripted_view()
    with view:
        for i in range(1000):  # one event a millisecond: 1 s
            clock.now += 0.001
            view(started(i, None))
        drawn = view.redraws
    assert 9 <= drawn <= 12  # the first draw on entering, then one per 1/10 s


def test_a_quiet_run_is_redrawn_by_the_tick_once_due():
    view, clock = scripted_view()
    with view:
        view(started(0, "slow"))
        before = view.redraws
        view.tick()
        assert view.redraws == before  # not due yet
        clock.now += 0.5
        view.tick()
        assert view.redraws == before + 1
        assert "running    0.5 s  slow" in screen(output(view))


@pytest.mark.parametrize("label", ["[bold]x[/bold]", "[link=file:///etc/passwd]y[/link]"])
def test_labels_show_markup_literally(label):
    view, clock = scripted_view()
    with view:
        clock.now += 1
        view(started(0, label))
        view(started(1, label))
        view(finished(1, label, "failed", f"err {label}"))
        clock.now += 1
        view.draw()
        lines = screen(output(view))
    assert f"✗ {label} failed: err {label}" in lines
    assert any(line.endswith(f"s  {label}") for line in lines)


def test_escape_sequences_in_run_text_are_neutralised():
    hostile = "x\x1b[2J\x1b]0;pwned\x07\x9b2J"
    view, clock = scripted_view()
    with view:
        clock.now += 1
        view(PhaseStarted(title=hostile))
        view(started(0, hostile))
        view(finished(1, hostile, "failed", hostile))
        view(LogLine(text=hostile))
        clock.now += 1
        view.draw()
    raw = output(view)
    assert re.findall(r"\x1b(?!\[(?:2K|1A|\?25[lh]))", raw) == []  # rich's own controls only
    assert "\x07" not in raw
    assert "\x9b" not in raw
    assert "x\\x1b[2J\\x1b]0;pwned\\x07\\x9b2J" in "\n".join(screen(raw))


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_80_columns_wide_gets_the_live_view(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.delenv("TERM", raising=False)
    assert isinstance(make_view(Tty(), budget=None, max_cost=None), LiveView)


def test_a_narrow_terminal_gets_plain_lines(monkeypatch):
    monkeypatch.setenv("COLUMNS", "79")
    monkeypatch.delenv("TERM", raising=False)
    view = make_view(Tty(), budget=100, max_cost=None)
    assert isinstance(view, PlainView)
    assert view.budget == 100


def test_a_pipe_gets_plain_lines():
    assert isinstance(make_view(io.StringIO(), budget=None, max_cost=1.0), PlainView)


def test_plain_lines_say_progress_every_few_seconds_not_per_agent():
    clock, stream = FakeClock(), io.StringIO()
    view = PlainView(stream, budget=1000, clock=clock)
    for i in range(100):  # 12 s of agents
        clock.now += 0.06
        view(started(i, None))
        clock.now += 0.06
        view(finished(i, None, tokens=5))
    view(finished(100, "x", "failed", "boom"))
    assert stream.getvalue().splitlines() == [
        ".. 5s · 42 started: 0 running · 42 ok · 0 failed · 210 of 1,000 tokens (21%)",
        ".. 10s · 84 started: 0 running · 84 ok · 0 failed · 420 of 1,000 tokens (42%)",
        "!! x failed: boom",
    ]


def test_plain_lines_say_nothing_when_nothing_changed():
    clock, stream = FakeClock(), io.StringIO()
    view = PlainView(stream, clock=clock)
    view(started(0, "a"))
    clock.now += 6
    view(LogLine(text="one"))
    clock.now += 6
    view(LogLine(text="two"))
    assert stream.getvalue().splitlines() == [
        "   one", ".. 6s · 1 started: 1 running · 0 ok · 0 failed", "   two"]
