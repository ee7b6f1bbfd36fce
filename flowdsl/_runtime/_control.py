"""Whether a run may go on: stop, pause, the halt that ends it, and the quota pause.

:class:`RunControl` is the run's switchboard. The durable layer's supervisor calls
:meth:`~RunControl.pause`, :meth:`~RunControl.unpause`, :meth:`~RunControl.stop` and
(from a signal handler) :meth:`~RunControl.request_stop`; the run calls
:meth:`~RunControl.fail` when something ends it (a configuration error, a journal that
cannot write); halt listeners (the script's runner or process) are told at once.

The quota pause: when the provider says the account cannot continue, nothing new is
sent (:meth:`~RunControl.wait_unpaused` holds every call for good), the agents in
flight finish, and when the last one is done the run halts with the quota error and
ends ``paused``.
"""

from __future__ import annotations

from collections.abc import Callable

import anyio

from .._types import RunStatus
from ..errors import FlowError, QuotaExhausted, RunError, RunTimeout
from ._events import StatusChanged
from ._halt import Halt
from ._script import ScriptOutcome

__all__ = ["HaltListener", "RunControl"]

HaltListener = Callable[[FlowError | None], None]
"""Told when the run must end (None: stopped); called from signal handlers too."""


class RunControl:
    """Stop, pause, halt and quota state of one run (call from its event loop unless
    noted)."""

    def __init__(self, emit: Callable[[StatusChanged], None],
                 note: Callable[[str], None]) -> None:
        self._emit = emit
        self._note = note
        self.halt: Halt | None = None
        """Set once the run must end: nothing new is sent after it."""
        self.quota: QuotaExhausted | None = None
        """Set when the provider said the account cannot continue."""
        self.scope: anyio.CancelScope | None = None
        """The run's scope, cancelled to end everything in flight."""
        self.listeners: list[HaltListener] = []
        self._stopped = False
        self._paused = False
        self.holding = False
        """Whether :meth:`wait_unpaused` would hold a call now (paused, or for quota)."""
        self._unpaused = anyio.Event()
        self._unpaused.set()
        self._in_flight = 0

    # -- ending the run ------------------------------------------------------------------

    def fail(self, reason: FlowError) -> None:
        """End the run now with ``reason`` (the first reason wins): failed, or paused for
        a quota error."""
        if self.halt is None:
            self.halt = Halt(reason)
            for listener in self.listeners:
                listener(reason)
        if self.scope is not None:
            self.scope.cancel()

    def stop(self) -> None:
        """Cancel everything in flight; the run ends with status "stopped"."""
        self.request_stop()
        self._unpaused.set()
        if self.scope is not None:
            self.scope.cancel()

    @property
    def stop_requested(self) -> bool:
        return self._stopped

    def request_stop(self) -> None:
        """Ask the run to stop; safe anywhere, a signal handler included (flags only).

        The script's tick sees the flag at once (inline), or its process is ended
        (process isolation); awaiting code is cancelled by whoever calls :meth:`stop`
        from the loop next (the durable layer's supervisor polls for it).
        """
        self._stopped = True
        self.halt = Halt(None)
        for listener in self.listeners:
            listener(None)

    def ended_outcome(self, outcome: ScriptOutcome, *, cut_short: bool,
                      run_timeout: float | None) -> tuple[ScriptOutcome, str | None]:
        """The outcome of a run that was stopped, halted or timed out around the script,
        and the class of what ended it."""
        if self._stopped:
            return ScriptOutcome("stopped", error="run stopped"), None
        if self.halt is not None and self.halt.reason is not None:
            reason = self.halt.reason
            status: RunStatus = "paused" if isinstance(reason, QuotaExhausted) else "failed"
            return ScriptOutcome(status, error=str(reason)), type(reason).__name__
        if cut_short:
            timeout = RunTimeout(run_timeout or 0.0)
            return ScriptOutcome("failed", error=str(timeout)), type(timeout).__name__
        return outcome, None

    # -- pausing -----------------------------------------------------------------------

    @property
    def paused(self) -> bool:
        return self._paused

    def pause(self) -> None:
        """Dispatch no new agent until :meth:`unpause`; in-flight agents finish."""
        if not self._paused:
            self._paused = self.holding = True
            self._unpaused = anyio.Event()
            self._emit(StatusChanged(status="paused"))

    def unpause(self) -> None:
        if self._paused:
            self._paused = False
            self.holding = self.quota is not None
            self._unpaused.set()
            self._emit(StatusChanged(status="running"))

    async def wait_unpaused(self) -> None:
        """Return when a call may be sent; a quota pause holds it until the run ends."""
        if self.quota is not None:
            await anyio.sleep_forever()  # cancelled when the run ends: recorded refused
        if self._paused:
            await self._unpaused.wait()

    def pause_for_quota(self, error: QuotaExhausted) -> None:
        """Send nothing new; the run ends paused once the agents in flight are done (the
        latest reset time any of them was told is kept)."""
        if self.quota is None:
            self.quota = error
            self.holding = True
            self._note(f"quota: {error}; no new agent is sent, the run pauses when the "
                       "agents in flight are done")
            self._emit(StatusChanged(status="paused"))
            if self._in_flight == 0:
                self.fail(error)
        elif error.resets_at is not None and (self.quota.resets_at or 0) < error.resets_at:
            self.quota = error

    # -- agents in flight ----------------------------------------------------------------

    def sent(self) -> None:
        """One more agent is with its backend."""
        self._in_flight += 1

    def returned(self) -> None:
        """An agent's backend call ended; the last one out ends a run paused for quota."""
        self._in_flight -= 1
        if self.quota is not None and self._in_flight == 0:
            self.fail(self.quota)

    def refusal(self) -> RunError | None:
        """The refusal of a call made while the run is ending, or None."""
        return RunError("not sent: the run is ending") if self.halt is not None else None

    def not_sent(self) -> str:
        """The reason recorded for a call the run's end kept from being sent."""
        if self.quota is not None:
            return "not sent: the run paused for quota"
        return "not sent: the run ended while the agent waited"
