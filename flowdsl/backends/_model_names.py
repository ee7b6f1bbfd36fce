"""A model name that can only be an alias nobody defined is an error before it is sent.

Scripts name models by role — Claude Code's ``"opus"``/``"sonnet"``, a phase's ``"smart"``
— and the project maps the roles to real names in ``[tool.flowdsl.aliases]``. A role
left unmapped would go to the endpoint as a literal model name and fail every agent
(or, worse, hit a model of that name); :func:`model_problem` catches it first.

A name is refused when, after the aliases, it is empty, or it is one bare word (letters
only: every real model id has a digit, a dash or a dot — ``o3``, ``gpt-4.1``,
``claude-sonnet-4-5``, ``mistral-large-latest``) that the backend does not take natively
(the ``claude`` CLI's own aliases) and genai-prices does not know as a model. The rule
holds for the providers' own endpoints only: a server at a custom ``base_url`` (Ollama,
vLLM) has bare-word models of its own (``mistral``), and names it does not serve come
back as a 404, which ends the run as a configuration error at its first agent.

The run checks ``--model`` and the phases' models before any agent runs
(:meth:`ModelNames.check`); every backend checks the model of each call (an
``agent(model=...)``) through :class:`._agent_setup.AgentSetups`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .._config import Config
from ..errors import BackendConfigError
from ._prices import known_model

__all__ = ["CLAUDE_CLI_ALIASES", "ModelNames", "model_problem"]

CLAUDE_CLI_ALIASES = frozenset({"default", "best", "opus", "sonnet", "haiku", "opusplan"})
"""Model names the ``claude`` CLI resolves itself (``--model opus``)."""

_BARE_WORD = re.compile(r"[A-Za-z]+")


def model_problem(name: str, config: Config, *, provider: str | None,
                  native: frozenset[str] = frozenset()) -> str | None:
    """Why ``name`` cannot be sent as a model, or None when it can.

    Args:
        name: the model a call, a phase or ``--model`` names (before aliases).
        config: holds the aliases (``UsageError`` on an alias cycle).
        provider: the backend's genai-prices provider id, to recognise real names.
        native: names the backend resolves itself.
    """
    resolved = config.resolve_alias(name)
    if not resolved or not resolved.strip():
        return f"model alias {name!r} resolves to nothing (an empty name in the aliases)"
    if (not _BARE_WORD.fullmatch(resolved) or resolved in native
            or known_model(resolved, provider)):
        return None
    via = f"{name!r} (an alias of {resolved!r})" if resolved != name else repr(name)
    return (f"model {via} is an alias nobody defined: map it to a real model name in the "
            f'aliases table of the configuration ({resolved} = "...")')


@dataclass(frozen=True, slots=True)
class ModelNames:
    """How one backend judges model names: its provider and the names it takes natively."""

    provider: str | None
    native: frozenset[str] = frozenset()

    def check(self, names: Iterable[tuple[str, str]], config: Config) -> None:
        """Check ``(name, where)`` pairs; ``where`` says who named it (``phase 'Review'``).

        Raises:
            BackendConfigError: the first name that cannot be sent.
        """
        for name, where in names:
            problem = model_problem(name, config, provider=self.provider, native=self.native)
            if problem is not None:
                raise BackendConfigError(f"{where}: {problem}")
