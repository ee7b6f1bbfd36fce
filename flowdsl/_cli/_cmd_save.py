"""``flowdsl save`` and ``flowdsl workflows``: named workflows, saved and bundled."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from .. import _durable, _frontends  # their names import on first use (flowdsl._lazy)
from .._terminal_text import printable
from ..errors import RunNotFound, UsageError
from ._store_args import EXIT_OK, common_options, has_store, open_store, print_json, store_dir

__all__ = ["cmd_save", "cmd_workflows", "register"]


def register(subparsers: Any) -> None:
    """Add ``save`` and ``workflows`` to the ``flowdsl`` parser."""
    save = subparsers.add_parser("save", help="save a run's script (or a file) as a named workflow")
    save.add_argument("source", metavar="RUN_ID|FILE")
    save.add_argument("name", metavar="NAME")
    save.add_argument("--force", action="store_true", help="replace a saved workflow of that name")
    common_options(save)
    save.set_defaults(handler=cmd_save)

    wf = subparsers.add_parser("workflows",
                               help="list saved workflows and the bundled ones (@NAME)")
    common_options(wf)
    wf.set_defaults(handler=cmd_workflows)


def cmd_save(ns: argparse.Namespace) -> int:
    source = Path(ns.source)
    if source.is_file():
        text = _frontends.read_workflow(source)
        suffix = _frontends.suffix_of(source)
    else:
        if not has_store(ns):
            raise UsageError(f"{ns.source}: no such file or run")
        with open_store(ns) as store:
            try:
                info = store.get_run(ns.source)
            except RunNotFound:
                raise UsageError(f"{ns.source}: no such file or run") from None
        text, suffix = info.script_text, _frontends.suffix_of(info.script_path)
    path = _durable.save_workflow(text, suffix, ns.name, store_dir=store_dir(ns),
                         force=ns.force)
    if ns.json:
        print_json({"name": path.name[: -len(suffix)], "path": str(path)})
    else:
        print(f"saved {path.name[: -len(suffix)]} -> {path} (run it: flowdsl run {ns.name})")
    return EXIT_OK


def cmd_workflows(ns: argparse.Namespace) -> int:
    found = _durable.list_workflows(Path.cwd(), store_dir=store_dir(ns), bundled=True)
    if ns.json:
        print_json([{"name": w.name, "ref": w.ref, "source": w.source, "path": str(w.path),
                      "description": w.description} for w in found])
        return EXIT_OK
    if not any(w.source != "bundled" for w in found):
        print("no saved workflows (save one: flowdsl save RUN_ID NAME)", file=sys.stderr)
    if not found:
        return EXIT_OK
    width = max(len(w.ref) for w in found)
    for w in found:
        detail = w.description if w.source == "bundled" and w.description else w.path
        print(printable(f"{w.ref.ljust(width)}  {w.source.ljust(7)}  {detail}"))
    return EXIT_OK
