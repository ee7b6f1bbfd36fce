"""``flowdsl mcp``: serve flowdsl to agent hosts over MCP; ``flowdsl mcp install``.

``flowdsl mcp`` speaks MCP on stdin/stdout (what hosts start), or with ``--http PORT``
streamable HTTP on 127.0.0.1 with a bearer token. Runs it starts are ordinary durable
runs in the store of the folder it was started in (or ``--store``).
"""

from __future__ import annotations

import argparse
import sys
from functools import partial
from pathlib import Path
from typing import Any

from .._event_loop import run_loop
from .._terminal_text import printable
from ..errors import UsageError
from . import EXIT_OK

__all__ = ["register"]


def register(sub: Any) -> None:
    mcp = sub.add_parser("mcp", help="serve flowdsl's workflow tools to agent hosts (MCP)")
    mcp.add_argument("--http", type=int, metavar="PORT",
                     help="streamable HTTP on 127.0.0.1:PORT (0: any free port) with a bearer "
                          "token ($FLOWDSL_MCP_TOKEN, else generated and printed once) "
                          "instead of stdio")
    mcp.add_argument("--store", metavar="DIR",
                     help="run store directory (default: the configured store, "
                          "else $FLOWDSL_STORE, else ./.flowdsl)")
    mcp.add_argument("--backend", help="the backend of the runs it starts (over the configuration)")
    mcp.add_argument("--model", help="the runs' default model")
    mcp.set_defaults(handler=cmd_serve)
    actions = mcp.add_subparsers(dest="mcp_command", metavar="ACTION")
    install = actions.add_parser("install", help="add flowdsl to an agent host's MCP servers")
    install.add_argument("--host", required=True, choices=("claude", "codex", "cursor"))
    install.add_argument("--scope", choices=("project", "user"), default="project",
                         help="this project's configuration (default) or your user's")
    install.add_argument("--print", dest="print_only", action="store_true",
                         help="print the configuration instead of writing it")
    install.set_defaults(handler=cmd_install)


def cmd_install(ns: argparse.Namespace) -> int:
    from .._mcp._install import install

    outcome = install(ns.host, scope=ns.scope, project_dir=Path.cwd(), home=Path.home(),
                      print_only=ns.print_only)
    if outcome.action == "printed":
        print(f"# {outcome.path}", file=sys.stderr)
        sys.stdout.write(outcome.text)
        return EXIT_OK
    print(printable(f"{outcome.path}: {outcome.action} the flowdsl MCP server "
                    f"({outcome.host}, {outcome.scope} scope)"))
    if outcome.host == "claude" and outcome.scope == "project":
        print("Claude Code asks you to approve project MCP servers the first time.",
              file=sys.stderr)
    return EXIT_OK


def cmd_serve(ns: argparse.Namespace) -> int:
    try:
        from .._mcp._server import build_server
        from .._mcp._service import Service
    except ImportError as exc:
        raise UsageError(f"flowdsl mcp needs the MCP SDK ({exc.name} is missing): "
                         "pip install 'flowdsl[mcp]'") from None
    defaults = {k: v for k, v in (("backend", ns.backend), ("model", ns.model)) if v}
    service = Service(project_dir=Path.cwd(), store=ns.store, run_defaults=defaults)
    service.options()  # a bad configuration is an error now, not at the first run
    if ns.http is None:
        run_loop(build_server(service).run_stdio_async)
        return EXIT_OK
    from .._mcp._http import bind, serve_http, token_from_env

    if not 0 <= ns.http <= 65535:
        raise UsageError(f"--http {ns.http}: a port is 0..65535")
    token, generated = token_from_env()
    sock = bind(ns.http)
    try:
        run_loop(partial(serve_http, service, sock, token, announce=generated))
    finally:
        sock.close()
    return EXIT_OK
