"""MCP tools for API agents: a workspace's servers, started on first use, stopped with the backend.

Servers come from ``.mcp.json`` and the configuration (:mod:`._mcp_entries`). An agent
whose grant reaches ``mcp__NAME__...`` gets server ``NAME``'s tools through pydantic-ai's
MCP client (``pydantic_ai.mcp.MCPToolset``, on FastMCP's client), named as Claude Code
names them, ``mcp__NAME__TOOL``, and filtered by the grant. A tool's error goes back to the
model as the tool's failed result (``tool_error_behavior="failed"``).

Lifecycle: a server starts when the first agent that reaches it starts, once (one lock),
and keeps running for the agents after it; :meth:`McpServers.aclose` stops every server -
the backend calls it from ``aclose``/``__aexit__``, and the runtime enters the backend for
the run's lifetime, so the servers stop with the run. FastMCP runs each session in a task
of its own, so a server started inside one agent's task outlives that agent and can be
stopped from the run's task. Agents never start or stop a server: their runs see it
through :class:`_Held`, whose enter and exit do nothing. A server that cannot start fails
the agents that need it, with one line naming it (remembered until ``aclose``, so the
agents after it fail at once instead of waiting for the same timeout).

FastMCP's client is asyncio-only: MCP tools need anyio's asyncio backend.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import anyio
from pydantic_ai.toolsets import AbstractToolset, WrapperToolset

from .._config import Config
from ..errors import BackendConfigError
from ._grants import ToolGrant
from ._mcp_entries import McpServerEntry, read_servers

__all__ = ["START_SECONDS", "McpServers", "preload_client"]

START_SECONDS = 30.0
"""How long a server may take to start and answer the MCP handshake."""

logger = logging.getLogger("flowdsl.backends")


class McpServers:
    """The MCP servers of one workspace, for the agents of one backend.

    Args:
        workspace: where ``.mcp.json`` is read, and the working directory of stdio servers
            (an entry's relative ``cwd`` is relative to it).
        config: the configuration's ``mcp_servers`` (they win over ``.mcp.json``).
    """

    def __init__(self, workspace: Path, config: Config) -> None:
        self.workspace = workspace
        self.config = config
        self._entries: dict[str, McpServerEntry] | None = None
        self._running: dict[str, Any] = {}
        self._failed: dict[str, str] = {}
        self._lock: anyio.Lock | None = None

    def configured(self) -> bool:
        """Whether any server may be configured (without reading ``.mcp.json``)."""
        return bool(self.config.mcp_servers) or (self.workspace / ".mcp.json").is_file()

    def entries(self) -> Mapping[str, McpServerEntry]:
        """The configured servers (read once until :meth:`aclose`).

        Raises:
            BackendConfigError: a malformed file or entry.
        """
        if self._entries is None:
            self._entries = read_servers(self.workspace, self.config)
        return self._entries

    def reached(self, grant: ToolGrant) -> list[str]:
        """The servers ``grant`` reaches (its ``mcp__NAME__...`` patterns), sorted.

        Raises:
            BackendConfigError: an entry is malformed, or a reached server is configured
                nowhere (the ``claude`` backend refuses it alike: one policy).
        """
        if not grant.mcp:
            return []
        entries = self.entries()
        missing = sorted(grant.mcp_servers - entries.keys())
        if missing:
            where = str(self.config.source or "the configuration")
            raise BackendConfigError(
                f"the agent's tools name the MCP server(s) {', '.join(missing)}, defined "
                f"neither in {self.workspace / '.mcp.json'} nor under "
                f"[tool.flowdsl.mcp_servers] in {where}")
        return sorted(grant.mcp_servers)

    async def toolsets(self, grant: ToolGrant) -> list[AbstractToolset[None]]:
        """The tools of every server ``grant`` reaches, starting servers as needed.

        Raises:
            BackendConfigError: a server is configured nowhere or malformed, or cannot start.
        """
        toolsets: list[AbstractToolset[None]] = []
        for name in self.reached(grant):
            server = await self._started(name)

            def allowed(ctx: Any, tool: Any, server_name: str = name) -> bool:
                return grant.allows_mcp(server_name, tool.name)

            toolsets.append(_Held(server.filtered(allowed).prefixed(f"mcp__{name}_")))
        return toolsets

    async def _started(self, name: str) -> Any:
        if self._lock is None:
            self._lock = anyio.Lock()
        async with self._lock:
            if name in self._failed:
                raise BackendConfigError(self._failed[name])
            if name not in self._running:
                entry = self.entries()[name]
                toolset = _toolset(entry, self.workspace)
                try:
                    with anyio.fail_after(START_SECONDS + 5):
                        await toolset.__aenter__()
                except Exception as exc:
                    message = (f"MCP server {name!r} ({entry.source}) could not start: "
                               f"{_reason(exc)}")
                    self._failed[name] = message
                    raise BackendConfigError(message) from exc
                self._running[name] = toolset
            return self._running[name]

    async def aclose(self) -> None:
        """Stop every server started; the next agent that needs one starts it again."""
        running, self._running = self._running, {}
        self._failed.clear()
        self._entries = None
        self._lock = None
        with anyio.CancelScope(shield=True):
            for name, toolset in running.items():
                try:
                    await toolset.__aexit__(None, None, None)
                    await toolset.client.transport.close()
                except Exception as exc:  # stopping one must not keep the others running
                    logger.warning("MCP server %r did not stop cleanly: %s", name, exc)


def _toolset(entry: McpServerEntry, workspace: Path) -> Any:
    from fastmcp.client.transports import SSETransport, StdioTransport, StreamableHttpTransport
    from pydantic_ai.mcp import MCPToolset

    transport: Any
    if entry.kind == "stdio":
        cwd = workspace / entry.cwd if entry.cwd is not None else workspace
        transport = StdioTransport(entry.command, list(entry.args),
                                   env=dict(entry.env) if entry.env is not None else None,
                                   cwd=str(cwd), keep_alive=False)
    elif entry.kind == "sse":
        transport = SSETransport(entry.url, headers=dict(entry.headers or {}))
    else:
        transport = StreamableHttpTransport(entry.url, headers=dict(entry.headers or {}))
    return MCPToolset(transport, id=f"mcp-{entry.name}", tool_error_behavior="failed",
                      init_timeout=START_SECONDS)


def _reason(exc: BaseException) -> str:
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]


def preload_client() -> None:
    """Import pydantic-ai's MCP client and FastMCP now (seconds), not in the first agent."""
    import fastmcp.client.transports  # noqa: F401
    import pydantic_ai.mcp  # noqa: F401



@dataclass
class _Held(WrapperToolset[None]):
    """A running server's tools for one agent run: entering and leaving do nothing (the
    server's lifetime is the backend's)."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *args: Any) -> bool | None:
        return None
