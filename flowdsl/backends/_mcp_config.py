"""The MCP servers one agent's grant reaches, as a ``--mcp-config`` file for Claude Code.

The entries are read and checked once, by :func:`._mcp_entries.read_servers` (the
workspace's ``.mcp.json``, then ``[tool.flowdsl.mcp_servers]``, which wins a name clash;
``${VAR}`` expanded). Only the servers some ``mcp__NAME__...`` pattern of the grant names
are written back in Claude Code's format, so an agent starts no server its type did not
ask for, and the ``${VAR}`` values the CLI's trimmed environment lacks are already filled.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .._config import Config
from ..errors import BackendConfigError
from ._grants import ToolGrant
from ._mcp_entries import McpServerEntry, read_servers

__all__ = ["claude_entry", "mcp_config"]


def claude_entry(entry: McpServerEntry) -> dict[str, Any]:
    """One server in ``.mcp.json``'s format (``type`` always spelled out)."""
    if entry.kind == "stdio":
        out: dict[str, Any] = {"type": "stdio", "command": entry.command,
                               "args": list(entry.args)}
        if entry.env:
            out["env"] = dict(entry.env)
        if entry.cwd is not None:  # passed on, though Claude Code 2.1.330 does not honour it
            out["cwd"] = entry.cwd
        return out
    out = {"type": entry.kind, "url": entry.url}
    if entry.headers:
        out["headers"] = dict(entry.headers)
    return out


def mcp_config(grant: ToolGrant, workspace: Path, config: Config) -> dict[str, Any] | None:
    """``{"mcpServers": {...}}`` with the servers ``grant`` reaches; None when it reaches none.

    Raises:
        BackendConfigError: a reached server is defined nowhere, or an entry is malformed.
    """
    if not grant.mcp_servers:
        return None
    known = read_servers(workspace, config)
    missing = sorted(grant.mcp_servers - known.keys())
    if missing:
        where = str(config.source) if config.source is not None else "the configuration"
        raise BackendConfigError(
            f"the agent's tools name the MCP server(s) {', '.join(missing)}, defined neither "
            f"in {workspace / '.mcp.json'} nor under [tool.flowdsl.mcp_servers] in {where}")
    return {"mcpServers": {name: claude_entry(known[name]) for name in sorted(grant.mcp_servers)}}
