"""The MCP server: flowdsl's tools, the authors' guide and saved workflows as prompts.

Built on the official ``mcp`` SDK (``MCPServer``, which 1.x called FastMCP). Each tool
answers with ``structuredContent`` and a one-line text; each failure is an MCP tool
error of one line (a script error as ``path:line:col: message``), never a crash of the
server. The tools' operations block on the store, so they run in worker threads.
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Awaitable, Callable
from importlib import resources
from typing import Annotated, Any, Literal, ParamSpec

import anyio
import anyio.to_thread
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.prompts.base import Prompt
from mcp.server.mcpserver.resources.types import TextResource
from mcp.server.mcpserver.tools.base import Tool
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import Field, ValidationError

from .._terminal_text import one_line
from ..errors import FlowError
from ._scripts import MAX_SCRIPT_CHARS, Language
from ._service import MAX_EVENTS, RESULT_PAGE, Service
from ._summaries import summary

__all__ = ["GUIDE_URI", "INSTRUCTIONS", "MAX_WAIT_SECONDS", "build_server"]

GUIDE_URI = "flowdsl://guide"
MAX_WAIT_SECONDS = 30.0
"""The longest ``workflow_status`` waits (host tool calls time out after 300–600 s)."""

INSTRUCTIONS = (
    "flowdsl runs dynamic workflows: scripts (Python .flow.py, or Claude Code Workflow "
    "JavaScript) that fan out many subagents, cross-check and aggregate. Use it when work "
    "splits into many independent agent tasks. Read flowdsl://guide before writing one. "
    "Call workflow_validate, then workflow_run (returns a run_id at once; pass an "
    "idempotency_key), then workflow_status with wait_seconds until settled, then "
    "workflow_result. Runs are durable: workflow_resume continues one. workflows_saved "
    "lists ready-made ones."
)

_log = logging.getLogger("flowdsl.mcp")
_P = ParamSpec("_P")

RunId = Annotated[str, Field(description="the run id (or a unique prefix of it)",
                             min_length=1, max_length=64)]
Script = Annotated[str | None, Field(
    description="the workflow script itself (Python .flow.py or JavaScript); saved under "
                ".flowdsl/scripts/ and its path returned", max_length=MAX_SCRIPT_CHARS)]
ScriptPath = Annotated[str | None, Field(
    description="a workflow file, relative to the project folder")]
ScriptLanguage = Annotated[Language | None, Field(
    description="the inline script's language (default: guessed from the text)")]
Args = Annotated[Any, Field(description="the script's args (any JSON value)")]


class _OneLineTool(Tool):
    """A tool whose errors read ``tool: message`` on one line (argument errors as
    ``tool: invalid arguments: field: problem``)."""

    async def run(self, arguments: dict[str, Any], context: Any,
                  convert_result: bool = False) -> Any:
        try:
            return await super().run(arguments, context, convert_result)
        except ToolError as exc:
            cause = exc.__cause__
            if isinstance(cause, ValidationError):
                problems = "; ".join(
                    f"{'.'.join(str(p) for p in err['loc']) or 'arguments'}: {err['msg']}"
                    for err in cause.errors()[:3])
                raise ToolError(f"{self.name}: invalid arguments: {problems}") from None
            text = str(exc).removeprefix(f"Error executing tool {self.name}: ")
            raise ToolError(f"{self.name}: {text}") from None


def _tool(fn: Callable[..., Awaitable[CallToolResult]], *, title: str,
          read_only: bool, destructive: bool = False, idempotent: bool = False,
          open_world: bool = False) -> Tool:
    annotations = ToolAnnotations(title=title, read_only_hint=read_only,
                                  destructive_hint=destructive, idempotent_hint=idempotent,
                                  open_world_hint=open_world)
    tool = Tool.from_function(fn, annotations=annotations)
    return _OneLineTool.model_construct(**dict(tool))


def _answer(name: str, data: dict[str, Any]) -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text=summary(name, data))],
                          structured_content=data)


async def _call(tool: str, op: Callable[_P, dict[str, Any]], /, *args: _P.args,
                **kwargs: _P.kwargs) -> dict[str, Any]:
    """Run one blocking operation in a thread; its failure is a one-line tool error."""
    try:
        return await anyio.to_thread.run_sync(functools.partial(op, *args, **kwargs))
    except FlowError as exc:
        raise ToolError(one_line(str(exc), 2000)) from None
    except Exception as exc:  # a bug: the server stays up, the log has the traceback
        _log.exception("%s failed", tool)
        raise ToolError(f"internal error: {type(exc).__name__}: "
                        f"{one_line(str(exc), 500)} (the server's log has the details)"
                        ) from None


async def _until_settled(service: Service, run_id: str,
                         wait_seconds: float | None) -> dict[str, Any]:
    """The run's status once it settled, or after ``wait_seconds`` (None: no limit)."""
    deadline = None if wait_seconds is None else anyio.current_time() + wait_seconds
    while True:
        data = await _call("workflow_status", service.status, run_id)
        left = None if deadline is None else deadline - anyio.current_time()
        if data["settled"] or (left is not None and left <= 0):
            return data
        await anyio.sleep(0.25 if left is None else min(0.25, left))


def _tools(service: Service) -> list[Tool]:
    async def workflow_validate(script: Script = None, script_path: ScriptPath = None,
                                language: ScriptLanguage = None,
                                args: Args = None) -> CallToolResult:
        """Check a workflow without running it: its meta and phases, its errors (with
        line:col), and a dry run on fake agents projecting agents, tokens and cost."""
        return _answer("workflow_validate", await _call(
            "workflow_validate", service.validate, script=script, script_path=script_path,
            language=language, args=args))

    async def workflow_run(
        script: Script = None, script_path: ScriptPath = None,
        name: Annotated[str | None, Field(description="a saved workflow's name, or @NAME "
                                                      "for a bundled one")] = None,
        language: ScriptLanguage = None, args: Args = None,
        budget: Annotated[int | None, Field(ge=0, description="hard cap on real input+output "
                                                              "tokens")] = None,
        max_cost: Annotated[float | None, Field(ge=0, description="hard cap on the run's cost "
                                                                  "in US dollars")] = None,
        concurrency: Annotated[int | None, Field(ge=1, le=1024,
                                                 description="agents at once")] = None,
        model: Annotated[str | None, Field(description="default model of the run's "
                                                       "agents")] = None,
        background: Annotated[bool, Field(description="return at once with the run id "
                                                      "(default); false: wait for the end"
                                          )] = True,
        idempotency_key: Annotated[str | None, Field(
            min_length=1, max_length=200,
            description="a retried call with the same key returns the same run")] = None,
        resume_from_run_id: Annotated[str | None, Field(
            description="continue this stopped, failed or interrupted run (finished agents "
                        "are replayed, not paid again); with script_path: an edited "
                        "script")] = None,
    ) -> CallToolResult:
        """Start a workflow as a durable run: inline script, file or saved name."""
        started = await _call(
            "workflow_run", service.run, script=script, script_path=script_path, name=name,
            language=language, args=args, idempotency_key=idempotency_key,
            resume_from_run_id=resume_from_run_id, budget=budget, max_cost=max_cost,
            concurrency=concurrency, model=model)
        if background:
            return _answer("workflow_run", started)
        await _until_settled(service, started["run_id"], None)
        result = await _call("workflow_result", service.result, started["run_id"],
                             offset=0, limit=RESULT_PAGE)
        return _answer("workflow_result", {**result, "script_path": started["script_path"]})

    async def workflow_status(
        run_id: RunId,
        wait_seconds: Annotated[float, Field(ge=0, le=MAX_WAIT_SECONDS, description=(
            "wait up to this long for the run to settle (end, or pause for quota)"))] = 0,
    ) -> CallToolResult:
        """A run's status, phase, agents by outcome, running agents, tokens, cost, elapsed."""
        return _answer("workflow_status", await _until_settled(service, run_id, wait_seconds))

    async def workflow_events(
        run_id: RunId,
        cursor: Annotated[int, Field(ge=0, description="the next_cursor of the previous "
                                                       "call (0: from the start)")] = 0,
        limit: Annotated[int, Field(ge=1, le=MAX_EVENTS)] = 200,
    ) -> CallToolResult:
        """A run's events after the cursor: phases, log lines, failed agents, statuses."""
        return _answer("workflow_events", await _call(
            "workflow_events", service.events, run_id, cursor=cursor, limit=limit))

    async def workflow_result(
        run_id: RunId,
        offset: Annotated[int, Field(ge=0, description="where the page of a large result's "
                                                       "JSON starts")] = 0,
        limit: Annotated[int, Field(ge=1, le=100_000, description="characters of JSON per "
                                                                  "page")] = RESULT_PAGE,
    ) -> CallToolResult:
        """A run's result (paged when large) and its failed agents, summarized."""
        return _answer("workflow_result", await _call(
            "workflow_result", service.result, run_id, offset=offset, limit=limit))

    async def workflow_stop(run_id: RunId) -> CallToolResult:
        """Cancel a run's in-flight agents and end it (status stopped; resumable)."""
        return _answer("workflow_stop", await _call("workflow_stop", service.stop, run_id))

    async def workflow_pause(run_id: RunId) -> CallToolResult:
        """Dispatch no new agents; the ones in flight finish (resume continues)."""
        return _answer("workflow_pause", await _call("workflow_pause", service.pause, run_id))

    async def workflow_resume(run_id: RunId) -> CallToolResult:
        """Continue a paused, stopped, failed or interrupted run; finished agents replay."""
        return _answer("workflow_resume", await _call("workflow_resume", service.resume,
                                                      run_id))

    async def workflow_list(
        status: Annotated[Literal["running", "paused", "completed", "failed", "stopped",
                                  "interrupted"] | None, Field()] = None,
        limit: Annotated[int, Field(ge=1, le=1000)] = 20,
    ) -> CallToolResult:
        """Runs in this project's store, newest first."""
        return _answer("workflow_list", await _call(
            "workflow_list", service.list_runs, status=status, limit=limit))

    async def workflows_saved() -> CallToolResult:
        """Saved and bundled workflows: name, description, whenToUse."""
        return _answer("workflows_saved", await _call("workflows_saved", service.saved))

    return [
        _tool(workflow_validate, title="Validate a workflow", read_only=True, idempotent=True),
        _tool(workflow_run, title="Run a workflow", read_only=False, open_world=True),
        _tool(workflow_status, title="A run's status", read_only=True, idempotent=True),
        _tool(workflow_events, title="A run's events", read_only=True, idempotent=True),
        _tool(workflow_result, title="A run's result", read_only=True, idempotent=True),
        _tool(workflow_stop, title="Stop a run", read_only=False, destructive=True,
              idempotent=True),
        _tool(workflow_pause, title="Pause a run", read_only=False, idempotent=True),
        _tool(workflow_resume, title="Resume a run", read_only=False, open_world=True),
        _tool(workflow_list, title="List runs", read_only=True, idempotent=True),
        _tool(workflows_saved, title="Saved workflows", read_only=True, idempotent=True),
    ]


def guide_text() -> str:
    return resources.files("flowdsl._mcp").joinpath("guide.md").read_text(encoding="utf-8")


def _prompt(workflow: dict[str, Any]) -> Prompt:
    name = str(workflow["name"])
    about = " ".join(str(workflow[k]) for k in ("description", "whenToUse") if workflow.get(k))

    def render(args: str = "") -> str:
        call = {"name": name, **({"args": "<the JSON below>"} if args else {})}
        return (f"Run the flowdsl workflow {name!r}" + (f" ({about})" if about else "")
                + f": call workflow_run with {call}, then workflow_status with wait_seconds "
                  "30 until it settles, then workflow_result, and report what it found."
                + (f"\n\nargs:\n{args}" if args else ""))

    return Prompt.from_function(render, name=name.lstrip("@"),
                                description=about or f"Run the workflow {name}")


class _SavedPrompts:
    """Server middleware: the prompts are the saved workflows as they are now."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self.server: MCPServer[Any] | None = None
        self._names: set[str] = set()

    async def __call__(self, ctx: Any, call_next: Callable[[Any], Awaitable[Any]]) -> Any:
        if ctx.method in ("prompts/list", "prompts/get") and self.server is not None:
            try:
                saved = await anyio.to_thread.run_sync(self.service.saved)
            except FlowError as exc:  # the store is unusable: no prompts, say why
                print(f"flowdsl mcp: prompts: {one_line(str(exc))}", file=sys.stderr)
                saved = {"workflows": []}
            self._sync(self.server, [w for w in saved["workflows"] if "error" not in w])
        return await call_next(ctx)

    def _sync(self, server: MCPServer[Any], workflows: list[dict[str, Any]]) -> None:
        wanted: dict[str, dict[str, Any]] = {}
        for workflow in workflows:  # a saved name shadows a bundled one's
            wanted.setdefault(str(workflow["name"]).lstrip("@"), workflow)
        for name in self._names:
            server.remove_prompt(name)
        for workflow in wanted.values():
            server.add_prompt(_prompt(workflow))
        self._names = set(wanted)


def build_server(service: Service, **auth: Any) -> MCPServer[Any]:
    """The server for ``service`` (``auth``: the SDK's ``auth`` and ``token_verifier``
    for HTTP)."""
    from .. import __version__

    prompts = _SavedPrompts(service)
    server: MCPServer[Any] = MCPServer(
        "flowdsl", title="flowdsl", instructions=INSTRUCTIONS, version=__version__,
        tools=_tools(service), log_level="WARNING", middleware=[prompts],
        warn_on_duplicate_prompts=False, **auth)
    prompts.server = server
    server.add_resource(TextResource(
        uri=GUIDE_URI, name="guide", title="Writing flowdsl workflows",
        description="The script contract: both languages, globals, limits, failures",
        mime_type="text/markdown", text=guide_text()))
    return server
