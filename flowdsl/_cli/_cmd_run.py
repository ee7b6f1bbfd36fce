"""``flowdsl run``, ``flowdsl check`` and ``flowdsl transpile``."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

# A command's machinery imports when the command runs: every command imports this module
# to build its parser, and `flowdsl check` needs the compiler but no runtime, store or view.
from .. import _durable, _frontends  # their names import on first use (flowdsl._lazy)
from .._event_loop import run_loop
from .._terminal_text import printable, printable_json
from ..errors import FlowError, UsageError
from . import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK
from ._argtypes import byte_size, non_negative_int, positive_int, seconds, usd
from ._exit import exit_code, exit_meaning

if TYPE_CHECKING:
    from .._failure_limit import FailureLimit
    from .._frontends import CompiledWorkflow
    from .._options import RunOptions
    from .._runtime import ScriptProcess
    from .._types import JSONValue, RunResult
    from ..backends import AgentBackend

__all__ = ["check_distributed", "check_otel", "load_args", "register", "resolve_script",
           "run_options", "simulated"]


def register(sub: Any) -> None:
    run = sub.add_parser("run", help="run a workflow (file path, saved name, or @bundled)")
    run.add_argument("script", help="a .flow.py / .js file, the name of a saved workflow, "
                                    "or @NAME of a bundled one (see 'flowdsl workflows')")
    run.add_argument("--args", dest="args_json", metavar="JSON",
                     help="the script's args: JSON text, or @file.json")
    run.add_argument("--backend",
                     help="simulate, openai, anthropic, claude, codex, or module:factory")
    run.add_argument("--model", help="default model when neither the call nor its phase names one")
    run.add_argument("--base-url", metavar="URL",
                     help="endpoint of the model API, for every backend: openai and "
                          "anthropic call it; claude gets it as ANTHROPIC_BASE_URL, codex "
                          "as a custom model provider (Responses API)")
    run.add_argument("--concurrency", type=positive_int,
                     help="agents running at once (default: config, else 16)")
    run.add_argument("--max-agents", type=non_negative_int,
                     help="agent cap (default: config, else 1000)")
    run.add_argument("--budget", type=non_negative_int, metavar="TOKENS",
                     help="hard cap on real input+output tokens")
    run.add_argument("--max-cost", type=usd, metavar="USD",
                     help="hard cap on the run's real cost in US dollars, enforced like "
                          "--budget")
    run.add_argument("--timeout", type=seconds, metavar="SECONDS",
                     help="per-agent timeout (default: config, else 600)")
    run.add_argument("--run-timeout", type=seconds, metavar="SECONDS",
                     help="wall-clock limit of the whole run")
    run.add_argument("--isolation", choices=("process", "inline"),
                     help="process (default): the script in a supervised child process; "
                          "inline: in this process (trusted scripts only)")
    run.add_argument("--memory-limit", type=byte_size, metavar="SIZE",
                     help="address space of the script's process, e.g. 2G (default 2G)")
    run.add_argument("--stall-timeout", type=seconds, metavar="SECONDS",
                     help="kill the script's process when its loop stalls this long "
                          "(default 30)")
    run.add_argument("--dry-run", action="store_true",
                     help="run on the simulate backend, store nothing, and price the "
                          "projected tokens with the models the real backend would use")
    run.add_argument("--confirm-over", type=usd, metavar="USD",
                     help="dry-run first; when the projected cost exceeds USD (or is "
                          "incomplete) ask on a terminal before starting, refuse elsewhere")
    run.add_argument("--json", action="store_true", help="print one JSON object")
    run.add_argument("--background", action="store_true",
                     help="run in a detached worker; print the run id and return at once")
    run.add_argument("--store", metavar="DIR|URL",
                     help="run store: a directory, or a postgresql:// URL (default: the "
                          "configured store, else $FLOWDSL_STORE, else ./.flowdsl)")
    run.add_argument("--no-journal", action="store_true",
                     help="do not record this run in the store (it cannot be resumed)")
    run.add_argument("--max-failures", metavar="N|P%",
                     help="failure policy: once more agents failed, dispatch no new agent "
                          "and end the run failed (a percentage is of the agents finished, "
                          "judged from 10 on)")
    run.add_argument("--allow-failures", metavar="N|P%", type=_failure_limit,
                     help="exit 0 instead of 3 when at most this many agents failed, were "
                          "refused or cancelled")
    run.add_argument("--worktree-base", choices=("head", "working-tree"),
                     help="what isolation='worktree' agents start from: the current commit "
                          "(default) or the working tree with uncommitted changes")
    run.add_argument("--resume-after-quota", action="store_true", default=None,
                     help="when the provider's quota runs out the run pauses (exit 4); with "
                          "this it waits for the reset time and resumes by itself")
    run.add_argument("--otel", action=argparse.BooleanOptionalAction, default=None,
                     help="export an OpenTelemetry trace of the run over OTLP/HTTP to "
                          "$OTEL_EXPORTER_OTLP_ENDPOINT (needs the otel extra; default: "
                          "config 'otel', else on when that variable is set)")
    run.add_argument("--distributed", action=argparse.BooleanOptionalAction, default=None,
                     help="run each agent on a 'flowdsl worker' through the queue of the "
                          "PostgreSQL store (needs the distributed extra and --store "
                          "postgresql://...; default: config 'distributed')")
    run.set_defaults(handler=cmd_run)

    check = sub.add_parser("check", help="validate a workflow without running it")
    check.add_argument("script", help="a file, a saved workflow's name, or @NAME")
    check.add_argument("--json", action="store_true")
    check.set_defaults(handler=cmd_check)

    transpile = sub.add_parser("transpile", help="show the Python form of a .js workflow")
    transpile.add_argument("script")
    transpile.add_argument("-o", "--output", help="write to this file instead of stdout")
    transpile.set_defaults(handler=cmd_transpile)


def load_args(text: str | None) -> Any:
    """``--args`` value: JSON text, or ``@path`` to a JSON file."""
    if text is None:
        return None
    where = "--args"
    if text.startswith("@"):
        where = text[1:]
        try:
            text = Path(where).read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"--args: cannot read {where} ({exc.strerror})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{where}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None


def resolve_script(ref: str, *, store: str | None = None) -> Path:
    """A path as given, a saved workflow's file when ``ref`` is a name, or a bundled
    workflow's file for ``@NAME`` (reserved for them: never read as a path).

    Raises:
        UsageError: nothing is found (for ``@NAME``, the message lists the bundled names).
    """
    path = Path(ref)
    if not ref.startswith("@"):
        if path.is_file():
            return path
        if path.suffix or "/" in ref:
            raise UsageError(f"{ref}: no such file")
    found = _durable.find_workflow(ref, Path.cwd(), store_dir=store)
    if found is None:
        raise UsageError(f"{ref}: no such file or saved workflow")
    return found


def run_options(ns: argparse.Namespace) -> RunOptions:
    """The options of ``flowdsl run``: its flags over the configuration over the defaults.

    These are the real run's, also for ``--dry-run``: the dry run executes on
    :func:`simulated` options and is priced with these.
    """
    from .._options import RunOptions

    return RunOptions.resolve(
        backend=ns.backend,
        model=ns.model,
        base_url=ns.base_url,
        concurrency=ns.concurrency,
        max_agents=ns.max_agents,
        budget=ns.budget,
        agent_timeout=ns.timeout,
        run_timeout=ns.run_timeout,
        isolation=ns.isolation,
        memory_limit=ns.memory_limit,
        stall_timeout=ns.stall_timeout,
        store=ns.store,
        max_failures=ns.max_failures,
        max_cost=ns.max_cost,
        resume_after_quota=ns.resume_after_quota,
        worktree_base=ns.worktree_base,
        otel=ns.otel,
        distributed=ns.distributed,
    )


def simulated(options: RunOptions) -> RunOptions:
    """The options a dry run executes with: the real run's on the simulate backend,
    untraced (its agents are not real)."""
    return options.with_(backend="simulate", otel=False, distributed=False)


def check_otel() -> None:
    """Tracing asked for (``--otel``, ``otel = true``) needs the ``otel`` extra.

    Raises:
        UsageError: it is not installed.
    """
    from .._telemetry import MISSING_EXTRA, available

    if not available():
        raise UsageError(MISSING_EXTRA)


def check_distributed(options: RunOptions) -> None:
    """A distributed run needs the ``distributed`` extra and a PostgreSQL store.

    Raises:
        UsageError: one of them is missing.
    """
    import importlib.util

    from .._store import resolve_store_location

    if importlib.util.find_spec("dbos") is None:
        raise UsageError("--distributed needs the distributed extra: "
                         "pip install 'flowdsl[distributed]'")
    if not isinstance(resolve_store_location(options.store), str):
        raise UsageError("--distributed needs a PostgreSQL store, where the workers find the "
                         "queue: --store postgresql://USER@HOST/DB (or store = ... in the "
                         "configuration, or $FLOWDSL_STORE)")


def _failure_limit(text: str) -> FailureLimit:
    # here, when the flag is given: a dataclass module (dataclasses, inspect) that building
    # the parser need not load
    from .._failure_limit import FailureLimit

    try:
        return FailureLimit.parse(text, "--allow-failures")
    except UsageError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def cmd_run(ns: argparse.Namespace) -> int:
    if ns.dry_run and ns.background:
        raise UsageError("--dry-run runs in the foreground and stores nothing: "
                         "drop --background")
    args = load_args(ns.args_json)
    options = run_options(ns)
    if options.otel and not ns.dry_run:
        check_otel()  # before anything is stored or started
    if options.distributed and not ns.dry_run:
        check_distributed(options)
        if ns.no_journal:
            raise UsageError("a distributed run is stored (the journal names its agents on "
                             "the queue): drop --no-journal")
    script = resolve_script(ns.script, store=options.store)
    if ns.dry_run:
        return _dry_run(ns, _frontends.compile_file(script), args, options)
    if ns.background:
        refused = _confirm(ns, _frontends.compile_file(script), args, options)
        return refused if refused is not None else _background_run(ns, script, args, options)
    compiled = _frontends.compile_file(script)
    # a configuration error before any dry run; a distributed run's workers build theirs
    backend = None if options.distributed else _durable.choose_backend(None, options)
    refused = _confirm(ns, compiled, args, options)
    if refused is not None:
        return refused
    prestarted = _prestarted(ns, options)
    if prestarted is not None:
        options = options.with_(hash_seed=prestarted.seed)  # stored: resume uses it too
    result = _foreground(ns, compiled, args, backend, options, journal=not ns.no_journal,
                         prestarted=prestarted)
    if result is None:
        return EXIT_INTERRUPTED
    code = exit_code(result, ns.allow_failures)
    if ns.json:
        print(printable_json({**result.to_json(), "exit_code": code}))
    else:
        from ._view import format_summary, format_value

        print(format_summary(result) + "\n" + exit_meaning(code, result), file=sys.stderr)
        if result.status == "completed":
            print(format_value(result.value))
    return code


def _dry_run(ns: argparse.Namespace, compiled: CompiledWorkflow, args: JSONValue,
             options: RunOptions) -> int:
    """``flowdsl run --dry-run``: on the simulate backend, unstored, priced as ``options``
    would spend it (:mod:`._dry_run`). The exit code is the simulated run's, or 2 when the
    real run would stop on a model name it refuses."""
    from ._dry_run import format_projection, project
    from ._view import format_summary, format_value

    dry = simulated(options)
    prestarted = _prestarted(ns, dry)
    result = _foreground(ns, compiled, args, _durable.choose_backend(None, dry), dry,
                         journal=False, prestarted=prestarted)
    if result is None:
        return EXIT_INTERRUPTED
    projection = project(result, options)
    code = 2 if projection.problems else exit_code(result, ns.allow_failures)
    if ns.json:
        print(printable_json({**result.to_json(), "exit_code": code,
                              "dry_run": projection.to_json()}))
    else:
        print("\n".join((format_summary(result, dry_run=True),
                         format_projection(projection), exit_meaning(code, result))),
              file=sys.stderr)
        if result.status == "completed":
            print(format_value(result.value))
    return code


def _confirm(ns: argparse.Namespace, compiled: CompiledWorkflow, args: JSONValue,
             options: RunOptions) -> int | None:
    """``--confirm-over USD``: a quiet dry run first; None when the run may start, else
    the exit code of not starting it (1). A run on simulate costs nothing: not asked."""
    if ns.confirm_over is None or options.backend == "simulate":
        return None
    from ._confirm import confirm_cost
    from ._dry_run import project

    dry = simulated(options)

    async def go() -> RunResult:
        return await _durable.execute_compiled(compiled, args=args, options=dry, journal=False,
                                               backend=_durable.choose_backend(None, dry))

    result = run_loop(go)
    projection = project(result, options)
    refusal = confirm_cost(projection, ns.confirm_over, finished=result.status == "completed")
    if refusal is None:
        return None
    print(f"flowdsl: not started: {printable(refusal)}", file=sys.stderr)
    if ns.json:
        print(printable_json({"run_id": None, "status": "not_started", "error": refusal,
                              "dry_run": projection.to_json(), "exit_code": EXIT_FAILED}))
    return EXIT_FAILED


def _prestarted(ns: argparse.Namespace, options: RunOptions) -> ScriptProcess | None:
    """The script process ``entry`` started early, if this run can adopt it."""
    prestarted: ScriptProcess | None = ns.prestarted
    if prestarted is not None and options.isolation != "process":
        prestarted.discard()  # configured inline: not needed
        return None
    return prestarted


def _foreground(ns: argparse.Namespace, compiled: CompiledWorkflow, args: JSONValue,
                backend: AgentBackend | None, options: RunOptions, *, journal: bool,
                prestarted: ScriptProcess | None) -> RunResult | None:
    """Run with the live view (plain lines off a terminal; none with ``--json``);
    None when interrupted (after saying so)."""
    from ._view import make_view

    view = (None if ns.json else
            make_view(sys.stderr, budget=options.budget, max_cost=options.max_cost))
    observers = [view] if view is not None else []

    async def go() -> RunResult:
        return await _durable.execute_compiled(compiled, args=args, backend=backend,
                                               options=options, journal=journal,
                                               observers=observers, prestarted=prestarted)

    try:
        if view is not None:
            with view:
                return run_loop(go)
        return run_loop(go)
    except KeyboardInterrupt:
        _say_interrupted(ns, options if journal else None)
        return None


def _say_interrupted(ns: argparse.Namespace, stored: RunOptions | None) -> None:
    """After Ctrl-C: how the run's agents ended and how to continue it, from the store
    (the journal recorded the agents cut short); ``--json`` also prints it as an object."""
    from .._store import Store

    info, counts = None, None
    if stored is not None:
        try:
            with Store.open(stored.store, create=False) as store:
                info = next((r for r in store.list_runs(limit=20) if r.pid == os.getpid()),
                            None)
                counts = store.outcomes(info.id) if info is not None else None
        except FlowError:
            pass  # the line below still says what happened
    line = "flowdsl: interrupted"
    if info is not None and counts is not None:
        shown = ", ".join(f"{n} {k}" for k, n in counts.items() if n or k == "ok")
        line += f" — agents: {shown}; continue with 'flowdsl runs resume {info.id}'"
    elif stored is None:
        line += " (the run was not stored: nothing to resume)"
    print(line, file=sys.stderr)
    if ns.json:
        print(json.dumps({"run_id": info.id if info else None, "status": "interrupted",
                          "agents": counts, "exit_code": EXIT_INTERRUPTED}))


def _background_run(ns: argparse.Namespace, script: Path, args: JSONValue,
                    options: RunOptions) -> int:
    """``flowdsl run FILE --background``: start a worker, print the run id, return at once.

    Prints the id (``--json``: ``{"run_id": ..., "status": ...}``); exit code 0.
    """
    from .._store import Store

    run_id = _durable.start_background(script, args=args, options=options)
    with Store.open(options.store, create=False) as store:
        status = store.get_run(run_id).status
    if ns.json:
        print(json.dumps({"run_id": run_id, "status": status}))
    else:
        print(run_id)
        print(f"started run {run_id} in the background; follow it with "
              f"'flowdsl runs logs {run_id} --follow'", file=sys.stderr)
    return EXIT_OK


def describe(compiled: CompiledWorkflow) -> dict[str, Any]:
    return {
        "path": compiled.path,
        "language": compiled.language,
        "name": compiled.name,
        "description": compiled.meta.get("description"),
        "phases": [
            p.get("title") for p in compiled.meta.get("phases") or () if isinstance(p, dict)
        ],
    }


def cmd_check(ns: argparse.Namespace) -> int:
    compiled = _frontends.compile_file(resolve_script(ns.script))
    info = describe(compiled)
    if ns.json:
        print(printable_json({"ok": True, **info}))
    else:
        phases = ", ".join(info["phases"]) or "none"
        print(printable(f"{compiled.path}: ok — {info['name']!r} ({compiled.language}; "
                        f"phases: {phases})"))
    return EXIT_OK


def cmd_transpile(ns: argparse.Namespace) -> int:
    path = resolve_script(ns.script)
    if not _frontends.is_javascript(path):
        raise UsageError(f"{path}: transpile takes a JavaScript workflow (.js, .mjs, .cjs)")
    python_source = _frontends.transpile(_frontends.read_workflow(path), str(path))
    if ns.output:
        try:
            Path(ns.output).write_text(python_source, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"{ns.output}: cannot write ({exc.strerror})") from None
        print(f"wrote {ns.output}", file=sys.stderr)
    else:
        sys.stdout.write(python_source)
    return EXIT_OK
