"""The coordinator's side: a backend that sends each agent to the queue and waits.

A ``--distributed`` run executes its script where it was started, with every limit of
a run on one machine (budget and cost caps checked before a call is sent, timeouts,
failure policy, stop and pause): only the backend differs. :class:`QueueBackend`
enqueues the call under the id ``<run id>:<journal key>`` — enqueuing the same content
again (a coordinator resumed after a crash, on any machine) attaches to the agent
already queued, running or finished instead of paying for it twice — and waits for its
outcome. One poll reads the outcomes of all the run's waiting agents at once (every
:attr:`poll_every` seconds, one query however many wait). An agent the run gives up on
(its timeout, the run's stop) is cancelled on the queue; its worker stops it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import anyio

from .._store._location import mask_url
from .._types import AgentRequest, AgentResult
from ..errors import BackendConfigError, RemoteAgentError
from ._heartbeats import live_workers
from ._payload import decode_outcome, encode_call, encode_failure, succeeded
from ._queue import APP_VERSION, DEAD_AFTER, QUEUE, WORKFLOW, queue_url

__all__ = ["QueueBackend", "cancel_queued"]

_ENDED = ["SUCCESS", "ERROR", "CANCELLED", "MAX_RECOVERY_ATTEMPTS_EXCEEDED"]
_RETRY = "/retry-"


def _attempt_number(base: str, workflow_id: str) -> int | None:
    """0 for ``base``, N for ``base/retry-N``, None for an id of another call."""
    if workflow_id == base:
        return 0
    rest = workflow_id[len(base):]
    if rest.startswith(_RETRY) and rest[len(_RETRY):].isdigit():
        return int(rest[len(_RETRY):])
    return None


class QueueBackend:
    """Runs each agent on a worker through the queue (see the module docstring)."""

    needs_call_key = True
    """The runtime sets ``request.call_key`` (the journal's content key) on every call."""

    def __init__(self, url: str, *, run_id: str, backend: str, model: str | None,
                 default_timeout: float,
                 failed_before: Callable[[str], bool] = lambda key: False,
                 poll_every: float = 0.1) -> None:
        """Connect to the queue (creating DBOS's tables when this database has none yet).

        Raises:
            BackendConfigError: the database cannot be reached.
        """
        from dbos import DBOS, DBOSClient

        self.url = queue_url(url)
        self.run_id = run_id
        self.backend = backend
        self.model = model
        self.default_timeout = default_timeout
        self.poll_every = poll_every
        self.failed_before = failed_before
        """Whether the run's journal holds a failed attempt of a call (by its key)."""
        try:
            DBOS.migrate(self.url)
            self._client: Any = DBOSClient(system_database_url=self.url,
                                           application_name="flowdsl")
        except Exception as exc:
            raise BackendConfigError(f"cannot reach the queue at {mask_url(self.url)}: "
                                     f"{type(exc).__name__}: {exc}") from None
        self._waiting: dict[str, anyio.Event] = {}
        self._outcomes: dict[str, str] = {}
        self._polling = False
        self._next_poll = 0.0

    async def run(self, request: AgentRequest) -> AgentResult:
        if request.call_key is None:
            workflow_id = f"{self.run_id}:unjournaled-{uuid.uuid4().hex}"
        else:
            workflow_id = f"{self.run_id}:{request.call_key}"
            if self.failed_before(request.call_key):
                workflow_id = await self._retry(workflow_id)
        seconds = request.timeout if request.timeout is not None else self.default_timeout
        payload = encode_call(request, backend=self.backend, model=self.model, seconds=seconds)
        options = {"workflow_name": WORKFLOW, "queue_name": QUEUE, "workflow_id": workflow_id,
                   "app_version": APP_VERSION, "application_name": "flowdsl",
                   # the queue's rate limit, when workers set one, is per model
                   "queue_partition_key": request.model or self.model or "default"}
        await anyio.to_thread.run_sync(self._client.enqueue, options, payload)
        try:
            outcome = await self._outcome(workflow_id)
        except anyio.get_cancelled_exc_class():
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(self._client.cancel_workflow, workflow_id)
            raise
        return decode_outcome(outcome)

    async def _retry(self, base: str) -> str:
        """The workflow id of a call that failed before: its latest attempt unless that
        one failed too — then the next (``base/retry-N``): a failed agent runs again on
        resume, as on one machine; a retry in flight or done is attached to."""
        found = await anyio.to_thread.run_sync(lambda: self._client.list_workflows(
            workflow_id_prefix=base, load_input=False, load_output=True))
        attempts = {_attempt_number(base, status.workflow_id): status for status in found}
        attempts.pop(None, None)  # another key that starts with this one
        if not attempts:
            return base
        number = max(n for n in attempts if n is not None)
        latest = attempts[number]
        failed = latest.status in _ENDED and not (
            latest.status == "SUCCESS" and isinstance(latest.output, str)
            and succeeded(latest.output))
        return f"{base}{_RETRY}{number + 1}" if failed else latest.workflow_id

    async def _outcome(self, workflow_id: str) -> str:
        """Wait for the agent's outcome; whoever waits polls for all, one poll at a time."""
        event = self._waiting[workflow_id] = anyio.Event()
        try:
            while workflow_id not in self._outcomes:
                if not self._polling and anyio.current_time() >= self._next_poll:
                    self._polling = True
                    try:
                        await self._poll()
                    finally:
                        self._polling = False
                        self._next_poll = anyio.current_time() + self.poll_every
                    continue
                with anyio.move_on_after(self.poll_every):
                    await event.wait()
            return self._outcomes.pop(workflow_id)
        finally:
            del self._waiting[workflow_id]

    async def _poll(self) -> None:
        ids = list(self._waiting)
        ended = await anyio.to_thread.run_sync(lambda: self._client.list_workflows(
            workflow_ids=ids, status=_ENDED, load_input=False, load_output=True))
        for status in ended:
            workflow_id = status.workflow_id
            if status.status == "SUCCESS" and isinstance(status.output, str):
                self._outcomes[workflow_id] = status.output
            else:
                reason = status.error or f"the call ended {status.status.lower()} on the queue"
                self._outcomes[workflow_id] = encode_failure(RemoteAgentError(str(reason)))
            event = self._waiting.get(workflow_id)
            if event is not None:
                event.set()

    def workers(self) -> int:
        """How many workers serve the queue now (their heartbeat is fresh)."""
        return live_workers(self.url, DEAD_AFTER)

    def close(self) -> None:
        self._client.destroy()


def cancel_queued(url: str, run_id: str) -> int:
    """Cancel a run's agents still queued or running on workers (the run was stopped and
    no coordinator waits for them); how many. Their workers stop them within a second."""
    from dbos import DBOSClient

    client = DBOSClient(system_database_url=queue_url(url), application_name="flowdsl")
    try:
        waiting = client.list_workflows(workflow_id_prefix=f"{run_id}:",
                                        status=["ENQUEUED", "PENDING"], load_input=False,
                                        load_output=False)
        ids = [status.workflow_id for status in waiting]
        if ids:
            client.cancel_workflows(ids)
        return len(ids)
    finally:
        client.destroy()
