"""One run: its task group, limiter, counters, control (pause/stop) and outcome.

Everything a run starts lives in one anyio task group, so cancelling the run (stop, the
wall-clock limit) cancels every in-flight agent. Script code that never awaits cannot be
cancelled by anyio; the sandbox inserts a tick into every loop, and the tick raises
:class:`Halt` once the run is stopped or past its deadline.
"""

from __future__ import annotations

import contextvars
import math
import time
import traceback
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any, Generic, TypeVar

import anyio
import anyio.abc
import anyio.from_thread
import anyio.lowlevel

from .._frontends import CompiledWorkflow
from .._types import AgentRecord, RunResult, RunStatus, Usage
from ..backends import AgentBackend
from ..errors import FlowError, RunTimeout
from ._events import Observer, RunEvent
from ._journal import Journal, KeyCounter
from ._limits import Limits

__all__ = ["Halt", "Run", "Task", "current_run"]

T = TypeVar("T")

_CURRENT: contextvars.ContextVar[Run] = contextvars.ContextVar("flowdsl_run")


def current_run() -> Run:
    """The run whose script is executing in this context (for helper runtimes like JS).

    Raises:
        LookupError: no run is executing in this context.
    """
    return _CURRENT.get()


class Halt(BaseException):
    """Raised by the loop tick when the run must end; scripts cannot catch it."""

    def __init__(self, reason: FlowError | None) -> None:
        self.reason = reason
        super().__init__(str(reason) if reason else "run stopped")


class Task(Generic[T]):
    """A coroutine started at once in the run's task group (a JS promise's engine)."""

    __slots__ = ("_error", "_event", "_finished", "_value")

    def __init__(self) -> None:
        self._finished = False
        self._event: anyio.Event | None = None  # made only if someone waits before the end
        self._value: Any = None
        self._error: BaseException | None = None

    @property
    def done(self) -> bool:
        return self._finished

    def _finish(self, value: Any, error: BaseException | None) -> None:
        self._value, self._error, self._finished = value, error, True
        if self._event is not None:
            self._event.set()

    async def wait(self) -> T:
        """The task's value, or raise its exception."""
        if not self._finished:
            if self._event is None:
                self._event = anyio.Event()
            await self._event.wait()
        if self._error is not None:
            raise self._error
        result: T = self._value
        return result


async def _settle_call(task: Task[Any], fn: Callable[..., Awaitable[Any]],
                       args: tuple[Any, ...]) -> None:
    try:
        awaitable = fn(*args)
    except (Exception, Halt) as exc:
        task._finish(None, exc)
        return
    await _settle(task, awaitable)


async def _settle(task: Task[Any], awaitable: Awaitable[Any]) -> None:
    try:
        value = await awaitable
    except (Exception, Halt) as exc:
        task._finish(None, exc)
    else:
        task._finish(value, None)


class Run:
    """The state of one executing workflow."""

    def __init__(
        self,
        compiled: CompiledWorkflow,
        *,
        args: Any,
        backend: AgentBackend,
        limits: Limits,
        journal: Journal | None = None,
        observers: Sequence[Observer] = (),
        run_id: str | None = None,
        model: str | None = None,
    ) -> None:
        self.compiled = compiled
        self.args = args
        self.backend = backend
        self.limits = limits
        self.journal = journal
        self.observers = tuple(observers)
        self.run_id = run_id
        self.default_model = model
        self.limiter = anyio.CapacityLimiter(limits.concurrency)
        self.keys = KeyCounter()
        self.records: list[AgentRecord] = []
        self.logs: list[str] = []
        self.phases: list[str] = []
        self.usage = Usage()
        self.agents_started = 0
        self.agents_running = 0
        self.agents_failed = 0
        self.started_at = time.monotonic()
        self.deadline = math.inf
        self._halt: Halt | None = None
        self._stopped = False
        self._paused = False
        self._unpaused = anyio.Event()
        self._unpaused.set()
        self._task_group: anyio.abc.TaskGroup | None = None
        self._scope: anyio.CancelScope | None = None
        self._token: anyio.lowlevel.EventLoopToken | None = None
        self._queue: deque[tuple[Coroutine[Any, Any, Any], Task[Any]]] = deque()
        self._workers = 0

    # -- what the sandbox and the primitives call -------------------------------------

    def tick(self) -> None:
        """Called in every script loop iteration: end CPU-bound code on stop or deadline."""
        if self._halt is not None:
            raise self._halt
        if time.monotonic() > self.deadline:
            self._halt = Halt(RunTimeout(self.limits.run_timeout or 0.0))
            raise self._halt

    def spawn(self, fn: Callable[..., Awaitable[T]], *args: Any) -> Task[T]:
        """Start ``fn(*args)`` now in the run's task group; exceptions go to the Task."""
        if self._task_group is None:
            raise RuntimeError("the run is not executing")
        task: Task[T] = Task()
        # fn is called inside the new task: a task cancelled before its first step must
        # not leave a coroutine that was never awaited.
        self._task_group.start_soon(_settle_call, task, fn, args)
        return task

    def submit(self, call: Coroutine[Any, Any, T]) -> Task[T]:
        """Queue an agent call (an ``agent()`` coroutine) for the run's agent workers.

        Like :meth:`spawn` for a JS promise, but a fan-out of thousands of calls does not
        become thousands of tasks queued on the limiter: at most ``concurrency`` workers
        take calls in FIFO order (only that many agents can run at once anyway).
        """
        if self._task_group is None:
            raise RuntimeError("the run is not executing")
        task: Task[T] = Task()
        self._queue.append((call, task))
        if self._workers < self.limits.concurrency:
            self._workers += 1
            self._task_group.start_soon(self._agent_worker)
        return task

    async def _agent_worker(self) -> None:
        try:
            while self._queue:
                call, task = self._queue.popleft()
                await _settle(task, call)
        finally:
            self._workers -= 1

    def emit(self, event: RunEvent) -> None:
        for observer in self.observers:
            observer(event)

    async def wait_unpaused(self) -> None:
        if self._paused:
            await self._unpaused.wait()

    @property
    def spent(self) -> int:
        return self.usage.total_tokens

    # -- control (call from inside the run's event loop) -------------------------------

    @property
    def paused(self) -> bool:
        return self._paused

    def pause(self) -> None:
        """Dispatch no new agent until :meth:`unpause`; in-flight agents finish."""
        if not self._paused:
            self._paused = True
            self._unpaused = anyio.Event()
            self.emit(RunEvent(kind="status", text="paused"))

    def unpause(self) -> None:
        if self._paused:
            self._paused = False
            self._unpaused.set()
            self.emit(RunEvent(kind="status", text="running"))

    def stop(self) -> None:
        """Cancel everything in flight; the run ends with status "stopped"."""
        self._stopped = True
        self._halt = Halt(None)
        self._unpaused.set()
        if self._scope is not None:
            self._scope.cancel()

    @property
    def stop_requested(self) -> bool:
        return self._stopped

    def request_stop(self) -> None:
        """Ask the run to stop; safe anywhere, a signal handler included (flags only).

        Script code that never awaits keeps the event loop busy, so only the loop tick can
        end it: the tick sees the flag at once. Awaiting code is cancelled by whoever
        calls :meth:`stop` from the loop next (the store's supervisor polls for it).
        """
        self._stopped = True
        self._halt = Halt(None)

    def stop_threadsafe(self) -> None:
        """:meth:`stop` from another thread (a watchdog)."""
        self.request_stop()
        token = self._token
        if token is not None:
            try:
                anyio.from_thread.run_sync(self.stop, token=token)
            except RuntimeError:
                pass  # the loop has already finished

    # -- execution ---------------------------------------------------------------------

    async def execute(
        self,
        dsl: dict[str, object],
        supervisors: Sequence[Callable[[Run], Awaitable[None]]] = (),
    ) -> RunResult:
        token = _CURRENT.set(self)
        self._token = anyio.lowlevel.current_token()
        self.started_at = time.monotonic()
        if self.limits.run_timeout is not None:
            self.deadline = self.started_at + self.limits.run_timeout
        self.emit(RunEvent(kind="status", text="running"))
        status: RunStatus = "failed"
        value: Any = None
        error: str | None = None
        try:
            with anyio.CancelScope(deadline=anyio.current_time() + self._remaining()) as scope:
                self._scope = scope
                async with anyio.create_task_group() as tg:
                    self._task_group = tg
                    for supervisor in supervisors:
                        tg.start_soon(self._supervise, supervisor)
                    if supervisors:
                        await anyio.lowlevel.checkpoint()  # let supervisors start first
                    status, value, error = await self._run_script(dsl)
                    tg.cancel_scope.cancel()
            if scope.cancelled_caught:
                status, value, error = self._cancelled_outcome()
        finally:
            self._task_group = None
            self._token = None
            # Script code must not outlive its run (a suspended generator's ``finally``
            # runs when it is collected): every later tick ends it at once.
            self._halt = Halt(None)
            while self._queue:  # calls no worker reached before the run ended
                self._queue.popleft()[0].close()
            _CURRENT.reset(token)
        result = RunResult(
            status=status,
            value=value,
            error=error,
            logs=tuple(self.logs),
            phases=tuple(self.phases),
            agents=tuple(self.records),
            usage=self.usage,
            duration=time.monotonic() - self.started_at,
            run_id=self.run_id,
        )
        self.emit(RunEvent(kind="status", text=status))
        return result

    async def _supervise(self, supervisor: Callable[[Run], Awaitable[None]]) -> None:
        await supervisor(self)

    def _remaining(self) -> float:
        return self.deadline - time.monotonic()

    def _cancelled_outcome(self) -> tuple[RunStatus, Any, str]:
        if self._stopped:
            return "stopped", None, "run stopped"
        return "failed", None, str(RunTimeout(self.limits.run_timeout or 0.0))

    async def _run_script(self, dsl: dict[str, object]) -> tuple[RunStatus, Any, str | None]:
        try:
            raw = await self.compiled.start(dsl, self.tick)
        except Halt as halt:
            if halt.reason is None:
                return "stopped", None, "run stopped"
            return "failed", None, str(halt.reason)
        except Exception as exc:
            return "failed", None, self.describe_error(exc)
        try:
            return "completed", to_json(raw), None
        except TypeError as exc:
            return "failed", None, f"{self.compiled.path}: the result is not JSON-compatible: {exc}"
        except RecursionError:
            return "failed", None, (f"{self.compiled.path}: the result is not JSON-compatible: "
                                    "it is circular or nested too deeply")

    def describe_error(self, exc: BaseException) -> str:
        """``path:line: Type: message`` at the deepest frame of the script itself."""
        exc = unwrap(exc)
        line: int | None = None
        for frame in traceback.extract_tb(exc.__traceback__):
            if frame.filename == self.compiled.path and frame.lineno is not None:
                line = frame.lineno
        message = str(exc) or type(exc).__name__
        if isinstance(exc, FlowError) and message.startswith(self.compiled.path):
            return message
        kind = getattr(exc, "js_name", None) or type(exc).__name__
        if line is None:
            return f"{self.compiled.path}: {kind}: {message}"
        orig_line, _ = self.compiled.original_position(line)
        return f"{self.compiled.path}:{orig_line}: {kind}: {message}"


def raise_from_group(group: BaseExceptionGroup[BaseException]) -> None:
    """Re-raise what a task group collected: a :class:`Halt` first, else the lone error."""
    halts = group.subgroup(lambda exc: isinstance(exc, Halt))
    if halts is not None:
        raise unwrap_first(halts) from None
    raise unwrap(group)


def unwrap_first(exc: BaseException) -> BaseException:
    while isinstance(exc, BaseExceptionGroup):
        exc = exc.exceptions[0]
    return exc


def unwrap(exc: BaseException) -> BaseException:
    """Single-exception groups are unwrapped before scripts or callers see them."""
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    return exc


def to_json(value: Any) -> Any:
    """A JSON-compatible copy of a script's result (tuples become lists).

    Raises:
        TypeError: the value holds something JSON cannot represent.
    """
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None
        return value
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str | int | float | bool) and key is not None:
                raise TypeError(f"dict key {key!r} is not a string")
            out[key if isinstance(key, str) else str(key)] = to_json(item)
        return out
    if isinstance(value, list | tuple):
        return [to_json(item) for item in value]
    raise TypeError(f"{type(value).__name__} value {value!r:.60}")
