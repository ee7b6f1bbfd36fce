"""The tool-using agent loop of the API backends (``openai``, ``anthropic``), on pydantic-ai.

One agent is one ``pydantic_ai.Agent`` run, driven node by node with ``Agent.iter``:

- the model is a :class:`._loop_model.LoopModel` over the provider model pydantic-ai builds
  on the backend's own SDK client: our retry policy, our usage count (one :class:`Tally`
  per agent), our checks of every response;
- the tools are the granted workspace tools (:mod:`._loop_tools`), the granted tools of the
  reached MCP servers (:mod:`._mcp`) and, where the provider model runs it, its own web
  search / web fetch (pydantic-ai native tools: the provider fetches, never flowdsl's
  process). What the grant asks for but this run cannot offer is said plainly in the
  system prompt ("You have no web access in this run"), so the model says so instead of
  pretending;
- a schema agent answers through the output tool of :mod:`._loop_output` (jsonschema the
  only judge, ``reasks`` re-asks); a text agent's answer is its final text.

Before each model request the turn limit is checked (``max_turns`` model requests at most,
then "stopped at max_turns=N without a final answer"); after each model response the
runtime's budget gate is told the agent's usage so far, and a "no" stops the agent at
once. Every failure - ours, pydantic-ai's, the SDK's - leaves as a
:class:`~flowdsl.errors.BackendError` carrying the usage and the tool calls so far.
Cancellation (the per-agent timeout) is never caught: it cancels the HTTP request in
flight and the running tools (bash ends its process group).

pydantic-ai runs tool calls in asyncio tasks (and FastMCP its sessions): the loop needs
anyio's asyncio backend.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic_ai import Agent, capture_run_messages
from pydantic_ai.capabilities import AbstractCapability, NativeTool
from pydantic_ai.exceptions import UnexpectedModelBehavior
from pydantic_ai.messages import ModelMessage, ModelRequest, ModelResponse, ToolCallPart
from pydantic_ai.models import Model
from pydantic_ai.native_tools import AbstractNativeTool, WebFetchTool, WebSearchTool
from pydantic_ai.settings import ModelSettings
from pydantic_ai.toolsets import AbstractToolset
from pydantic_ai.usage import UsageLimits

from .._types import AgentResult, BudgetGate, JSONValue
from ..errors import BackendError
from ._agent_setup import AgentSetup
from ._errors import translate
from ._loop_model import LoopModel, Tally
from ._loop_output import SchemaOutput
from ._loop_record import tool_calls
from ._loop_timing import ToolClock
from ._loop_tools import WorkspaceTools
from ._mcp import McpServers

__all__ = ["LoopRun", "LoopTools", "Tally", "offered_tools", "run_loop"]

_WEB = {"web_search": ("web search", WebSearchTool), "web_fetch": ("web fetch", WebFetchTool)}


@dataclass(frozen=True, slots=True, kw_only=True)
class LoopTools:
    """What one agent is offered, and the system prompt that says what it is not."""

    toolsets: tuple[AbstractToolset[None], ...] = ()
    native: tuple[AbstractNativeTool, ...] = ()
    system_prompt: str = ""

    @property
    def empty(self) -> bool:
        """No tool at all: the single-completion path serves the agent."""
        return not self.toolsets and not self.native


@dataclass(frozen=True, slots=True, kw_only=True)
class LoopRun:
    """One agent's task and limits."""

    prompt: str
    schema: dict[str, JSONValue] | None = None
    max_turns: int = 30
    reasks: int = 2
    gate: BudgetGate | None = None
    """The runtime's budget gate (None: no limit), told the usage after every response."""
    settings: ModelSettings | None = None
    started: float | None = None
    """When the agent started, on the ``time.monotonic()`` clock (None: when the loop
    starts): its tool calls are timed from then."""


async def offered_tools(setup: AgentSetup, *, model: Model, workspace: WorkspaceTools,
                        mcp: McpServers) -> LoopTools:
    """The tools ``setup``'s grant offers with ``model``; starts the MCP servers it reaches.

    Raises:
        BackendConfigError: a reached MCP server is configured nowhere, misconfigured, or
            cannot start.
    """
    grant = setup.grant
    toolsets: list[AbstractToolset[None]] = []
    if grant.workspace_tools:
        toolsets.append(workspace.toolset(grant))
    toolsets += await mcp.toolsets(grant)
    supported = model.profile.get("supported_native_tools", frozenset())
    native = [kind() for name, (_, kind) in _WEB.items()
              if name in grant.tools and kind in supported]
    note = _web_note(grant.tools, supported)
    prompt = f"{setup.system_prompt}\n\n{note}" if note else setup.system_prompt
    return LoopTools(toolsets=tuple(toolsets), native=tuple(native), system_prompt=prompt)


def _web_note(granted: frozenset[str], supported: Any) -> str:
    asked = [name for name in _WEB if name in granted]
    missing = [_WEB[name][0] for name in asked if _WEB[name][1] not in supported]
    if not missing:
        return ""
    names = " and ".join(missing) + (" is" if len(missing) == 1 else " are")
    if len(missing) == len(asked):
        return (f"You have no web access in this run: {names} not available. Where the task "
                "needs the web, say so instead of guessing.")
    return f"{names.capitalize()} not available in this run."


async def run_loop(model: LoopModel, run: LoopRun, tools: LoopTools) -> AgentResult:
    """Run one agent to its final answer.

    Raises:
        BackendError: the agent failed or was stopped (usage and tool calls attached).
    """
    output = SchemaOutput(run.schema, run.reasks) if run.schema is not None else None
    clock = ToolClock(run.started)
    capabilities: list[AbstractCapability[None]] = [NativeTool(t) for t in tools.native]
    if output is not None:
        capabilities.append(output.capability)
    agent = Agent[None, Any](
        model, output_type=output.output_type if output is not None else str,
        instructions=tools.system_prompt, toolsets=[clock.wrap(t) for t in tools.toolsets],
        capabilities=capabilities, model_settings=run.settings,
        retries={"tools": max(run.max_turns, 1), "output": run.reasks})
    if output is not None:
        agent.output_validator(output.judge)
    tally = model.tally
    output_tool = output.name if output is not None else None
    with capture_run_messages() as messages:
        try:
            data = await _drive(agent, run, tally, output_tool)
        except Exception as exc:
            raise _failed(exc, tally, messages, output, clock) from exc
    return AgentResult(output=output.value(data) if output is not None else data,
                       usage=tally.usage, tool_calls=tool_calls(messages, output_tool, clock))


async def _drive(agent: Agent[None, Any], run: LoopRun, tally: Tally,
                 output_tool: str | None) -> Any:
    """The run, node by node: the turn limit before each request, the gate after each
    response.

    A response that asks for tools after the gate said no stops the agent before the tools
    run; a final answer the gate refused is paid for and kept (only a re-ask of an
    invalid one would need another request, and that is refused).
    """
    refused = False
    async with agent.iter(run.prompt, usage_limits=UsageLimits(request_limit=None)) as steps:
        async for node in steps:
            if Agent.is_model_request_node(node):
                if refused:
                    raise _Stopped(_budget_stop(tally), node.request)
                if tally.turns >= run.max_turns:
                    raise _Stopped(f"stopped at max_turns={run.max_turns} without a final "
                                   "answer", node.request)
            if (Agent.is_call_tools_node(node) and run.gate is not None
                    and not run.gate(tally.usage)):
                if _asks_for_tools(node.model_response, output_tool):
                    raise BackendError(_budget_stop(tally))
                refused = True
    assert steps.result is not None
    return steps.result.output


def _budget_stop(tally: Tally) -> str:
    return f"stopped: the run's token budget was reached after {tally.turns} model turn(s)"


def _asks_for_tools(response: ModelResponse, output_tool: str | None) -> bool:
    return any(isinstance(part, ToolCallPart) and part.tool_name != output_tool
               for part in response.parts)


class _Stopped(BackendError):
    """Stopped before a model request; ``pending`` answers the tool calls already run."""

    def __init__(self, message: str, pending: ModelRequest) -> None:
        super().__init__(message)
        self.pending = pending


def _failed(exc: Exception, tally: Tally, messages: Sequence[ModelMessage],
            output: SchemaOutput | None, clock: ToolClock | None = None) -> BackendError:
    seen = list(messages)
    if isinstance(exc, _Stopped):
        seen.append(exc.pending)
        exc = BackendError(str(exc))
    if (output is not None and isinstance(exc, UnexpectedModelBehavior)
            and "output retries" in str(exc)):
        exc = output.exhausted()
    error = translate(exc, tally.usage)
    error.tool_calls = tool_calls(seen, output.name if output is not None else None, clock)
    return error
