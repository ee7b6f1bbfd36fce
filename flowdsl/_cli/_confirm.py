"""``flowdsl run --confirm-over USD``: ask before launching a run projected to cost more.

The projection is a dry run's (:mod:`._dry_run`). It is over the threshold when its known
cost exceeds it, and also when it cannot be confirmed under it: some model has no price,
or the simulated run ended before the script finished (only the agents it reached are
counted). Then, on a terminal, the projection is shown and the user answers on stdin
(``y``/``yes`` runs, anything else does not); off a terminal (scripts, CI) nobody can
answer, so the run is refused without asking - a policy, not a failure to read.
"""

from __future__ import annotations

import sys
from typing import TextIO

from ._cost import format_cost
from ._dry_run import DryRunProjection, format_projection

__all__ = ["confirm_cost", "format_usd"]


def format_usd(amount: float) -> str:
    """``$5.00``, ``$0.50``; more decimals when cents would hide the figure (``$0.0025``)."""
    return f"${amount:,.2f}" if round(amount, 2) == amount else f"${amount:,.4f}"


def confirm_cost(projection: DryRunProjection, limit: float, *, finished: bool = True,
                 stdin: TextIO | None = None, stderr: TextIO | None = None) -> str | None:
    """Whether a run projected as ``projection`` may start under ``--confirm-over limit``.

    Args:
        projection: the dry run's projection.
        limit: the threshold in USD.
        finished: False when the simulated run did not complete (the projection is a
            lower bound).
        stdin: where the answer is read, and whose ``isatty()`` says whether anyone can
            answer (default: ``sys.stdin`` at call time).
        stderr: where the projection and the question go (default: ``sys.stderr``).

    Returns:
        None to start the run; otherwise why not, in one line.
    """
    stdin = stdin if stdin is not None else sys.stdin
    stderr = stderr if stderr is not None else sys.stderr
    cost = format_cost(projection.usage, projection.unpriced_models())
    known = projection.cost_usd or 0.0
    complete = projection.cost_complete and finished
    if complete and known <= limit:
        return None
    if known > limit:
        verdict = f"projected cost {cost} exceeds --confirm-over {format_usd(limit)}"
    else:
        verdict = (f"projected cost {cost} is incomplete and cannot be confirmed under "
                   f"--confirm-over {format_usd(limit)}")
    if not finished:
        verdict += " (the dry run did not finish: only the agents it reached are counted)"
    if not stdin.isatty():
        return f"{verdict}; not on a terminal to ask (pass a higher --confirm-over or none)"
    print(format_projection(projection), file=stderr)
    if not complete:
        print(f"the projection is incomplete: {_why_incomplete(projection, finished)}",
              file=stderr)
    relation = "exceeds" if known > limit else "may exceed"
    print(f"Projected cost {_short(projection)} {relation} {format_usd(limit)}. "
          "Run it? [y/N] ",
          end="", file=stderr, flush=True)
    answer = stdin.readline()
    if answer.strip().lower() in ("y", "yes"):
        return None
    if not answer.endswith("\n"):
        print(file=stderr)  # end the prompt's line at end of input
    return verdict


def _short(projection: DryRunProjection) -> str:
    """``$0.1234``, ``$0.1234 + unknown`` or ``unknown``: the block above has the detail."""
    if projection.cost_usd is None:
        return "unknown"
    known = f"${projection.cost_usd:.4f}"
    return known if projection.cost_complete else known + " + unknown"


def _why_incomplete(projection: DryRunProjection, finished: bool) -> str:
    reasons = []
    if not projection.cost_complete:
        models = ", ".join(projection.unpriced_models())
        reasons.append(f"no price for {models} ({projection.unpriced_tokens:,} tokens)")
    if not finished:
        reasons.append("the dry run did not finish, so later agents are not counted")
    return "; ".join(reasons)
