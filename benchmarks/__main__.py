"""``python -m benchmarks``: run the suite, write ``benchmarks/results/``, update the README.

::

    python -m benchmarks                 # the full suite (~6 min on 2 cores)
    python -m benchmarks --quick         # a subset in well under a minute (CI smoke test)
    python -m benchmarks --only efficiency timeouts
    python -m benchmarks --report benchmarks/results/2026-11-23-vm-2c.json   # redraw only
    python -m benchmarks --update benchmarks/results/2026-11-23-vm-2c.json --only overhead

Each scenario runs in a child process (``--child KEY``); the parent collects their JSON
into one file per run named by date and machine, then writes the markdown table, the
plots (when matplotlib, the ``bench`` extra, is installed) and - for a full run into the
default folder - the generated section of ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
import traceback
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ._harness import (
    REPO_ROOT,
    ChildFailed,
    Skipped,
    code_fingerprint,
    machine_info,
    machine_tag,
    progress,
    run_child,
)

SCENARIOS = ("efficiency", "overhead", "js_compile", "limits", "resume", "timeouts", "http",
             "boundary", "worktree", "startup", "distributed")
"""Scenario keys, in run order; ``benchmarks/bench_<key>.py`` implements each."""

DEFAULT_OUT = REPO_ROOT / "benchmarks" / "results"
README = REPO_ROOT / "benchmarks" / "README.md"
CHILD_TIMEOUT = 600.0


def run_scenario(key: str, quick: bool) -> dict[str, Any]:
    """Run one scenario in this process; never raises for the scenario's own failures."""
    started = time.perf_counter()
    try:
        module = importlib.import_module(f"benchmarks.bench_{key}")
        result: dict[str, Any] = {"status": "ok", **module.run(quick)}
    except Skipped as exc:
        result = {"status": "skipped", "reason": str(exc)}
    except Exception as exc:
        traceback.print_exc()
        result = {"status": "error", "error": f"{type(exc).__name__}: {exc}"}
    result["duration_s"] = round(time.perf_counter() - started, 3)
    return result


def _child(key: str, quick: bool) -> int:
    result = run_scenario(key, quick)
    print(json.dumps(result), flush=True)
    return 0


def _case(spec: str, kwargs_json: str) -> int:
    """Run ``module:function(**kwargs)`` (a sub-case needing its own process) and print it."""
    module_name, _, attr = spec.partition(":")
    fn = getattr(importlib.import_module(module_name), attr)
    print(json.dumps(fn(**json.loads(kwargs_json))), flush=True)
    return 0


def run_suite(keys: Sequence[str], quick: bool) -> dict[str, Any]:
    """Every scenario in its own child process, collected into one results document."""
    started = datetime.now(UTC)
    doc: dict[str, Any] = {
        "suite": "flowdsl benchmarks",
        "format": 1,
        "started_at": started.isoformat(timespec="seconds"),
        "quick": quick,
        "command": "python -m benchmarks" + (" --quick" if quick else ""),
        "machine": machine_info(),
        "code": code_fingerprint(),
        "scenarios": {},
    }
    for key in keys:
        progress(f"== {key}")
        argv = ["--child", key, *(["--quick"] if quick else [])]
        try:
            doc["scenarios"][key] = run_child(argv, timeout=CHILD_TIMEOUT)
        except ChildFailed as exc:
            doc["scenarios"][key] = {"status": "error", "error": str(exc)}
        progress(f"   {key}: {doc['scenarios'][key]['status']}")
    doc["duration_s"] = round((datetime.now(UTC) - started).total_seconds(), 1)
    return doc


def _read_results(parser: argparse.ArgumentParser, path: Path) -> dict[str, Any]:
    """A results file, or one line on stderr and exit 2."""
    problem = None
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        problem = f"{path}: {exc.strerror or exc}"
    except json.JSONDecodeError as exc:
        problem = f"{path}:{exc.lineno}:{exc.colno}: not a results file ({exc.msg})"
    except UnicodeDecodeError:
        problem = f"{path}: not a results file (not UTF-8 text)"
    else:
        if not isinstance(doc, dict) or not isinstance(doc.get("scenarios"), dict):
            problem = f"{path}: not a results file (no \"scenarios\" object)"
    if problem is not None:
        parser.exit(2, f"{parser.prog}: error: {problem}\n")
    return doc  # type: ignore[no-any-return]


def _update(doc: dict[str, Any], keys: Sequence[str]) -> dict[str, Any]:
    """Re-run ``keys`` and put their results into the results ``doc``."""
    fresh = run_suite(keys, bool(doc.get("quick")))
    doc["scenarios"].update(fresh["scenarios"])
    doc.setdefault("updates", []).append(
        {"scenarios": list(keys), "at": fresh["started_at"], "code": fresh["code"],
         "loadavg_at_start": fresh["machine"].get("loadavg_at_start")})
    return doc


def result_stem(doc: dict[str, Any]) -> str:
    """``<YYYY-MM-DD>-<host>-<cores>c[-quick]``: one file per run, named by date and machine."""
    date = str(doc["started_at"])[:10]
    return f"{date}-{machine_tag()}" + ("-quick" if doc.get("quick") else "")


def write_outputs(doc: dict[str, Any], out: Path, *, plots: bool, readme: Path | None) -> Path:
    """The JSON, the markdown table, the plots and (optionally) the README section."""
    from . import _report

    out.mkdir(parents=True, exist_ok=True)
    stem = result_stem(doc)
    json_path = out / f"{stem}.json"
    if plots:
        from . import _plots

        doc["plots"] = _plots.draw(doc, out, suffix="-quick" if doc.get("quick") else "")
    json_path.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    table = _report.markdown(doc, plots_dir=out, json_name=json_path.name)
    (out / f"{stem}.md").write_text(table, encoding="utf-8")
    if readme is not None:
        _report.update_readme(readme, _report.markdown(
            doc, plots_dir=out, json_name=json_path.name, relative_to=readme.parent))
    progress(f"wrote {json_path}")
    return json_path


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Run the flowdsl benchmark suite; write benchmarks/results/ and the README "
        "table (see benchmarks/README.md).")
    p.add_argument("--quick", action="store_true", help="the 1-minute subset (CI smoke test)")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results folder")
    p.add_argument("--only", nargs="+", choices=SCENARIOS, metavar="KEY",
                   help=f"run only these scenarios ({', '.join(SCENARIOS)})")
    p.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    p.add_argument("--readme", choices=("auto", "yes", "no"), default="auto",
                   help="update benchmarks/README.md (auto: full runs into the default --out)")
    p.add_argument("--report", type=Path, metavar="JSON",
                   help="redraw the table, plots and README from an existing results file")
    p.add_argument("--update", type=Path, metavar="JSON",
                   help="re-run the --only scenarios into an existing results file")
    p.add_argument("--child", choices=SCENARIOS, help=argparse.SUPPRESS)
    p.add_argument("--case", nargs=2, metavar=("SPEC", "KWARGS"), help=argparse.SUPPRESS)
    return p


def _plots_available() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        progress("matplotlib is not installed (pip install -e '.[bench]'): no plots")
        return False
    return True


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    ns = parser.parse_args(argv)
    if ns.child:
        return _child(ns.child, ns.quick)
    if ns.case:
        return _case(*ns.case)
    partial = bool(ns.only)
    if ns.report:
        doc = _read_results(parser, ns.report)
        partial = False
    elif ns.update:
        doc = _update(_read_results(parser, ns.update), ns.only or SCENARIOS)
        partial = False
    else:
        doc = run_suite(ns.only or SCENARIOS, ns.quick)
    partial = partial or bool(doc.get("quick"))
    out: Path = ns.update.parent if ns.update else ns.out
    wants_readme = ns.readme == "yes" or (
        ns.readme == "auto" and not partial and out.resolve() == DEFAULT_OUT)
    write_outputs(doc, out, plots=not ns.no_plots and _plots_available(),
                  readme=README if wants_readme else None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
