"""The workspace tools (:mod:`._tools`) as pydantic-ai tools, bound to one agent's grant.

Each tool is a small closure over the agent's :class:`~._tools.Workspace` with the model-visible
parameters of the tool function it calls and that function's docstring, so pydantic-ai
derives the same description and parameter texts the tools document (Google ``Args:``).
The names are Claude Code's lower-cased: ``read``, ``list``, ``glob``, ``grep``, ``edit``,
``write``, ``bash``; only the granted ones are offered, ``bash`` bound to the grant's
command prefixes and the configured ``bash_timeout``.

A :class:`~flowdsl.errors.ToolError` (a refusal or a failure the model caused) becomes
pydantic-ai's ``ToolFailed``: the model reads the message as the tool's result and goes on,
and the agent's tool retries are not spent on it. Anything else a tool raises is a bug and
fails the agent.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from pydantic_ai import Tool
from pydantic_ai.exceptions import ToolFailed
from pydantic_ai.toolsets import FunctionToolset

from ..errors import ToolError
from . import _tools
from ._grants import ToolGrant

__all__ = ["WorkspaceTools", "workspace"]


def workspace(root: Path, store: Path | None) -> _tools.Workspace:
    """The workspace at ``root``; ``store`` (the run store) is protected when inside it."""
    root = root.resolve()
    protected: tuple[Path, ...] = ()
    if store is not None:
        store = (root / store).resolve()
        protected = (store,) if store.is_relative_to(root) else ()
    return _tools.Workspace(root=root, protected=protected)


async def _answer(call: Awaitable[str]) -> str:
    try:
        return await call
    except ToolError as exc:
        raise ToolFailed(str(exc)) from None


def _tool(name: str, function: Callable[..., Awaitable[str]],
          documented: Callable[..., Any]) -> Tool[None]:
    function.__doc__ = documented.__doc__
    return Tool(function, name=name, takes_ctx=False, docstring_format="google")


def _file_tools(ws: _tools.Workspace) -> dict[str, Tool[None]]:
    async def read(path: str, offset: int | None = None, limit: int | None = None) -> str:
        return await _answer(_tools.read_file(ws, path, offset, limit))

    async def list_(path: str = ".") -> str:
        return await _answer(_tools.list_dir(ws, path))

    async def glob(pattern: str, path: str = ".") -> str:
        return await _answer(_tools.glob_files(ws, pattern, path))

    async def grep(pattern: str, path: str = ".", glob: str | None = None,
                   ignore_case: bool = False, output_mode: str = "files_with_matches",
                   context: int = 0, head_limit: int | None = None) -> str:
        return await _answer(_tools.grep(ws, pattern, path, glob, ignore_case, output_mode,
                                         context, head_limit))

    async def edit(path: str, old_string: str, new_string: str,
                   replace_all: bool = False) -> str:
        return await _answer(_tools.edit_file(ws, path, old_string, new_string, replace_all))

    async def write(path: str, content: str) -> str:
        return await _answer(_tools.write_file(ws, path, content))

    return {
        "read": _tool("read", read, _tools.read_file),
        "list": _tool("list", list_, _tools.list_dir),
        "glob": _tool("glob", glob, _tools.glob_files),
        "grep": _tool("grep", grep, _tools.grep),
        "edit": _tool("edit", edit, _tools.edit_file),
        "write": _tool("write", write, _tools.write_file),
    }


def _bash_tool(ws: _tools.Workspace, allow: tuple[str, ...], timeout: float) -> Tool[None]:
    async def bash(command: str) -> str:
        return await _answer(_tools.run_bash(ws, command, allow=allow, timeout=timeout))

    tool = _tool("bash", bash, _tools.run_bash)
    if "*" not in allow:
        tool.description = (f"{tool.description}\n\nAllowed commands start with: "
                            + ", ".join(allow))
    return tool


class WorkspaceTools:
    """One backend's workspace tools, built once and shared by its agents.

    pydantic-ai derives a tool's schema from its signature and docstring (milliseconds a
    tool, most of an agent's setup), so each grant's toolset is built on first use and
    kept: a ``FunctionToolset`` holds no per-run state.

    Args:
        ws: the workspace.
        bash_timeout: seconds one bash command may run.
    """

    def __init__(self, ws: _tools.Workspace, *, bash_timeout: float) -> None:
        self.ws = ws
        self.bash_timeout = bash_timeout
        self._files: dict[str, Tool[None]] | None = None
        self._toolsets: dict[tuple[tuple[str, ...], tuple[str, ...]], FunctionToolset[None]] = {}

    def toolset(self, grant: ToolGrant) -> FunctionToolset[None]:
        """The granted tools, in the order :data:`._grants.WORKSPACE_TOOLS` lists them."""
        key = (grant.workspace_tools, grant.bash_allow)
        found = self._toolsets.get(key)
        if found is None:
            if self._files is None:
                self._files = _file_tools(self.ws)
            tools = [self._files[name] if name != "bash"
                     else _bash_tool(self.ws, grant.bash_allow, self.bash_timeout)
                     for name in grant.workspace_tools]
            found = self._toolsets[key] = FunctionToolset(tools, id="workspace")
        return found
