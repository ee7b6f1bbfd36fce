"""``flowdsl runs report``: one self-contained HTML file describing a run.

A header (run, workflow, status, start, duration, agents, tokens, cost), a timeline with
one bar per journaled agent in rows by phase and coloured by outcome (a tooltip per bar),
totals by phase and by model, failures grouped by reason, the run's events and its
result. Inline CSS and a small inline script; no external asset, font or request (a
Content-Security-Policy says so to the browser too), so the file works offline and can
be attached to a ticket.

Run data is untrusted (scripts and agents write it): every text is passed through
:func:`flowdsl._terminal_text.printable` (control and bidi characters made visible) and
HTML-escaped; the agents' tooltip data is JSON in a ``<script type="application/json">``
block with ``<``, ``>`` and ``&`` written as ``\\u003c``... so no ``</script>`` or
``<!--`` in a prompt can end the block; the page's script builds the tooltip with
``textContent`` only. The CSP allows only the page's own script, by its hash.

Size: one ``div`` per bar (no per-agent text in the DOM) and tooltip fields cut to a
prompt's first 120 characters, so a 1000-agent run stays a few hundred KB.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import time
from collections.abc import Iterable, Sequence

from .._terminal_text import printable
from .._types import JSONValue, Usage
from ._cmd_cost import cost_cell
from ._cost import format_cost
from ._report_data import AgentBar, ReportData, TotalRow
from ._report_template import COLORS, CSS, SCRIPT

__all__ = ["render_report"]

LOG_ROWS_SHOWN = 5000
"""Events listed at most (``flowdsl runs logs`` has them all)."""
LABELS_SHOWN = 12
"""Labels listed per failure group before the rest fold away."""
_OPEN_RESULT_LINES = 40
_TICK_STEPS = (0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600,
               7200, 14400, 28800, 86400)


def _t(text: str) -> str:
    """Run text, made visible and escaped for HTML."""
    return html.escape(printable(text), quote=True)


def _json_block(value: JSONValue) -> str:
    """JSON safe inside ``<script>``: no ``<``, ``>``, ``&`` or line separators raw."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(raw, escaped)
    return text


def duration_text(seconds: float) -> str:
    """``0``, ``35 ms``, ``0.42 s``, ``12.3 s``, ``4 m 05 s``, ``2 h 03 m``."""
    if seconds <= 0:
        return "0"
    if seconds < 0.1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 1:
        return f"{seconds:.2f} s"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} m {int(seconds - 60 * minutes):02d} s"
    return f"{minutes // 60} h {minutes % 60:02d} m"


def _utc(at: float, fmt: str = "%Y-%m-%d %H:%M:%S UTC") -> str:
    return time.strftime(fmt, time.gmtime(at))


def _agent_json(bar: AgentBar) -> JSONValue:
    usage = bar.usage
    return {"label": printable(bar.label), "phase": printable(bar.phase),
            "model": printable(bar.model), "status": bar.status,
            "start": round(bar.start, 3), "duration": round(bar.duration, 3),
            "in": usage.input_tokens, "out": usage.output_tokens, "cost": cost_cell(usage),
            "prompt": printable(bar.prompt_head),
            "error": None if bar.error is None else printable(bar.error)}


# -- sections ---------------------------------------------------------------------------------


def _header(data: ReportData) -> str:
    run = data.run
    usage = run.usage
    outcome_text = ", ".join(f"{n} {k}" for k, n in data.outcomes.items() if n)
    cards = [
        ("Started", _utc(run.created_at, "%Y-%m-%d %H:%M:%S"), "UTC"),
        ("Duration", duration_text(data.span),
         "so far (snapshot)" if run.live else "start to end"),
        ("Agents", f"{data.agents:,}", outcome_text or "none finished"),
        ("Tokens", f"{usage.total_tokens:,}",
         f"{usage.input_tokens:,} in / {usage.output_tokens:,} out"
         + (" (estimated)" if usage.estimated else "")),
        ("Cost", cost_cell(usage), "" if usage.cost_complete
         else f"{usage.unpriced_tokens:,} tokens unpriced"),
    ]
    out = [
        '<header><div><h1>', _t(run.name), '</h1><div class="sub">run <span class="mono">',
        _t(run.id), '</span> &middot; <span class="mono">', _t(run.script_path),
        '</span></div></div><div><span class="badge b-', html.escape(run.status), '">',
        html.escape(run.status), '</span></div></header><div class="cards">',
    ]
    for key, value, detail in cards:
        out += ['<div class="card"><div class="k">', key, '</div><div class="v">',
                _t(value), '</div><div class="d">', _t(detail), '</div></div>']
    out.append("</div>")
    out += _notes(data)
    return "".join(out)


def _notes(data: ReportData) -> list[str]:
    run = data.run
    notes = []
    if run.live:
        notes.append(f'<div class="note">A snapshot: the run was {html.escape(run.status)} '
                     f"when this report was made ({_utc(data.made_at)}).</div>")
    if run.error:
        notes.append(f'<div class="note err"><b>Error:</b> {_t(run.error)}</div>')
    if not run.usage.cost_complete:
        notes.append('<div class="note">Cost: ' + _t(format_cost(run.usage, data.unpriced_models))
                     + " &mdash; a model without a known price is never counted as $0.</div>")
    if data.refused_unjournaled:
        n = data.refused_unjournaled
        notes.append(
            f'<div class="note">The run refused {n:,} agent{"s" if n != 1 else ""} before '
            f"sending {'them' if n != 1 else 'it'} (budget, cost cap, agent cap, failure "
            "policy or the run ending): refused agents that were never sent are not "
            f"journaled, so the timeline shows {data.agents:,} agents; the refusals are "
            "in the events below.</div>")
    return notes


def _ticks(span: float) -> list[float]:
    step = next((s for s in _TICK_STEPS if span / s <= 10), _TICK_STEPS[-1])
    count = int(span / step)
    return [i * step for i in range(count + 1) if i * step <= span]


def _lane_height(lanes: int) -> tuple[int, int]:
    """(bar height, gap) in px: roomy for a few lanes, dense for hundreds."""
    if lanes <= 8:
        return 14, 3
    if lanes <= 30:
        return 8, 2
    return max(2, min(6, 360 // lanes)), 1


def _timeline(data: ReportData) -> str:
    if not data.phases:
        return '<section><h2>Timeline</h2><p class="empty">No agent has finished yet.</p></section>'
    span = data.span
    legend = "".join(
        f'<span class="{"" if data.outcomes.get(k) else "zero"}"><i class="s-{k}"></i>{k} '
        f"({data.outcomes.get(k, 0):,})</span>"
        for k in COLORS if k != "replayed" or data.outcomes.get(k))
    ticks = [100 * t / span for t in _ticks(span)]
    axis = "".join(f'<span style="left:{x:.3f}%">{duration_text(t)}</span>'
                   for x, t in zip(ticks, _ticks(span), strict=True))
    lines = "".join(f'<i class="gl" style="left:{x:.3f}%"></i>' for x in ticks[1:])
    out = ['<section><h2>Timeline</h2><div class="legend">', legend,
           '</div><div class="tl" id="timeline"><div></div><div class="axis">', axis, "</div>"]
    for phase in data.phases:
        height, gap = _lane_height(phase.lanes)
        track = phase.lanes * (height + gap) + gap
        n = len(phase.bars)
        out += [f'<div class="ph" style="min-height:{max(track, 34)}px">', _t(phase.title),
                f"<small>{n:,} agent{'s' if n != 1 else ''}</small></div>",
                f'<div class="track" style="height:{max(track, 34)}px">', lines]
        for bar in phase.bars:
            left = 100 * bar.start / span
            width = 100 * bar.duration / span
            out.append(f'<div class="bar s-{html.escape(bar.status)}" data-agent="{bar.number}" '
                       f'style="left:{left:.3f}%;width:{width:.3f}%;'
                       f'top:{gap + bar.lane * (height + gap)}px;height:{height}px"></div>')
        out.append("</div>")
    out.append("</div></section>")
    return "".join(out)


def _totals_table(title: str, head: str, rows: Sequence[TotalRow], total: Usage,
                  agents: int) -> str:
    out = [f'<div><h2>{title}</h2><table class="t"><thead><tr><th>{head}</th>'
           '<th class="n">Agents</th><th class="n">Not ok</th><th class="n">Tokens in</th>'
           '<th class="n">Tokens out</th><th class="n">Agent time</th><th class="n">Cost</th>'
           "</tr></thead><tbody>"]
    for row in rows:
        out.append(_total_row(_t(row.key), row.agents, row.not_ok, row.usage,
                              duration_text(row.duration)))
    out.append(_total_row("Total", agents, sum(r.not_ok for r in rows), total,
                          duration_text(sum(r.duration for r in rows)), "sum"))
    out.append("</tbody></table></div>")
    return "".join(out)


def _total_row(key: str, agents: int, not_ok: int, usage: Usage, duration: str,
               cls: str = "") -> str:
    return (f'<tr class="{cls}"><td>{key}</td><td class="n">{agents:,}</td>'
            f'<td class="n">{not_ok:,}</td><td class="n">{usage.input_tokens:,}</td>'
            f'<td class="n">{usage.output_tokens:,}</td><td class="n">{duration}</td>'
            f'<td class="n">{html.escape(cost_cell(usage))}</td></tr>')


def _totals(data: ReportData) -> str:
    total = Usage()
    for row in data.by_phase:
        total = total + row.usage
    return ('<section class="grid2">'
            + _totals_table("By phase", "Phase", data.by_phase, total, data.agents)
            + _totals_table("By model", "Model", data.by_model, total, data.agents)
            + "</section>")


def _labels(labels: Sequence[str]) -> str:
    shown = ", ".join(_t(label) for label in labels[:LABELS_SHOWN])
    if len(labels) <= LABELS_SHOWN:
        return shown
    rest = ", ".join(_t(label) for label in labels[LABELS_SHOWN:])
    return (f"{shown} <details><summary>{len(labels) - LABELS_SHOWN:,} more</summary>"
            f"{rest}</details>")


def _failures(data: ReportData) -> str:
    out = ["<section><h2>Failures by reason</h2>"]
    if not data.failures:
        out.append('<p class="empty">Every journaled agent ended ok.</p>')
    for group in data.failures:
        n = len(group.labels)
        out += ['<div class="fail"><span class="chip s-', html.escape(group.status), '">',
                html.escape(group.status), f"</span> <b>{n:,} agent{'s' if n != 1 else ''}</b>",
                '<div class="r mono">', _t(group.reason), '</div><div class="l">',
                _labels(group.labels), "</div></div>"]
    out.append("</section>")
    return "".join(out)


def _events(data: ReportData) -> str:
    events = data.events[:LOG_ROWS_SHOWN]
    out = ["<section><h2>Logs</h2>"]
    if not events:
        out.append('<p class="empty">No events.</p>')
    else:
        out.append('<div class="logs"><table class="t"><thead><tr><th class="w-time">'
                   'Time (UTC)</th><th class="w-kind">Kind</th><th>Text</th></tr></thead>'
                   "<tbody>")
        for event in events:
            kind = html.escape(event.kind)
            out.append(f'<tr><td class="mono">{_utc(event.at, "%H:%M:%S")}'
                       f'.{int(event.at % 1 * 1000):03d}</td><td class="k-{kind}">{kind}</td>'
                       f'<td class="x">{_t(event.text)}</td></tr>')
        out.append("</tbody></table></div>")
    hidden = len(data.events) - len(events)
    if hidden > 0:
        out.append(f'<p class="sub">{hidden:,} more events: flowdsl runs logs '
                   f"{_t(data.run.id)}</p>")
    out.append("</section>")
    return "".join(out)


def _result(data: ReportData) -> str:
    run = data.run
    if run.status != "completed":
        why = "the run is still going" if run.live else f"the run {run.status}"
        return f'<section><h2>Result</h2><p class="empty">No result: {_t(why)}.</p></section>'
    value = run.result
    text = value if isinstance(value, str) else json.dumps(value, indent=2, ensure_ascii=False)
    lines = text.count("\n") + 1
    opened = " open" if lines <= _OPEN_RESULT_LINES else ""
    return (f"<section><h2>Result</h2><details{opened}><summary>{lines:,} line"
            f"{'s' if lines != 1 else ''}</summary><pre class=\"res\">{_t(text)}</pre>"
            "</details></section>")


def _page(title: str, body: Iterable[str], data_json: str) -> str:
    digest = base64.b64encode(hashlib.sha256(SCRIPT.encode()).digest()).decode()
    csp = (f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{digest}'; "
           "img-src data:; base-uri 'none'; form-action 'none'")
    return "".join([
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{title}</title><style>{CSS}</style></head><body><main>",
        *body,
        '</main><div id="tip" hidden></div>',
        f'<script type="application/json" id="report-data">{data_json}</script>',
        f"<script>{SCRIPT}</script></body></html>\n",
    ])


def render_report(data: ReportData) -> str:
    """The report's HTML text."""
    from .. import __version__

    bars = sorted((bar for phase in data.phases for bar in phase.bars),
                  key=lambda b: b.number)
    data_json = _json_block({"agents": [_agent_json(bar) for bar in bars]})
    footer = (f"<footer>flowdsl {html.escape(__version__)} &middot; report made "
              f"{_utc(data.made_at)}</footer>")
    title = f"{_t(data.run.name)} &middot; run {_t(data.run.id)} &middot; flowdsl"
    return _page(title, [_header(data), _timeline(data), _totals(data), _failures(data),
                         _events(data), _result(data), footer], data_json)
