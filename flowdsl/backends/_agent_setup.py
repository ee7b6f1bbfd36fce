"""Everything a backend decides about one agent before it runs: type, tools, model, prompt.

Every backend that honours agent types (``openai``, ``anthropic``, ``claude``, ``codex``)
goes through :meth:`AgentSetups.setup`, so one definition drives them all.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .._config import Config
from .._types import AgentRequest
from ._agent_types import AgentType, AgentTypes
from ._grants import ToolGrant, grant_for
from ._model_names import ModelNames

__all__ = ["AgentSetup", "AgentSetups", "context_line"]


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentSetup:
    """How one agent runs."""

    agent_type: AgentType | None
    grant: ToolGrant
    model: str | None
    """The call's model, else the type's, else the backend's default (aliases resolved)."""
    system_prompt: str
    """The context line, then the type's prompt."""
    max_turns: int


def context_line(request: AgentRequest) -> str:
    """One sentence placing the agent in its workflow (label and phase)."""
    parts = []
    if request.phase:
        parts.append(f"phase {request.phase!r}")
    if request.label:
        parts.append(f"task {request.label!r}")
    where = " of a flowdsl workflow"
    if parts:
        where += f" ({', '.join(parts)})"
    return f"You are one subagent{where}. Do the task below and reply with the final result only."


class AgentSetups:
    """The setups of one backend's agents: its workspace, configuration and default model.

    Args:
        workspace: the directory agents work in (their tools are confined to it).
        config: the project configuration (default tools, ``bash_allow``, ``max_turns``,
            aliases).
        default_model: the backend's model when neither the call nor the type names one.
        home: where ``~/.claude/agents`` is looked for; None: nowhere.
        names: judges each call's model name (an undefined alias is a
            ``BackendConfigError``); None: names are sent as they are.
    """

    def __init__(self, workspace: Path, config: Config, *, default_model: str | None = None,
                 home: Path | None = None, names: ModelNames | None = None) -> None:
        self.workspace = workspace.resolve()
        self.config = config
        self.default_model = default_model
        self.names = names
        self.types = AgentTypes(self.workspace, home=home)

    def setup(self, request: AgentRequest) -> AgentSetup:
        """The setup of ``request``.

        Raises:
            AgentTypeError: the agent type is unknown or its tool list is unusable.
            BackendConfigError: the model is an alias nobody defined.
        """
        agent_type = self.types.get(request.agent_type) if request.agent_type else None
        grant = grant_for(agent_type, self.config)
        model = (request.model or (agent_type.model if agent_type else None)
                 or self.default_model)
        if self.names is not None and model:
            who = f"agent {request.label!r}" if request.label else "agent()"
            self.names.check([(model, who)], self.config)
        prompt = context_line(request)
        if agent_type is not None and agent_type.prompt:
            prompt += "\n\n" + agent_type.prompt
        return AgentSetup(
            agent_type=agent_type, grant=grant, model=self.config.resolve_alias(model),
            system_prompt=prompt, max_turns=request.max_turns or self.config.max_turns,
        )
