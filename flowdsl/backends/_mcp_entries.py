"""Which MCP servers a workspace configures: ``.mcp.json`` and ``mcp_servers`` in the config.

Both use Claude Code's format, one entry per server name::

    {"mcpServers": {
        "github": {"command": "github-mcp", "args": ["stdio"], "env": {"TOKEN": "${GH_TOKEN}"}},
        "docs": {"type": "http", "url": "http://127.0.0.1:9000/mcp", "headers": {...}}
    }}

``type`` is ``stdio`` (the default when ``command`` is given), ``http`` (streamable HTTP)
or ``sse``. Strings may name environment variables as ``${VAR}`` or ``${VAR:-default}``,
expanded when the servers are read (Claude Code's rule). The configuration's
``mcp_servers`` wins over ``.mcp.json`` on a name clash. Nothing here starts a server or
imports an MCP client: this module only reads and checks the entries, and names the file
and the server in every error.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from .._config import Config
from ..errors import BackendConfigError

__all__ = ["McpServerEntry", "parse_entry", "read_servers"]

_NAME = re.compile(r"\A[A-Za-z0-9_.-]+\Z")
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_MAX_BYTES = 1024 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class McpServerEntry:
    """One configured MCP server."""

    name: str
    source: str
    """Where the entry was read from (the file), for error messages."""
    kind: Literal["stdio", "http", "sse"]
    command: str = ""
    args: tuple[str, ...] = ()
    env: Mapping[str, str] | None = None
    cwd: str | None = None
    url: str = ""
    headers: Mapping[str, str] | None = None


def read_servers(workspace: Path, config: Config) -> dict[str, McpServerEntry]:
    """The MCP servers of ``workspace``: its ``.mcp.json``, then the configuration's.

    Raises:
        BackendConfigError: ``.mcp.json`` is unreadable or not JSON, or an entry is
            malformed (the message names the file and the server).
    """
    servers: dict[str, McpServerEntry] = {}
    path = workspace / ".mcp.json"
    if path.is_file():
        for name, raw in _file_servers(path).items():
            servers[name] = parse_entry(name, raw, str(path))
    source = str(config.source or "the configuration") + " [mcp_servers]"
    for name, raw in config.mcp_servers.items():
        servers[name] = parse_entry(name, raw, source)
    return servers


def _file_servers(path: Path) -> Mapping[str, Any]:
    try:
        if path.stat().st_size > _MAX_BYTES:
            raise BackendConfigError(f"{path}: over {_MAX_BYTES // 1024} KiB")
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BackendConfigError(f"{path}: cannot read the MCP servers ({exc})") from None
    servers = data.get("mcpServers", {}) if isinstance(data, dict) else None
    if not isinstance(servers, dict):
        raise BackendConfigError(f'{path}: expected {{"mcpServers": {{"NAME": {{...}}}}}}')
    return servers


def parse_entry(name: str, raw: object, source: str) -> McpServerEntry:
    """Check one server entry.

    Raises:
        BackendConfigError: a bad name, type, field or environment reference.
    """
    where = f"{source}: MCP server {name!r}"
    if not _NAME.match(name):
        raise BackendConfigError(f"{where}: the name may hold only letters, digits, '_', '.', '-'")
    if not isinstance(raw, Mapping):
        raise BackendConfigError(f"{where}: the entry must be an object")
    entry = {str(k): _expand(v, where) for k, v in raw.items()}
    kind = entry.get("type", "stdio" if "command" in entry else None)
    if kind in ("stdio", "http", "sse", "streamable-http", "streamable_http"):
        if kind == "stdio":
            return McpServerEntry(
                name=name, source=source, kind="stdio", command=_text(entry, "command", where),
                args=tuple(_strings(entry.get("args", []), "args", where)),
                env=_table(entry.get("env"), "env", where),
                cwd=_text(entry, "cwd", where) if entry.get("cwd") is not None else None)
        return McpServerEntry(
            name=name, source=source, kind="sse" if kind == "sse" else "http",
            url=_text(entry, "url", where), headers=_table(entry.get("headers"), "headers", where))
    if kind is None:
        raise BackendConfigError(f"{where}: give a 'command' (stdio) or a 'type' and 'url' "
                                 "(http, sse)")
    raise BackendConfigError(f"{where}: unknown type {kind!r} (stdio, http or sse)")


def _text(entry: Mapping[str, Any], key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value:
        raise BackendConfigError(f"{where}: {key!r} must be a non-empty string")
    return value


def _strings(value: object, key: str, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BackendConfigError(f"{where}: {key!r} must be a list of strings")
    return value


def _table(value: object, key: str, where: str) -> Mapping[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
        raise BackendConfigError(f"{where}: {key!r} must map names to strings")
    return {str(k): v for k, v in value.items()}


def _expand(value: Any, where: str) -> Any:
    """``${VAR}`` and ``${VAR:-default}`` in every string, as Claude Code expands them."""
    if isinstance(value, str):
        def variable(match: re.Match[str]) -> str:
            found = os.environ.get(match.group(1))
            if found is not None:
                return found
            if match.group(2) is not None:
                return match.group(2)
            raise BackendConfigError(f"{where}: environment variable {match.group(1)} is not "
                                     "set (write ${VAR:-default} for a default)")
        return _VARIABLE.sub(variable, value)
    if isinstance(value, Mapping):
        return {k: _expand(v, where) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand(v, where) for v in value]
    return value
