"""What a run would cost: the simulate backend's agents priced with the real backend's models.

``flowdsl run --dry-run`` (and ``--confirm-over``) executes the workflow on the simulate
backend, which answers every agent with a schema-valid fake and estimates its tokens
from the prompt and the output. :func:`project` then prices each agent as the run's real
backend would send it:

- the model: the call's, else its phase's, else ``--model``/config (the runtime has put
  that choice in ``AgentRequest.model`` already); else, for a shipped backend that honours
  agent types, the agent type's ``model``; then ``[tool.flowdsl.aliases]``. No model at
  all is the backend's own default (the ``claude`` and ``codex`` CLIs have one flowdsl
  cannot see): shown as such, its cost unknown;
- the provider genai-prices is asked for: OpenAI for ``openai`` and ``codex``, Anthropic
  for ``anthropic`` and ``claude``; none for ``module:factory`` backends;
- the price: :func:`flowdsl.backends._prices.response_cost`, so ``[tool.flowdsl.prices]``
  wins over genai-prices, exactly as in a real run. A model without a price is never $0:
  its tokens are counted as unpriced and its cost is unknown (JSON ``null``).

A model name the real backend would refuse — an alias nobody defined
(:mod:`flowdsl.backends._model_names`) — is a problem of the projection: the dry run
says the real run would stop, and exits 2 as the real run would.

With no real backend chosen (none configured, or ``simulate`` itself) the models are
priced as named, at any provider: a workflow whose phases name real models still gets a
figure. The tokens are estimates (real outputs differ in length) and the agent count is
the simulated run's: a script that branches on agents' answers may start more or fewer.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from .._config import Config
from .._options import RunOptions
from .._terminal_text import one_line
from .._types import AgentRecord, JSONValue, RunResult, Usage
from ..backends._agent_types import AgentTypes
from ..backends._model_names import CLAUDE_CLI_ALIASES, model_problem
from ..backends._prices import response_cost
from ..errors import AgentTypeError
from ._cost import format_cost

__all__ = ["PROVIDERS", "DryRunProjection", "ModelProjection", "format_projection", "project"]

PROVIDERS: dict[str, str] = {"openai": "openai", "anthropic": "anthropic",
                             "claude": "anthropic", "codex": "openai"}
"""The genai-prices provider of each shipped backend that talks to one."""

_NO_REAL_BACKEND = (None, "simulate")


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelProjection:
    """The agents of one model: how many, their estimated tokens and their price."""

    model: str | None
    """The name sent (aliases resolved); None: the backend's own default."""
    agents: int
    input_tokens: int
    output_tokens: int
    cost_usd: float | None
    """None when the model has no known price (never $0)."""

    def to_json(self) -> dict[str, JSONValue]:
        return {"model": self.model, "agents": self.agents, "input_tokens": self.input_tokens,
                "output_tokens": self.output_tokens, "cost_usd": self.cost_usd}


@dataclass(frozen=True, slots=True, kw_only=True)
class DryRunProjection:
    """A dry run's agents, tokens and cost, by the model the real backend would use."""

    backend: str | None
    """The real run's backend (None: none configured)."""
    agents: int
    """Agents the simulated run sent (refused ones are not counted)."""
    input_tokens: int
    output_tokens: int
    cost_usd: float | None
    """The cost of the priced models; None when nothing could be priced."""
    cost_complete: bool
    """True when every model was priced, so :attr:`cost_usd` is the whole cost."""
    unpriced_tokens: int
    by_model: tuple[ModelProjection, ...]
    """Most expensive first; unpriced models last."""
    problems: tuple[str, ...] = ()
    """Why the real run would stop before spending this (an alias nobody defined)."""

    @property
    def usage(self) -> Usage:
        """The totals as a :class:`Usage`, for :func:`format_cost`."""
        return Usage(input_tokens=self.input_tokens, output_tokens=self.output_tokens,
                     cost_usd=self.cost_usd or 0.0, estimated=True,
                     unpriced_tokens=self.unpriced_tokens)

    def unpriced_models(self) -> list[str]:
        """Display names of the models without a price."""
        return [_display(m.model, self.backend) for m in self.by_model if m.cost_usd is None]

    def to_json(self) -> dict[str, JSONValue]:
        """``dry_run`` in ``flowdsl run --dry-run --json``."""
        return {"backend": self.backend, "agents": self.agents,
                "input_tokens": self.input_tokens, "output_tokens": self.output_tokens,
                "cost_usd": self.cost_usd, "cost_complete": self.cost_complete,
                "unpriced_tokens": self.unpriced_tokens,
                "by_model": [m.to_json() for m in self.by_model],
                "problems": list(self.problems)}


def project(result: RunResult, options: RunOptions) -> DryRunProjection:
    """Price ``result`` (a simulated run) as the run under ``options`` would spend it.

    Args:
        result: the simulated run; its agents' usage holds the estimated tokens.
        options: the real run's resolved options (backend, model, configuration).

    Raises:
        UsageError: a model alias cycle in the configuration.
    """
    backend = options.backend
    router = _Router(options)
    groups: dict[str | None, list[AgentRecord]] = defaultdict(list)
    named: list[str | None] = [options.model]
    for record in result.agents:
        if record.status != "refused":
            groups[router.model(record)].append(record)
            named.append(router.named(record))
    models = [_price(model, records, options.config, router.provider)
              for model, records in groups.items()]
    models.sort(key=lambda m: (m.cost_usd is None, -(m.cost_usd or 0.0), m.model or ""))
    priced = [m.cost_usd for m in models if m.cost_usd is not None]
    unpriced = sum(m.input_tokens + m.output_tokens for m in models if m.cost_usd is None)
    return DryRunProjection(
        backend=backend, agents=sum(m.agents for m in models),
        input_tokens=sum(m.input_tokens for m in models),
        output_tokens=sum(m.output_tokens for m in models),
        cost_usd=float(sum(priced)) if priced or not unpriced else None,
        cost_complete=not unpriced, unpriced_tokens=unpriced, by_model=tuple(models),
        problems=router.problems(named))


class _Router:
    """The model and provider the real backend would use for each agent."""

    def __init__(self, options: RunOptions) -> None:
        self.options = options
        backend = options.backend
        self.provider = PROVIDERS.get(backend) if backend else None
        # Only the shipped provider backends read agent types (their AgentSetups).
        self.types = (AgentTypes(Path(options.cwd or Path.cwd()), home=Path.home())
                      if backend in PROVIDERS else None)

    def named(self, record: AgentRecord) -> str | None:
        """The model the agent names, before aliases."""
        return record.request.model or self._type_model(record) or self.options.model

    def model(self, record: AgentRecord) -> str | None:
        """The model the real backend would send."""
        return self.options.config.resolve_alias(self.named(record))

    def problems(self, names: list[str | None]) -> tuple[str, ...]:
        """The names the real backend would refuse (checked as it checks them: on the
        provider's own endpoint only, see :mod:`flowdsl.backends._model_names`)."""
        backend = self.options.backend
        if backend not in PROVIDERS or self.options.base_url is not None:
            return ()
        native = CLAUDE_CLI_ALIASES if backend == "claude" else frozenset()
        found = (model_problem(name, self.options.config, provider=self.provider,
                               native=native) for name in dict.fromkeys(names) if name)
        return tuple(problem for problem in found if problem is not None)

    def _type_model(self, record: AgentRecord) -> str | None:
        name = record.request.agent_type
        if self.types is None or not name:
            return None
        try:
            return self.types.get(name).model
        except AgentTypeError:
            return None  # the real run fails that agent; price it as the run's default


def _price(model: str | None, records: list[AgentRecord], config: Config,
           provider: str | None) -> ModelProjection:
    inp = sum(r.usage.input_tokens for r in records)
    out = sum(r.usage.output_tokens for r in records)
    cost = response_cost(config, model, provider, input_tokens=inp, output_tokens=out)
    return ModelProjection(model=model, agents=len(records), input_tokens=inp,
                           output_tokens=out, cost_usd=cost)


def _display(model: str | None, backend: str | None) -> str:
    if model is None:
        return f"(the {backend} backend's default)" if backend else "(no model named)"
    return one_line(model, 80)


def format_projection(projection: DryRunProjection) -> str:
    """The dry-run block of the summary: a header, one line per model, the total."""
    backend = projection.backend
    if backend in _NO_REAL_BACKEND:
        where = ("on simulate, at no cost; priced as if the models named were used"
                 if backend else "once a backend is configured; models priced as named")
    else:
        where = f"on {one_line(str(backend), 80)}"
    agents = f"{projection.agents:,} agent" + (" would" if projection.agents == 1 else "s would")
    lines = [f"dry run: {agents} run {where} "
             "(tokens estimated by the simulate backend; real outputs differ in length)"]
    for m in projection.by_model:
        cost = f"${m.cost_usd:.4f}" if m.cost_usd is not None else "unknown (no price)"
        lines.append(f"  {_display(m.model, backend)}: {_counts(m)}, {cost}")
    total = format_cost(projection.usage, projection.unpriced_models())
    lines.append(f"  total: {_counts(projection)}, {total}")
    lines += [f"  the real run would stop: {one_line(p, 300)}" for p in projection.problems]
    return "\n".join(lines)


def _counts(part: ModelProjection | DryRunProjection) -> str:
    agents = f"{part.agents:,} agent" + ("s" if part.agents != 1 else "")
    return f"{agents}, {part.input_tokens:,} in / {part.output_tokens:,} out"
