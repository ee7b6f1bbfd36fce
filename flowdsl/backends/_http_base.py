"""The skeleton shared by the HTTP-API backends (``openai``, ``anthropic``).

:class:`APIBackend.run` is the error boundary: it resolves the model, starts the per-agent
bookkeeping (:class:`Call`), runs the text or structured path, and translates whatever
escapes into a :class:`~flowdsl.errors.BackendError` carrying the usage spent so far.
:meth:`APIBackend.send` is the single place a request leaves: the budget gate before a
re-ask, the retry loop, the usage count and the refusal/malformed checks all live there,
so the instructor re-ask loop and the text path are accounted identically.

The budget gate travels with the call: the backend's own ``should_continue`` if it was
built with one, else the runtime's ``request.budget_gate``, else no limit.

Subclasses provide the SDK specifics: the client, the raw call, usage extraction, the
response checks, and the instructor provider/mode. :meth:`APIBackend.create` is their
``create_backend``; :func:`resolve_endpoint` finds its API key and base URL.
"""

from __future__ import annotations

import os
from collections.abc import AsyncGenerator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

import anyio.lowlevel

from .._config import Config, load_config
from .._types import AgentRequest, AgentResult, BudgetGate, Usage
from ..errors import BackendConfigError, BackendError
from ._common import RetryPolicy, with_retries
from ._errors import translate
from ._structured import response_model_for, unwrap

__all__ = ["APIBackend", "Call", "resolve_endpoint"]

_NO_KEY = "not-needed"
"""Local compatible servers ignore the key, but the SDKs insist on one."""


@dataclass
class Call:
    """Per-agent bookkeeping shared by the first ask and every re-ask."""

    model: str
    gate: BudgetGate | None = None
    """May this agent spend more? Asked before every re-ask; None is no limit."""
    usage: Usage = field(default_factory=Usage)
    requests: int = 0

    def may_reask(self) -> bool:
        return self.gate is None or bool(self.gate(self.usage))


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

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str | None,
        model: str | None,
        config: Config,
        should_continue: BudgetGate | None = None,
    ) -> None:
        self.api_key = api_key
        self.base_url = base_url
        self.model = model
        self.config = config
        self.should_continue = should_continue
        self.policy = RetryPolicy.from_config(config)
        self._client: Any = None
        self._loop: object = None
        self._patched: Any = None
        self._closer: AsyncGenerator[None, None] | None = None

    @classmethod
    def create(
        cls,
        *,
        model: str | None = None,
        base_url: str | None = None,
        api_key: str | None = None,
        config: Config | None = None,
        should_continue: BudgetGate | None = None,
        **options: Any,
    ) -> Self:
        """Build the backend from arguments, then config, then the environment.

        Args:
            model: default model (``--model``); aliases are resolved through ``config``.
            base_url: ``--base-url``; else ``base_url`` in config, ``FLOWDSL_<NAME>_BASE_URL``,
                ``<NAME>_BASE_URL``; else the provider's own host.
            api_key: else ``<NAME>_API_KEY``; optional when a base URL is set.
            config: the project configuration (default: :func:`load_config` from the cwd).
            should_continue: budget hook; called with this agent's usage so far before each
                re-ask, False stops the re-asks. It takes the place of the runtime's
                ``request.budget_gate``; without either, re-asks are limited only by
                ``reasks``.
            **options: the backend's own keywords (openai: ``mode``).

        Raises:
            BackendConfigError: neither an API key nor a base URL is available, or an
                option is invalid.
        """
        config = config if config is not None else load_config()
        key, url = resolve_endpoint(cls.name, api_key=api_key, base_url=base_url,
                                    config=config, default_host=cls.default_host)
        return cls(api_key=key, base_url=url, model=config.resolve_alias(model or config.model),
                   config=config, should_continue=should_continue, **options)

    # -- subclass hooks ------------------------------------------------------------------------
    def new_client(self) -> Any:
        raise NotImplementedError

    async def call_api(self, client: Any, kwargs: dict[str, Any]) -> Any:
        raise NotImplementedError

    def usage_of(self, response: Any, kwargs: dict[str, Any], model: str) -> Usage:
        raise NotImplementedError

    def check(self, response: Any) -> None:
        """Raise :class:`~flowdsl.errors.BackendError` for refusals and malformed responses."""

    async def text(self, request: AgentRequest, model: str) -> str:
        raise NotImplementedError

    def structured_kwargs(self, request: AgentRequest, model: str) -> dict[str, Any]:
        raise NotImplementedError

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
        """Close the HTTP client now; the backend stays usable (a later call opens a new one)."""
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
        model = self.config.resolve_alias(request.model) or self.model
        if not model:
            raise BackendConfigError(
                f"no model for the {self.name} backend: pass --model, set model in "
                "[tool.flowdsl], or give the agent opts.model"
            )
        if request.schema is not None:
            response_model_for(request.schema)  # SchemaError propagates untranslated
        call = Call(model=model, gate=self.should_continue or request.budget_gate)
        token = _CALL.set(call)
        try:
            if request.schema is None:
                output: Any = await self.text(request, model)
            else:
                output = await self._structured(request, model)
        except Exception as exc:
            raise translate(exc, call.usage) from exc
        finally:
            _CALL.reset(token)
        return AgentResult(output=output, usage=call.usage)

    async def _structured(self, request: AgentRequest, model: str) -> Any:
        assert request.schema is not None
        patched = await self._instructor()
        parsed = await patched(
            response_model=response_model_for(request.schema),
            max_retries=self.config.reasks,
            **self.structured_kwargs(request, model),
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
        """One logical request (retried on transient errors); every response is counted."""
        call = _CALL.get()
        if call.requests and not call.may_reask():
            raise BackendError(f"re-ask stopped by the budget after {call.requests} request(s) "
                               "with invalid structured output")
        client = await self.client()
        response = await with_retries(lambda: self.call_api(client, kwargs), self.policy)
        call.requests += 1
        call.usage = call.usage + self.usage_of(response, kwargs, call.model)
        self.check(response)
        return response
