"""PNG plots of a results document (matplotlib, the optional ``bench`` extra).

Every figure carries a footer with the machine and the run's date, so a PNG taken out of
context still says where it was measured.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only; never a window

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

__all__ = ["draw"]

Doc = dict[str, Any]

_STYLES = {
    ("20ms", "loop"): ("tab:blue", "20 ms"),
    ("20ms±5ms", "loop"): ("tab:orange", "20 ms ± 5 ms"),
    ("20ms", "precise"): ("tab:green", "20 ms, precise timer"),
    ("20ms±5ms", "precise"): ("tab:olive", "20 ms ± 5 ms, precise timer"),
}


def _footer(fig: Figure, doc: Doc) -> None:
    m = doc.get("machine", {})
    text = (f"{doc.get('started_at', '')[:16]} · {m.get('hostname')} · {m.get('cores')} cores · "
            f"Python {m.get('python')} · anyio {m.get('anyio')} · medians of repeats"
            + (" · quick subset" if doc.get("quick") else ""))
    fig.text(0.01, 0.01, text, fontsize=7, color="0.4")


def _efficiency(doc: Doc, path: Path) -> bool:
    scenario = doc["scenarios"].get("efficiency", {})
    points = [p for p in scenario.get("points", []) if "efficiency" in p]
    if not points:
        return False
    sizes = sorted({p["n"] for p in points})
    fig, axes = plt.subplots(1, len(sizes), figsize=(5.5 * len(sizes), 4.6), squeeze=False)
    for ax, n in zip(axes[0], sizes, strict=True):
        for (lat, timer), (color, label) in _STYLES.items():
            series = sorted((p for p in points if p["n"] == n and p["latency"] == lat
                             and p["timer"] == timer), key=lambda p: p["concurrency"])
            if not series:
                continue
            cs = [p["concurrency"] for p in series]
            ax.plot(cs, [p["efficiency"] for p in series], "o-", color=color,
                    label=f"flowdsl, {label}")
            pool = [(p["concurrency"], p.get("bare_pool_efficiency")) for p in series]
            pool = [(c, e) for c, e in pool if e is not None]
            if pool:
                ax.plot([c for c, _ in pool], [e for _, e in pool], "x:", color=color,
                        alpha=0.7, label=f"bare anyio worker pool, {label}")
        ax.axhline(0.97, color="red", lw=0.8, ls=":", label="target 0.97")
        ax.set_xscale("log", base=2)
        ax.set_xticks([1, 4, 16, 64], ["1", "4", "16", "64"])
        ax.set_xlabel("concurrency C")
        ax.set_ylabel("efficiency = ceil(N/C)·latency / makespan")
        ax.set_title(f"N = {n} agents")
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=7, loc="lower left")
    fig.suptitle("Makespan efficiency vs concurrency (solid: flowdsl; dotted: bare anyio pool)")
    _footer(fig, doc)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def _overhead(doc: Doc, path: Path) -> bool:
    variants = doc["scenarios"].get("overhead", {}).get("variants", {})
    measured = {k: v["per_agent_us"] for k, v in variants.items() if "per_agent_us" in v}
    if not measured:
        return False
    fig, ax = plt.subplots(figsize=(7.5, 3.6))
    names = list(measured)
    bars = ax.barh(names, [measured[k] for k in names],
                   color=["tab:gray" if k.startswith("bare") else
                          "tab:green" if k.startswith("node") else "tab:blue" for k in names])
    ax.bar_label(bars, fmt="%.1f µs", fontsize=8, padding=3)
    ax.axvline(40, color="orange", ls=":", lw=0.9, label="40 µs (needed for efficiency)")
    ax.axvline(150, color="red", ls=":", lw=0.9, label="150 µs (required)")
    ax.invert_yaxis()
    ax.set_xlabel("µs per agent at zero latency (1000-agent fan-out, C=16)")
    ax.set_title("Orchestration overhead per agent vs the Node reference")
    ax.legend(fontsize=7, loc="lower right")
    _footer(fig, doc)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def _journal(doc: Doc, path: Path) -> bool:
    resume = doc["scenarios"].get("resume", {})
    write = resume.get("write_cost")
    if not write:
        return False
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    ns = [w["n"] for w in write]
    left.plot(ns, [w["per_agent_us"] for w in write], "o-", label="SQLite store journal")
    left.plot(ns, [w["dict_per_agent_us"] for w in write], "x--",
              label="in-memory dict journal (runtime keys only)")
    left.axhline(50, color="red", ls=":", lw=0.9, label="DESIGN target 50 µs")
    left.set_xscale("log")
    left.set_xticks(ns, [str(n) for n in ns])
    left.minorticks_off()
    left.set_ylim(bottom=0)
    left.set_xlabel("agents in the run (N)")
    left.set_ylabel("µs per agent (journaled − plain) / N")
    left.set_title("Journal write cost per agent vs N")
    left.legend(fontsize=7)
    left.grid(alpha=0.3)
    record = resume.get("record_only", {})
    blocks = record.get("us_per_record_by_block", [])
    if blocks:
        xs = [(i + 1) * record["block"] for i in range(len(blocks))]
        right.plot(xs, blocks, "o-", color="tab:purple")
        right.set_ylim(bottom=0)
        right.set_xlabel("rows already in the run's journal")
        right.set_ylabel("µs per StoreJournal.record (median of block)")
        right.set_title("record() alone, per block of rows")
        right.grid(alpha=0.3)
    _footer(fig, doc)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def draw(doc: Doc, out: Path, *, suffix: str = "") -> list[str]:
    """Write every plot the document has data for; return their file names."""
    written = []
    for name, fn in (("efficiency", _efficiency), ("overhead", _overhead),
                     ("journal", _journal)):
        path = out / f"{name}{suffix}.png"
        if fn(doc, path):
            written.append(path.name)
    return written
