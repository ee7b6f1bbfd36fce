"""The ``flowdsl`` command: argparse front, one module per command group.

Exit codes: 0 completed, 1 the run failed (or was stopped), 2 bad input (unknown option,
unreadable file, invalid JSON, script errors, unknown run id), 130 interrupted (Ctrl-C).
A user mistake prints one line ``flowdsl: error: ...`` and never a traceback.
Whatever a command prints from a run goes through ``flowdsl._terminal_text`` first
(workflow scripts are untrusted): no control character reaches the terminal raw.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .._terminal_text import printable
from ..errors import BackendConfigError, FlowError, ScriptError, StoreError, UsageError

if TYPE_CHECKING:
    from .._runtime import ScriptProcess

__all__ = ["EXIT_BAD_INPUT", "EXIT_FAILED", "EXIT_INTERRUPTED", "EXIT_OK", "main"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130


class _Parser(argparse.ArgumentParser):
    """argparse that exits 2 with one line, never a usage dump on stdout."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_BAD_INPUT, f"flowdsl: error: {message} (see 'flowdsl --help')\n")

    def _get_formatter(self) -> argparse.HelpFormatter:
        # argparse makes a formatter for every add_argument, and without a width it
        # imports shutil for one (~4 ms of every command's start). Every argparse
        # formatter takes a width; typeshed's protocol lists only prog.
        return self.formatter_class(prog=self.prog, width=_help_width())  # type: ignore[call-arg]


def _help_width() -> int:
    """The width ``shutil.get_terminal_size()`` would give argparse, less its margin."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns) - 2
    try:
        width = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        width = 0
    return (width or 80) - 2


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="flowdsl",
        description="Run dynamic workflows: scripts that orchestrate many LLM subagents.",
    )
    from .. import __version__

    parser.add_argument("--version", action="version", version=f"flowdsl {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    from . import _cmd_run

    _cmd_run.register(sub)
    from . import _cmd_bench

    _cmd_bench.register(sub)
    from . import _cmd_runs

    _cmd_runs.register(sub)
    from . import _cmd_save

    _cmd_save.register(sub)
    from . import _cmd_mcp

    _cmd_mcp.register(sub)
    from . import _cmd_worker

    _cmd_worker.register(sub)
    return parser


def main(argv: Sequence[str] | None = None, *, prestarted: ScriptProcess | None = None) -> int:
    """Run the ``flowdsl`` command ``argv``; returns the exit code.

    ``prestarted``: a script process ``entry`` started for ``flowdsl run`` (the caller
    stops it if the command did not use it).
    """
    parser = build_parser()
    ns = parser.parse_args(argv)
    ns.prestarted = prestarted
    try:
        code: int = ns.handler(ns)
    except (ScriptError, UsageError, StoreError, BackendConfigError) as exc:
        print(f"flowdsl: error: {printable(str(exc))}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except FlowError as exc:
        print(f"flowdsl: error: {printable(str(exc))}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("flowdsl: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK
    return code


def entry() -> None:
    """The console script. ``flowdsl run`` starts its script's process first of all, so
    that process's imports overlap this one's (it is stopped if the run does not use it)."""
    argv = sys.argv[1:]
    prestarted = None
    if argv[:1] == ["run"] and not {"--background", "--help", "-h"} & set(argv) \
            and "inline" not in argv and "--isolation=inline" not in argv:
        from .._runtime._process._spawn import prestart

        prestarted = prestart()
    try:
        code = main(argv, prestarted=prestarted)
    finally:
        if prestarted is not None:
            prestarted.discard()
    # The process ends here: spare its exit the garbage collections over everything the
    # command imported (~15 ms, a sixth of `flowdsl runs list`). atexit handlers, thread
    # joins, flushing and refcount cleanup still run; Python never promised finalizers to
    # the objects that outlive it.
    gc.freeze()
    sys.exit(code)
