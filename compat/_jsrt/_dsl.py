"""The workflow globals, JS-flavoured: agent() returns an eager Promise, log() uses JS
ToString, budget.total is null when unlimited; and the run's result conversion."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from flowdsl._sandbox import Scheduler

from ._arrays import to_list
from ._convert import to_string
from ._json import to_result
from ._promise import JSPromise, adopt, scheduling
from ._values import JSTypeError, is_nullish, undefined

__all__ = ["bind_js_run", "js_run"]

_OPTIONS = {
    "label": "label",
    "phase": "phase",
    "schema": "schema",
    "model": "model",
    "effort": "effort",
    "agentType": "agent_type",
    "agent_type": "agent_type",
    "isolation": "isolation",
    "timeout": "timeout",
    "maxTurns": "max_turns",
    "max_turns": "max_turns",
}


def _agent_options(opts: Any) -> dict[str, Any]:
    if is_nullish(opts):
        return {}
    if not isinstance(opts, dict):
        raise JSTypeError("agent() options must be an object")
    out: dict[str, Any] = {}
    for key, value in opts.items():
        name = _OPTIONS.get(key)
        if name is None or is_nullish(value):
            continue
        if name == "schema":
            out[name] = to_result(value)
        elif name == "timeout":
            out[name] = value
        elif name == "max_turns":
            # a JS number: 30 arrives as 30 or 30.0; the core checks it is a whole number
            is_whole = isinstance(value, float) and value.is_integer()
            out[name] = int(value) if is_whole else value
        else:
            out[name] = to_string(value)
    return out


def make_dsl(agent: Any, parallel: Any, pipeline: Any, phase: Any, log: Any, args: Any,
             budget: Any, workflow: Any) -> tuple[Any, ...]:
    """The JS globals built on the core's Python-flavoured ones."""

    def js_agent(prompt: Any = undefined, opts: Any = undefined, *_: Any) -> JSPromise:
        return JSPromise.agent_call(agent(to_string(prompt), **_agent_options(opts)))

    def js_parallel(tasks: Any = undefined, *_: Any) -> JSPromise:
        return JSPromise.spawn(_awaited, parallel(to_list(tasks)))

    def js_pipeline(items: Any = undefined, *stages: Any) -> JSPromise:
        return JSPromise.spawn(_awaited, pipeline(to_list(items), *stages))

    def js_workflow(ref: Any = undefined, child_args: Any = undefined, *_: Any) -> JSPromise:
        target = to_string(ref) if isinstance(ref, str) else ref
        pending = workflow(target, None if child_args is undefined else to_result(child_args))
        return JSPromise.spawn(_awaited, pending)

    def js_phase(title: Any = undefined, *_: Any) -> Any:
        phase(to_string(title))
        return undefined

    def js_log(*parts: Any) -> Any:
        log(" ".join(to_string(p) for p in parts))
        return undefined

    total = getattr(budget, "total", None)
    js_budget = {
        "total": total,
        "spent": lambda *_: budget.spent(),
        "remaining": lambda *_: budget.remaining(),
    }
    console = {name: js_log for name in ("log", "info", "warn", "error", "debug")}
    return (js_agent, js_parallel, js_pipeline, js_phase, js_log, args, js_budget, js_workflow,
            console)


async def _awaited(pending: Awaitable[Any]) -> Any:
    return await pending


async def js_run(script: Callable[..., Awaitable[Any]], agent: Any, parallel: Any,
                 pipeline: Any, phase: Any, log: Any, args: Any, budget: Any,
                 workflow: Any) -> Any:
    """Run the transpiled script body with the JS globals; return its JSON result.

    Promises run when awaited: the ``jsrt`` a run imports has :func:`bind_js_run`'s
    version instead, which starts them eagerly on the run's scheduler.
    """
    dsl = make_dsl(agent, parallel, pipeline, phase, log, args, budget, workflow)
    value = await adopt(await script(*dsl))
    return to_result(value)


def bind_js_run(scheduler: Scheduler | None) -> Callable[..., Awaitable[Any]]:
    """``js_run`` with ``scheduler`` starting the script's promises (eager, as in JS)."""

    async def js_run_on(script: Callable[..., Awaitable[Any]], *dsl: Any) -> Any:
        async with scheduling(scheduler):
            return await js_run(script, *dsl)

    js_run_on.__name__ = "js_run"
    return js_run_on
