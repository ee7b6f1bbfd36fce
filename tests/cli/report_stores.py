"""Stores for the report and cost tests, filled by running real workflows through the CLI.

Runs use :mod:`tests.cli.priced_backend` (genai-prices prices, ``my-local-llm`` has no
price), ``--model`` variations and phases with their own model, so a store holds several
runs, workflows, phases and models, failed agents and unpriced tokens.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from flowdsl._cli import main

BACKEND = "tests.cli.priced_backend:create"
UNPRICED_MODEL = "my-local-llm"

REVIEW = '''
meta = {"name": "review", "description": "scan then judge",
        "phases": [{"title": "Scan"}, {"title": "Judge", "model": "gpt-4.1"}]}
phase("Scan")
found = await parallel([lambda i=i: agent(f"scan file {i} " + "x" * i, label=f"scan {i}")
                        for i in range(6)])
await agent("fail on purpose", label="broken")
log("scanned " + str(len(found)) + " files")
phase("Judge")
verdict = await agent("judge everything", label="judge")
local = await agent("a local opinion", label="local", model="my-local-llm")
return {"found": found, "verdict": verdict, "local": local}
'''

SUMMARY = '''
meta = {"name": "summary", "description": "one phase, one model",
        "phases": [{"title": "Summarize"}]}
phase("Summarize")
parts = await parallel([lambda i=i: agent(f"summarize part {i}", label=f"part {i}",
                                          model="gpt-4o-mini") for i in range(3)])
return parts
'''


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def run_workflow(path: Path, store: Path, *flags: str) -> int:
    """``flowdsl run PATH`` on the priced backend (inline, quiet); the exit code."""
    return main(["run", str(path), "--backend", BACKEND, "--store", str(store),
                 "--isolation", "inline", "--json", *flags])


def fill_store(folder: Path, store: Path) -> None:
    """Three runs of ``review`` (default model, ``--model claude-haiku-4-5``, ``--model
    my-local-llm``) and one of ``summary``."""
    review = write(folder, "review.flow.py", REVIEW)
    summary = write(folder, "summary.flow.py", SUMMARY)
    assert run_workflow(review, store) == 3  # one failed agent: exit 3
    assert run_workflow(review, store, "--model", "claude-haiku-4-5") == 3
    assert run_workflow(review, store, "--model", UNPRICED_MODEL) == 3
    assert run_workflow(summary, store) == 0
