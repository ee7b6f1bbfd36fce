"""``flowdsl bench``: the benchmark suite of a source checkout (``python -m benchmarks``).

The suite lives in ``benchmarks/`` beside the package and is not installed with it, so
the command finds the checkout this package was imported from and runs the suite there.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..errors import UsageError

__all__ = ["register"]


def register(sub: Any) -> None:
    bench = sub.add_parser("bench", help="run the benchmark suite (from a source checkout)")
    bench.add_argument("--quick", action="store_true", help="the 1-minute subset")
    bench.add_argument("--only", nargs="+", metavar="KEY", help="run only these scenarios")
    bench.add_argument("--out", metavar="DIR", help="results folder (default benchmarks/results)")
    bench.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    bench.set_defaults(handler=_handle)


def _checkout() -> Path:
    root = Path(__file__).resolve().parents[2]
    if not (root / "benchmarks" / "__main__.py").is_file():
        raise UsageError("flowdsl bench runs the suite of a source checkout "
                         "(benchmarks/ is not installed with the package)")
    return root


def _handle(ns: argparse.Namespace) -> int:
    import subprocess  # not at the top: every command builds this parser

    argv = [sys.executable, "-m", "benchmarks"]
    argv += ["--quick"] if ns.quick else []
    argv += ["--only", *ns.only] if ns.only else []
    argv += ["--out", str(Path(ns.out).resolve())] if ns.out else []
    argv += ["--no-plots"] if ns.no_plots else []
    return subprocess.call(argv, cwd=_checkout())
