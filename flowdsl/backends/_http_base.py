"""The skeleton shared by the HTTP-API backends (``openai``, ``anthropic``).

:class:`APIBackend.run` sets the agent up (:mod:`._agent_setup`: type, tool grant, model,
system prompt, turn limit) and picks its path. An agent whose grant offers any tool runs
the tool-using loop (:mod:`._agent_loop`, on pydantic-ai, in the backend's workspace ``cwd``);
an agent offered none keeps the single-completion path below, where instructor does the
bounded re-asks of a schema agent.

On that path :class:`APIBackend.run` is the error boundary: it starts the per-agent
bookkeeping (:class:`Call`), runs the text or structured path, and translates whatever
escapes into a :class:`~flowdsl.errors.BackendError` carrying the usage spent so far.
:meth:`APIBackend.send` is the single place a request leaves: the retry loop, the usage
count, the budget gate after every response (a "no" refuses the next re-ask) and the
response checks (refusal, a reply cut off or without a finish reason, malformed) all live
there, so the instructor re-ask loop and the text path are accounted and checked identically.

The budget gate travels with the call: the backend's own ``should_continue`` if it was
built with one, else the runtime's ``request.budget_gate``, else no limit.

Subclasses provide the SDK specifics: the client, the raw call, usage extraction, the
response checks, the instructor provider/mode, and the loop's pydantic-ai model on the
same client (:meth:`APIBackend.loop_model`, :meth:`APIBackend.loop_settings`).
:meth:`APIBackend.create` is their ``create_backend``; :func:`resolve_endpoint` finds its
API key and base URL. Building a backend imports its SDK, instructor (:mod:`._preload`) and
pydantic-ai, so no agent call waits for them. The backend is an async context manager the
runtime enters for a run's lifetime: leaving it (:meth:`APIBackend.aclose`) stops the MCP
servers its agents started (:mod:`._mcp`) and closes the HTTP client.
"""

from __future__ import annotations

import importlib
import os
import time
from collections.abc import AsyncGenerator, Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Self, cast

import anyio.lowlevel

from .._config import Config, load_config
from .._types import AgentRequest, AgentResult, BudgetGate, Usage
from ..errors import BackendConfigError, BackendError
from ._agent_setup import AgentSetup, AgentSetups
from ._common import RetryPolicy, with_retries
from ._errors import translate
from ._grants import WEB_TOOLS
from ._model_names import ModelNames
from ._preload import preload
from ._structured import response_model_for, unwrap

__all__ = ["APIBackend", "Call", "resolve_endpoint"]

_NO_KEY = "not-needed"
"""Local compatible servers ignore the key, but the SDKs insist on one."""


@dataclass
class Call:
    """Per-agent bookkeeping shared by the first ask and every re-ask."""

    model: str
    gate: BudgetGate | None = None
    """May this agent spend more? Told the usage after every response; None is no limit."""
    usage: Usage = field(default_factory=Usage)
    requests: int = 0
    allowed: bool = True
    """The gate's answer after the last response: False refuses the next re-ask."""

    def count(self, usage: Usage) -> None:
        """One more response: add its usage and tell the gate (which counts it at once)."""
        self.requests += 1
        self.usage = self.usage + usage
        if self.gate is not None:
            self.allowed = bool(self.gate(self.usage))


# instructor calls :meth:`APIBackend.send` as its ``create``: this is how send finds the
# agent it is asking for (set and read only in this module)
_CALL: ContextVar[Call] = ContextVar("flowdsl_api_call")


def resolve_endpoint(
    provider: str, *, api_key: str | None, base_url: str | None, config: Config,
    default_host: str,
) -> tuple[str, str | None]:
    """The API key and base URL of an HTTP backend: arguments, then config, then environment.

    Args:
        provider: the environment prefix and backend name (``"openai"``, ``"anthropic"``).
        api_key: the key given; else ``<PROVIDER>_API_KEY``; a placeholder when only a base
            URL is set (local servers ignore the key).
        base_url: the URL given; else config ``base_url``, ``FLOWDSL_<PROVIDER>_BASE_URL``,
            ``<PROVIDER>_BASE_URL``; else None (the SDK's default host).
        config: the project configuration.
        default_host: the provider's own host, named in the error message.

    Raises:
        BackendConfigError: neither a key nor a base URL is available; the message lists
            every place to set them.
    """
    prefix = provider.upper()
    url = (base_url or config.base_url or os.environ.get(f"FLOWDSL_{prefix}_BASE_URL")
           or os.environ.get(f"{prefix}_BASE_URL") or None)
    key = api_key or os.environ.get(f"{prefix}_API_KEY")
    if not key and not url:
        raise BackendConfigError(
            f"the {provider} backend is not configured: set {prefix}_API_KEY (for "
            f"{default_host}) or a base URL for a compatible server (--base-url URL, base_url "
            f"in [tool.flowdsl], FLOWDSL_{prefix}_BASE_URL or {prefix}_BASE_URL), and a model "
            "(--model NAME, model in [tool.flowdsl], or opts.model per agent)"
        )
    return key or _NO_KEY, url


async def _closer(client: Any) -> AsyncGenerator[None, None]:
    """Parked after one step; closing it (explicitly or at loop shutdown) closes the client."""
    try:
        yield
    finally:
        with anyio.CancelScope(shield=True):
            await client.close()


class APIBackend:
    """Base of the SDK backends; one client per event loop, closed by :meth:`aclose`."""

    name: ClassVar[str] = "api"
    """The backend's name, also the prefix of its environment variables (``OPENAI_...``)."""
    default_host: ClassVar[str] = ""
    """The provider's own host (the SDK's default), named when nothing is configured."""
    instructor_provider: ClassVar[str] = "openai"
    instructor_mode: str = "TOOLS"
    sdk: ClassVar[str] = "openai"
    """The provider's SDK package, imported when the backend is built (see :mod:`._preload`)."""
    sdk_warmups: ClassVar[tuple[str, ...]] = ()
    """SDK modules first imported inside a call; imported when the backend is built too."""
    loop_modules: ClassVar[tuple[str, ...]] = ()
    """pydantic-ai's modules for the provider's loop model, imported when the backend is built."""

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str | None,
        model: str | None,
        config: Config,
        should_continue: BudgetGate | None = None,
        cwd: str | Path | None = None,
    ) -> None:
        self.api_key = api_key
        self.base_url = base_url
        self.model = model
        self.config = config
        self.should_continue = should_continue
        self.policy = RetryPolicy.from_config(config)
        self.workspace = Path(cwd if cwd is not None else Path.cwd()).resolve()
        """Where agents work: their tools are confined to it; agent types and ``.mcp.json``
        are found in it."""
        self.setups = AgentSetups(self.workspace, config, default_model=model, home=Path.home(),
                                  names=self.model_names)
        self._client: Any = None
        self._loop: object = None
        self._patched: Any = None
        self._closer: AsyncGenerator[None, None] | None = None
        preload(self.name, self.sdk, self.instructor_provider, self.sdk_warmups)
        _import_loop(self.name, self.loop_modules)
        from ._loop_tools import WorkspaceTools, workspace
        from ._mcp import McpServers, preload_client

        store = Path(config.run_defaults()["store"] or ".flowdsl")
        self.workspace_tools = WorkspaceTools(workspace(self.workspace, store),
                                              bash_timeout=config.bash_timeout)
        """The agents' workspace tools (the run store, if inside, may not be written)."""
        self.mcp = McpServers(self.workspace, config)
        if self.mcp.configured():
            preload_client()

    @classmethod
    def create(
        cls,
        *,
        model: str | None = None,
        base_url: str | None = None,
        api_key: str | None = None,
        config: Config | None = None,
        should_continue: BudgetGate | None = None,
        cwd: str | Path | None = None,
        **options: Any,
    ) -> Self:
        """Build the backend from arguments, then config, then the environment.

        Args:
            model: default model (``--model``); aliases are resolved through ``config``.
            base_url: ``--base-url``; else ``base_url`` in config, ``FLOWDSL_<NAME>_BASE_URL``,
                ``<NAME>_BASE_URL``; else the provider's own host.
            api_key: else ``<NAME>_API_KEY``; optional when a base URL is set.
            config: the project configuration (default: :func:`load_config` from the cwd).
            should_continue: budget hook; called with this agent's usage so far after every
                response, False stops the agent (no more re-asks or model turns). It takes
                the place of the runtime's ``request.budget_gate``; without either, an agent
                is limited only by ``reasks`` and ``max_turns``.
            cwd: the workspace agents work in (default: the current directory now);
                ``config`` is loaded from there when not given.
            **options: the backend's own keywords (openai: ``mode``).

        Raises:
            BackendConfigError: neither an API key nor a base URL is available, an option
                is invalid, or the SDK is not installed.
        """
        config = config if config is not None else load_config(cwd)
        key, url = resolve_endpoint(cls.name, api_key=api_key, base_url=base_url,
                                    config=config, default_host=cls.default_host)
        return cls(api_key=key, base_url=url, model=config.resolve_alias(model or config.model),
                   config=config, should_continue=should_continue, cwd=cwd, **options)

    def _workspace_tools(self, request: AgentRequest) -> Any:
        """The tools of the request's workspace: the backend's own, or those of the
        worktree an isolated agent works in."""
        if request.workspace is None or Path(request.workspace) == self.workspace:
            return self.workspace_tools
        from ._loop_tools import WorkspaceTools, workspace

        return WorkspaceTools(workspace(Path(request.workspace), None),
                              bash_timeout=self.config.bash_timeout)

    @property
    def model_names(self) -> ModelNames | None:
        """How model names are judged: by the provider's catalogue on its own host; a custom
        ``base_url`` serves names of its own (its 404 says when one is unknown)."""
        own = self.base_url is None or self.default_host in self.base_url
        return ModelNames(self.sdk) if own else None

    def check_models(self, names: Iterable[tuple[str, str]]) -> None:
        """Check the run's model names (``--model``, phases) before any agent runs.

        Raises:
            BackendConfigError: a name is an alias nobody defined.
        """
        if self.model_names is not None:
            self.model_names.check(names, self.config)

    # -- subclass hooks ------------------------------------------------------------------------
    def new_client(self) -> Any:
        raise NotImplementedError

    async def call_api(self, client: Any, kwargs: dict[str, Any]) -> Any:
        raise NotImplementedError

    def usage_of(self, response: Any, kwargs: dict[str, Any], model: str) -> Usage:
        raise NotImplementedError

    def check(self, response: Any) -> None:
        """Raise :class:`~flowdsl.errors.BackendError` for refusals, malformed responses and
        replies cut off at the output limit or ended without a finish reason."""

    async def text(self, request: AgentRequest, model: str, system: str) -> str:
        raise NotImplementedError

    def structured_kwargs(self, request: AgentRequest, model: str,
                          system: str) -> dict[str, Any]:
        raise NotImplementedError

    def loop_model(self, client: Any, model_name: str) -> Any:
        """The pydantic-ai model of the tool-using loop, built on ``client`` (ours)."""
        raise NotImplementedError

    def loop_settings(self, request: AgentRequest) -> dict[str, Any]:
        """pydantic-ai model settings for one agent's loop (effort and the like)."""
        return {}

    # -- client lifecycle ----------------------------------------------------------------------
    async def client(self) -> Any:
        """The client bound to the running event loop (a new loop gets a new client).

        A client holds sockets of the loop it was used in, so it must be closed *in* that
        loop. The runtime never has to: a parked async generator is registered with the
        loop, and every event loop (asyncio ``shutdown_asyncgens``, trio) finalizes async
        generators before it closes - running :func:`_closer`'s ``finally``.
        """
        loop = anyio.lowlevel.current_token().native_token
        if self._client is None or self._loop is not loop:
            self._client = self.new_client()
            self._loop = loop
            self._patched = None
            self._closer = _closer(self._client)
            await self._closer.__anext__()
        return self._client

    async def aclose(self) -> None:
        """Stop the MCP servers and close the HTTP client now; the backend stays usable (a
        later call opens a new client and starts the servers it needs again)."""
        await self.mcp.aclose()
        closer, self._closer = self._closer, None
        self._client = self._patched = None
        if closer is not None:
            await closer.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- the protocol --------------------------------------------------------------------------
    async def run(self, request: AgentRequest) -> AgentResult:
        setup = self.setups.setup(request)  # AgentTypeError propagates untranslated
        model = setup.model
        if not model:
            raise BackendConfigError(
                f"no model for the {self.name} backend: pass --model, set model in "
                "[tool.flowdsl], or give the agent opts.model"
            )
        if request.schema is not None:
            response_model_for(request.schema)  # SchemaError propagates untranslated
        gate = self.should_continue or request.budget_gate
        system = setup.system_prompt
        grant = setup.grant
        if grant.workspace_tools or grant.mcp or grant.tools & frozenset(WEB_TOOLS):
            result = await self._with_tools(request, setup, model, gate)
            if isinstance(result, AgentResult):
                return result
            system = result  # nothing could be offered after all: say so, answer without
        return await self._single(request, model, system, gate)

    async def _with_tools(self, request: AgentRequest, setup: AgentSetup, model: str,
                          gate: BudgetGate | None) -> AgentResult | str:
        """The loop's result; or, when no tool can be offered, the system prompt to answer
        without one."""
        started = time.monotonic()  # the agent's tool calls are timed from here
        from ._agent_loop import LoopRun, Tally, offered_tools, run_loop
        from ._loop_model import LoopModel

        try:
            loop_model = LoopModel(self.loop_model(await self.client(), model),
                                   policy=self.policy, config=self.config, model_name=model,
                                   tally=Tally(), provider=self.sdk)  # openai | anthropic
            tools = await offered_tools(setup, model=loop_model,
                                        workspace=self._workspace_tools(request),
                                        mcp=self.mcp)
        except Exception as exc:
            raise translate(exc) from exc
        if tools.empty:
            return tools.system_prompt
        run = LoopRun(prompt=request.prompt, schema=request.schema, max_turns=setup.max_turns,
                      reasks=self.config.reasks, gate=gate,
                      settings=cast(Any, self.loop_settings(request)) or None,
                      started=started)
        return await run_loop(loop_model, run, tools)

    async def _single(self, request: AgentRequest, model: str, system: str,
                      gate: BudgetGate | None) -> AgentResult:
        """One completion (a text agent), or instructor's bounded re-asks (a schema agent)."""
        call = Call(model=model, gate=gate)
        token = _CALL.set(call)
        try:
            if request.schema is None:
                output: Any = await self.text(request, model, system)
            else:
                output = await self._structured(request, model, system)
        except Exception as exc:
            raise translate(exc, call.usage) from exc
        finally:
            _CALL.reset(token)
        return AgentResult(output=output, usage=call.usage)

    async def _structured(self, request: AgentRequest, model: str, system: str) -> Any:
        assert request.schema is not None
        patched = await self._instructor()
        parsed = await patched(
            response_model=response_model_for(request.schema),
            max_retries=self.config.reasks,
            **self.structured_kwargs(request, model, system),
        )
        return unwrap(parsed)

    async def _instructor(self) -> Any:
        await self.client()
        if self._patched is None:
            import instructor

            self._patched = instructor.patch(
                create=self.send,
                mode=getattr(instructor.Mode, self.instructor_mode),
                provider=instructor.Provider(self.instructor_provider),
            )
        return self._patched

    async def send(self, **kwargs: Any) -> Any:
        """One logical request (retried on transient errors); every response is counted and
        told to the budget gate, whose "no" refuses the next re-ask."""
        call = _CALL.get()
        if call.requests and not call.allowed:
            raise BackendError("stopped: the run's token budget was reached after "
                               f"{call.requests} request(s) with invalid structured output")
        client = await self.client()
        response = await with_retries(lambda: self.call_api(client, kwargs), self.policy)
        call.count(self.usage_of(response, kwargs, call.model))
        self.check(response)
        return response


def _import_loop(backend: str, modules: tuple[str, ...]) -> None:
    """Import the agent loop and pydantic-ai now (seconds), not in the first agent."""
    try:
        for module in ("flowdsl.backends._agent_loop", *modules):
            importlib.import_module(module)
    except ImportError as exc:
        raise BackendConfigError(
            f"the {backend} backend needs the {exc.name or 'pydantic_ai'!r} package: "
            f"pip install 'flowdsl[{backend}]'"
        ) from exc
