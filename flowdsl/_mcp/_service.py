"""What the MCP tools do, as plain blocking functions over the store (the server runs
them in worker threads): each returns the tool's structured result, or raises a
:class:`~flowdsl.errors.FlowError` whose message is the tool error's one line.

Runs started here are ordinary durable runs (:func:`flowdsl._durable.start_background`):
``flowdsl runs`` sees them, ``runs resume`` continues them, and the configuration's
budget, cost cap and failure policy apply as on the command line.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._cli._dry_run import project
from .._durable import (
    choose_backend,
    execute_compiled,
    list_workflows,
    pause_run,
    resume_run,
    start_background,
    stop_run,
)
from .._event_loop import run_loop
from .._frontends import CompiledWorkflow, compile_file
from .._options import RunOptions
from .._store import RunInfo, Store, store_exists
from .._types import JSONValue, RunStatus
from ..errors import FlowError, ScriptError, UsageError
from ._scripts import Language, load_script

__all__ = ["DRY_RUN_SECONDS", "MAX_EVENTS", "RESULT_PAGE", "Service"]

MAX_EVENTS = 1000
"""The most events one ``workflow_events`` call returns."""

RESULT_PAGE = 20_000
"""Characters of a result's JSON one ``workflow_result`` call returns by default."""

DRY_RUN_SECONDS = 60.0
"""The longest a validation's dry run (on the simulate backend) may take."""

FAILED_SHOWN = 20
"""Failed agents listed in a result (the count is exact)."""

TERMINAL: frozenset[RunStatus] = frozenset({"completed", "failed", "stopped", "interrupted"})
"""Statuses after which a run changes only when someone resumes it (a run paused for
quota is terminal too: :func:`is_settled`)."""


def is_settled(info: RunInfo) -> bool:
    """Whether the run is no longer executing (it ended, or paused for quota)."""
    return info.status in TERMINAL or info.paused_for_quota


def _meta(compiled: CompiledWorkflow) -> dict[str, JSONValue]:
    meta = compiled.meta
    phases = [p.get("title") for p in meta.get("phases") or () if isinstance(p, dict)]
    return {"name": compiled.name, "description": meta.get("description"),
            "whenToUse": meta.get("whenToUse"), "language": compiled.language,
            "phases": [p for p in phases if isinstance(p, str)]}


def _next_step(info: RunInfo) -> str:
    """What the model should do next with this run (hosts may show it only the
    structured result, not the text beside it)."""
    if info.live:
        return "call workflow_status again with wait_seconds up to 30"
    if info.status == "completed":
        return "call workflow_result for the result"
    if info.paused_for_quota:
        return "the provider's quota ran out; workflow_resume continues it after the reset"
    return "workflow_events shows what happened; workflow_resume continues it"


@dataclass(frozen=True, slots=True, kw_only=True)
class Service:
    """The server's settings and the tools' operations.

    ``run_defaults`` (backend, model, ... from ``flowdsl mcp`` flags) sit between the
    configuration and a tool call's own arguments.
    """

    project_dir: Path
    store: str | None = None
    run_defaults: dict[str, Any] = field(default_factory=dict)

    @contextmanager
    def _open(self, *, create: bool = False) -> Iterator[Store]:
        """The store (opened for writing: an older store is migrated, not refused)."""
        with Store.open(self.store, create=create) as store:
            yield store

    def _has_store(self) -> bool:
        return store_exists(self.store)

    def options(self, **explicit: Any) -> RunOptions:
        given = {**self.run_defaults, **{k: v for k, v in explicit.items() if v is not None}}
        return RunOptions.resolve(self.project_dir, store=self.store, **given)

    # -- validate / run ------------------------------------------------------------------

    def validate(self, *, script: str | None, script_path: str | None,
                 language: Language | None, args: JSONValue) -> dict[str, JSONValue]:
        """Compile, then dry-run on the simulate backend and price what the real run
        would spend. A script error is a result (``ok`` False), not a tool error."""
        try:
            loaded = load_script(script=script, script_path=script_path, language=language,
                                 store=self.store, project_dir=self.project_dir)
        except ScriptError as exc:
            return {"ok": False, "errors": [{"message": exc.message, "path": exc.path,
                                             "line": exc.line, "column": exc.column,
                                             "text": str(exc)}]}
        options = self.options()
        dry = options.with_(backend="simulate", run_timeout=min(
            options.run_timeout or DRY_RUN_SECONDS, DRY_RUN_SECONDS))

        async def go() -> Any:
            return await execute_compiled(loaded.compiled, args=args,
                                          backend=choose_backend(None, dry), options=dry,
                                          journal=False)

        result = run_loop(go)
        projection = project(result, options)
        return {"ok": True, "errors": [], **_meta(loaded.compiled),
                "path": str(loaded.path) if loaded.path else None,
                "dry_run": {"status": result.status, "error": result.error,
                            "outcomes": dict(result.outcomes()), **projection.to_json()}}

    def run(self, *, script: str | None, script_path: str | None, name: str | None,
            language: Language | None, args: JSONValue, idempotency_key: str | None,
            resume_from_run_id: str | None, **explicit: Any) -> dict[str, JSONValue]:
        """Start a durable run in a background worker (or continue one)."""
        if resume_from_run_id is not None:
            if script is not None or name is not None:
                raise UsageError("resume_from_run_id continues a run, optionally with an "
                                 "edited script_path; not with script or name")
            with self._open() as store:
                info = resume_run(store, resume_from_run_id, script=self._path(script_path))
            return self._started(info, None)
        loaded = load_script(script=script, script_path=script_path, name=name,
                             language=language, save=True, store=self.store,
                             project_dir=self.project_dir)
        assert loaded.path is not None
        options = self.options(**explicit)
        choose_backend(None, options)  # no backend configured: say so now, start nothing
        run_id = start_background(loaded.path, args=args, options=options,
                                  idempotency_key=idempotency_key)
        with self._open() as store:
            return self._started(store.get_run(run_id), str(loaded.path))

    def _path(self, script_path: str | None) -> Path | None:
        if script_path is None:
            return None
        path = Path(script_path)
        return path if path.is_absolute() else self.project_dir / path

    @staticmethod
    def _started(info: RunInfo, script_path: str | None) -> dict[str, JSONValue]:
        return {"run_id": info.id, "status": info.status, "name": info.name,
                "script_path": script_path or info.script_path,
                "next": "call workflow_status with this run_id and wait_seconds 30 until "
                        "settled is true, then workflow_result"}

    # -- observe ---------------------------------------------------------------------------

    def status(self, run_id: str) -> dict[str, JSONValue]:
        with self._open() as store:
            info = store.get_run(run_id)
            phase = store.last_event(info.id, "phase")
            outcomes = store.outcomes(info.id)
        end = info.finished_at if info.finished_at is not None else time.time()
        not_ok = outcomes["failed"] + outcomes["refused"] + outcomes["cancelled"]
        return {
            "run_id": info.id, "name": info.name, "status": info.status,
            "settled": is_settled(info),
            "ok": info.status == "completed" and not not_ok,
            "phase": phase.text if phase else None,
            "agents": {**outcomes, "total": sum(outcomes.values()),
                       "running": len(info.running)},
            "running": list(info.running),
            "usage": info.usage.to_json(),
            "elapsed_seconds": round(end - info.created_at, 3),
            "error": info.error,
            "paused": info.to_json()["paused"],
            "script_path": info.script_path,
            "next": _next_step(info),
        }

    def events(self, run_id: str, *, cursor: int, limit: int) -> dict[str, JSONValue]:
        with self._open() as store:
            info = store.get_run(run_id)
            rows = store.events(info.id, after=cursor, limit=limit + 1)
        shown = rows[:limit]
        return {"run_id": info.id, "status": info.status,
                "events": [{"id": e.id, "at": e.at, "kind": e.kind, "text": e.text}
                           for e in shown],
                "next_cursor": shown[-1].id if shown else cursor,
                "more": len(rows) > limit}

    def result(self, run_id: str, *, offset: int, limit: int) -> dict[str, JSONValue]:
        with self._open() as store:
            info = store.get_run(run_id)
            failed = [e.record for e in store.journal(info.id) if not e.record.ok]
        out: dict[str, JSONValue] = {
            "run_id": info.id, "status": info.status, "error": info.error,
            "failed_agents": len(failed),
            "failed": [{"label": r.request.label, "status": r.status, "error": r.error}
                       for r in failed[:FAILED_SHOWN]],
        }
        if info.live:
            return {**out, "result": None, "note": "the run has not ended; wait with "
                                                   "workflow_status"}
        text = json.dumps(info.result, ensure_ascii=False)
        if offset == 0 and len(text) <= limit:
            return {**out, "result": info.result, "total_chars": len(text),
                    "next_offset": None}
        if offset > len(text):
            raise UsageError(f"offset {offset} is past the result's end ({len(text)} "
                             "characters of JSON)")
        end = offset + limit
        more = end < len(text)
        page: dict[str, JSONValue] = {
            "result_json_page": text[offset:end], "offset": offset, "total_chars": len(text),
            "next_offset": end if more else None}
        if more:
            page["next"] = (f"call workflow_result with offset {end} for the next page; the "
                            "pages joined are the result's JSON")
        return {**out, **page}

    # -- control ---------------------------------------------------------------------------

    def stop(self, run_id: str) -> dict[str, JSONValue]:
        with self._open() as store:
            return self._control(stop_run(store, run_id))

    def pause(self, run_id: str) -> dict[str, JSONValue]:
        with self._open() as store:
            return self._control(pause_run(store, run_id))

    def resume(self, run_id: str) -> dict[str, JSONValue]:
        with self._open() as store:
            return self._control(resume_run(store, run_id))

    @staticmethod
    def _control(info: RunInfo) -> dict[str, JSONValue]:
        return {"run_id": info.id, "status": info.status}

    # -- lists -----------------------------------------------------------------------------

    def list_runs(self, *, status: RunStatus | None, limit: int) -> dict[str, JSONValue]:
        runs: list[RunInfo] = []
        if self._has_store():  # no store yet: no runs
            with self._open() as store:
                runs = store.list_runs(limit=limit, status=status)
        return {"runs": [{"run_id": r.id, "name": r.name, "status": r.status,
                          "agents": r.agents_done + r.agents_failed,
                          "agents_not_ok": r.agents_failed,
                          "usage": r.usage.to_json(), "created_at": r.created_at,
                          "finished_at": r.finished_at, "error": r.error} for r in runs]}

    def saved(self) -> dict[str, JSONValue]:
        found: list[JSONValue] = []
        for workflow in list_workflows(self.project_dir, store_dir=self.store, bundled=True):
            entry: dict[str, JSONValue] = {"name": workflow.ref, "source": workflow.source,
                                           "path": str(workflow.path)}
            try:
                meta = _meta(compile_file(workflow.path))
                entry.update(description=meta["description"], whenToUse=meta["whenToUse"],
                             phases=meta["phases"])
            except FlowError as exc:
                entry["error"] = str(exc)
            found.append(entry)
        return {"workflows": found}
