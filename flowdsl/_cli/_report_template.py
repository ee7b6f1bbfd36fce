"""The fixed parts of the HTML report: its stylesheet and its script (inline, no assets).

The script only reads the agents' JSON (a ``<script type="application/json">`` block)
and writes the tooltip with ``textContent``: nothing from a run is ever parsed as HTML.
"""

from __future__ import annotations

__all__ = ["COLORS", "CSS", "SCRIPT"]

COLORS = {
    "ok": "#2f9e62",
    "failed": "#d64545",
    "timeout": "#e8833a",
    "refused": "#9aa1a9",
    "cancelled": "#a37ac7",
    "replayed": "#4a8fd9",
}
"""The colour of each outcome (bars, legend, chips)."""

_STATUS_RULES = "\n".join(
    f".s-{name}{{background:{color}}}" for name, color in COLORS.items())

CSS = """
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",
Arial,sans-serif;color:#1f2328;background:#f5f6f8}
main{max-width:1280px;margin:0 auto;padding:24px 28px 40px}
h1{font-size:22px;margin:0 0 2px;font-weight:650}
h2{font-size:15px;margin:0 0 12px;font-weight:650;letter-spacing:.01em}
.sub{color:#59636e;font-size:13px}
.mono,code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
section{background:#fff;border:1px solid #dde1e6;border-radius:10px;padding:18px 20px;
margin-top:18px}
header{display:flex;justify-content:space-between;align-items:flex-start;gap:16px}
.badge{display:inline-block;padding:2px 10px;border-radius:999px;color:#fff;font-weight:600;
font-size:12.5px;vertical-align:middle}
.b-completed{background:#2f9e62}.b-failed{background:#d64545}.b-stopped{background:#8a6d3b}
.b-running{background:#4a8fd9}.b-paused{background:#c79a1e}.b-interrupted{background:#7a7f87}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px;
margin-top:16px}
.card{background:#fff;border:1px solid #dde1e6;border-radius:10px;padding:10px 14px}
.card .k{color:#59636e;font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.card .v{font-size:17px;font-weight:600;margin-top:2px}
.card .d{color:#59636e;font-size:12px}
.note{margin-top:12px;padding:8px 12px;border-radius:8px;background:#fff8e1;
border:1px solid #f0d98c;font-size:13px}
.err{background:#fdecec;border-color:#f3b7b7}
.legend{display:flex;flex-wrap:wrap;gap:14px;margin-bottom:10px;font-size:12.5px;color:#414a53}
.legend .zero{opacity:.45}
.legend i{display:inline-block;width:11px;height:11px;border-radius:3px;margin-right:5px;
vertical-align:-1px}
.tl{display:grid;grid-template-columns:190px 1fr;column-gap:12px}
.axis{position:relative;height:20px;border-bottom:1px solid #dde1e6;font-size:11px;color:#59636e}
.axis span{position:absolute;transform:translateX(-50%);white-space:nowrap}
.axis span:first-child{transform:none}
.ph{padding:6px 0;border-bottom:1px solid #eef0f2;font-size:13px;font-weight:600;
overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.ph small{display:block;font-weight:400;color:#59636e;font-size:11.5px}
.track{position:relative;border-bottom:1px solid #eef0f2;margin:0}
.gl{position:absolute;top:0;bottom:0;width:1px;background:#eef0f2}
.bar{position:absolute;min-width:2px;border-radius:2px;cursor:default}
.bar:hover{outline:2px solid #1f2328;z-index:2}
""" + _STATUS_RULES + """
.chip{display:inline-block;padding:0 7px;border-radius:999px;color:#fff;font-size:11.5px;
font-weight:600;line-height:18px}
#tip{position:fixed;z-index:10;max-width:440px;background:#1f2328;color:#f5f6f8;
border-radius:8px;padding:10px 12px;font-size:12.5px;box-shadow:0 6px 24px rgba(0,0,0,.25);
pointer-events:none}
#tip .t{font-weight:650;font-size:13.5px;margin-bottom:6px;word-break:break-word}
#tip table{border-collapse:collapse}
#tip td{padding:1px 0;vertical-align:top}
#tip td:first-child{color:#9aa4af;padding-right:10px;white-space:nowrap}
#tip .chip{margin:1px 0}
#tip .p{word-break:break-word;white-space:pre-wrap}
.grid2 > div + div{margin-top:22px}
@media (max-width:900px){.tl{grid-template-columns:120px 1fr}}
table.t{border-collapse:collapse;width:100%;font-size:13px}
table.t th{text-align:left;font-weight:600;color:#59636e;font-size:12px;border-bottom:1px solid
#dde1e6;padding:6px 8px}
table.t td{padding:6px 8px;border-bottom:1px solid #eef0f2;vertical-align:top}
table.t td.n,table.t th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.t tr.sum td{font-weight:650;border-top:1px solid #dde1e6;border-bottom:0}
.fail{border-bottom:1px solid #eef0f2;padding:10px 0}
.fail:last-child{border-bottom:0}
.fail .r{white-space:pre-wrap;word-break:break-word;margin:4px 0}
.fail .l{color:#59636e;font-size:12.5px;word-break:break-word}
.logs{max-height:420px;overflow:auto;border:1px solid #eef0f2;border-radius:8px}
.logs td{font-size:12.5px}
.logs .w-time{width:120px}.logs .w-kind{width:80px}
.logs thead th{position:sticky;top:0;background:#fff}
.logs td.x{white-space:pre-wrap;word-break:break-word}
.k-phase{color:#2855a6;font-weight:600}.k-agent{color:#b42318}.k-status{color:#59636e}
pre.res{background:#f6f8fa;border:1px solid #eef0f2;border-radius:8px;padding:12px;
overflow:auto;max-height:640px;white-space:pre-wrap;word-break:break-word;margin:8px 0 0}
summary{cursor:pointer;color:#2855a6}
.empty{color:#59636e;font-style:italic}
footer{color:#8a939c;font-size:12px;margin-top:18px;text-align:center}
"""

SCRIPT = """
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var agents = data.agents;
  var tip = document.getElementById("tip");
  var timeline = document.getElementById("timeline");
  if (!timeline) { return; }
  function fmtSeconds(s) {
    if (s <= 0) { return "0"; }
    if (s < 0.1) { return Math.round(s * 1000) + " ms"; }
    if (s < 1) { return s.toFixed(2) + " s"; }
    if (s < 60) { return s.toFixed(1) + " s"; }
    var m = Math.floor(s / 60);
    if (m < 60) { return m + " m " + Math.round(s - 60 * m) + " s"; }
    return Math.floor(m / 60) + " h " + (m % 60) + " m";
  }
  function num(n) { return n.toLocaleString("en-US"); }
  function addRow(table, key, value, cls, chip) {
    var tr = document.createElement("tr");
    var k = document.createElement("td");
    var v = document.createElement("td");
    k.textContent = key;
    if (chip) {
      var span = document.createElement("span");
      span.className = "chip s-" + value;
      span.textContent = value;
      v.appendChild(span);
    } else {
      v.textContent = value;
    }
    if (cls) { v.className = cls; }
    tr.appendChild(k);
    tr.appendChild(v);
    table.appendChild(tr);
  }
  function fill(a) {
    tip.textContent = "";
    var title = document.createElement("div");
    title.className = "t";
    title.textContent = a.label;
    tip.appendChild(title);
    var table = document.createElement("table");
    addRow(table, "Outcome", a.status, "", true);
    addRow(table, "Phase", a.phase);
    addRow(table, "Model", a.model);
    addRow(table, "Tokens", num(a.in) + " in / " + num(a.out) + " out");
    addRow(table, "Cost", a.cost);
    addRow(table, "Duration", fmtSeconds(a.duration));
    addRow(table, "Started", "+" + fmtSeconds(a.start));
    addRow(table, "Prompt", a.prompt, "p");
    if (a.error) { addRow(table, "Error", a.error, "p"); }
    tip.appendChild(table);
  }
  function place(ev) {
    var pad = 14, w = tip.offsetWidth, h = tip.offsetHeight;
    var x = ev.clientX + pad, y = ev.clientY + pad;
    if (x + w > window.innerWidth - 8) { x = Math.max(8, ev.clientX - w - pad); }
    if (y + h > window.innerHeight - 8) { y = Math.max(8, ev.clientY - h - pad); }
    tip.style.left = x + "px";
    tip.style.top = y + "px";
  }
  timeline.addEventListener("mouseover", function (ev) {
    var bar = ev.target.closest ? ev.target.closest("[data-agent]") : null;
    if (!bar) { tip.hidden = true; return; }
    var a = agents[Number(bar.getAttribute("data-agent")) - 1];
    if (!a) { return; }
    fill(a);
    tip.hidden = false;
    place(ev);
  });
  timeline.addEventListener("mousemove", function (ev) { if (!tip.hidden) { place(ev); } });
  timeline.addEventListener("mouseleave", function () { tip.hidden = true; });
})();
"""
