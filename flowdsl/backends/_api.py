"""The skeleton shared by the HTTP-API backends (``openai``, ``anthropic``).

:class:`APIBackend.run` is the error boundary: it resolves the model, starts the per-agent
bookkeeping (:class:`Call`), runs the text or structured path, and translates whatever
escapes - attaching the usage spent so far as ``error.usage``. :meth:`APIBackend.send` is
the single place a request leaves: the budget gate before a re-ask, the retry loop, the
usage count and the refusal/malformed checks all live there, so the instructor re-ask
loop and the text path are accounted identically.

Subclasses provide the SDK specifics: the client, the raw call, usage extraction, the
response checks, and the instructor provider/mode.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

import anyio.lowlevel

from .._config import Config
from .._types import AgentRequest, AgentResult, Usage
from ..errors import BackendConfigError
from ._common import RetryPolicy, fail, may_reask, with_retries
from ._errors import translate
from ._structured import response_model_for, unwrap

__all__ = ["APIBackend", "Call"]


@dataclass
class Call:
    """Per-agent bookkeeping shared by the first ask and every re-ask."""

    model: str
    usage: Usage = field(default_factory=Usage)
    requests: int = 0


_CALL: ContextVar[Call] = ContextVar("flowdsl_api_call")


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
    instructor_provider: ClassVar[str] = "openai"
    instructor_mode: str = "TOOLS"

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str | None,
        model: str | None,
        config: Config,
        should_continue: Callable[[Usage], bool] | None = None,
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

    # -- subclass hooks ------------------------------------------------------------------------
    def new_client(self) -> Any:
        raise NotImplementedError

    async def call_api(self, client: Any, kwargs: dict[str, Any]) -> Any:
        raise NotImplementedError

    def usage_of(self, response: Any, kwargs: dict[str, Any], model: str) -> Usage:
        raise NotImplementedError

    def check(self, response: Any) -> None:
        """Raise (via :func:`fail`) for refusals and malformed responses."""

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
        call = Call(model=model)
        token = _CALL.set(call)
        try:
            if request.schema is None:
                output: Any = await self.text(request, model)
            else:
                output = await self._structured(request, model)
        except Exception as exc:
            error = translate(exc)
            error.usage = call.usage  # type: ignore[attr-defined]
            raise error from exc
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
        if call.requests and not may_reask(call.usage, self.should_continue):
            raise fail(f"re-ask stopped by the budget after {call.requests} request(s) "
                       "with invalid structured output")
        client = await self.client()
        response = await with_retries(lambda: self.call_api(client, kwargs), self.policy)
        call.requests += 1
        call.usage = call.usage + self.usage_of(response, kwargs, call.model)
        self.check(response)
        return response
