"""The limits one run enforces, in one frozen object."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Limits"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Limits:
    """Concurrency, caps, budget and timeouts of a run.

    ``budget`` counts real input + output tokens; ``None`` means unlimited.
    ``run_timeout`` is the wall-clock limit of the whole run; ``None`` means none.
    """

    concurrency: int = 16
    max_agents: int = 1000
    max_items: int = 4096
    budget: int | None = None
    agent_timeout: float = 600.0
    run_timeout: float | None = None

    def __post_init__(self) -> None:
        from ..errors import UsageError

        if self.concurrency < 1:
            raise UsageError(f"concurrency must be at least 1 (got {self.concurrency})")
        if self.max_agents < 0:
            raise UsageError(f"max_agents must be >= 0 (got {self.max_agents})")
        if self.budget is not None and self.budget < 0:
            raise UsageError(f"budget must be >= 0 tokens (got {self.budget})")
        if self.agent_timeout <= 0:
            raise UsageError(f"agent timeout must be > 0 seconds (got {self.agent_timeout})")
        if self.run_timeout is not None and self.run_timeout <= 0:
            raise UsageError(f"run timeout must be > 0 seconds (got {self.run_timeout})")
