"""The event loop: uvloop when installed unless FLOWDSL_UVLOOP turns it off."""

from __future__ import annotations

import asyncio
import collections.abc
import importlib.util
import inspect
import types
from collections.abc import Awaitable, Callable, Generator

import anyio
import anyio.lowlevel
import pytest

from flowdsl._event_loop import (
    ITERABLE_COROUTINE,
    UVLOOP_ENV,
    is_awaitable,
    loop_turn,
    run_loop,
    uses_uvloop,
)

needs_uvloop = pytest.mark.skipif(importlib.util.find_spec("uvloop") is None,
                                  reason="uvloop is not installed (pip install 'flowdsl[fast]')")


async def loop_module(tag: str) -> tuple[str, str]:
    return tag, type(asyncio.get_running_loop()).__module__


@needs_uvloop
def test_the_loop_is_uvloop_when_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(UVLOOP_ENV, raising=False)
    assert uses_uvloop()
    assert run_loop(loop_module, "x") == ("x", "uvloop")


@pytest.mark.parametrize("value", ["0", "false", "off", " No "])
def test_the_environment_turns_it_off(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(UVLOOP_ENV, value)
    assert not uses_uvloop()
    assert run_loop(loop_module, "y")[1].startswith("asyncio")


# -- the agent path's loop turn and awaitable check -----------------------------------

async def _turns_taken(turn: Callable[[], Awaitable[None]]) -> list[str]:
    """What two tasks record when one of them takes ``turn`` between its two steps."""
    seen: list[str] = []

    async def turning() -> None:
        seen.append("a1")
        await turn()
        seen.append("a2")

    async def other() -> None:
        seen.append("b")

    async with anyio.create_task_group() as tg:
        tg.start_soon(turning)
        tg.start_soon(other)
    return seen


def test_a_turn_on_asyncio_lets_the_other_tasks_run_as_anyios_checkpoint_does() -> None:
    async def both() -> tuple[list[str], list[str], bool]:
        turn = loop_turn()
        return (await _turns_taken(turn), await _turns_taken(anyio.lowlevel.checkpoint),
                turn is not anyio.lowlevel.checkpoint)

    ours, anyios, own = anyio.run(both)
    assert ours == anyios == ["a1", "b", "a2"]
    assert own  # on asyncio, the bare yield rather than anyio's checkpoint


def test_a_cancelled_scope_ends_a_task_at_its_turn() -> None:
    async def cut_short() -> list[str]:
        turn = loop_turn()
        seen: list[str] = []
        with anyio.CancelScope() as scope:
            scope.cancel()
            await turn()
            seen.append("went on")
        return seen

    assert anyio.run(cut_short) == []


def test_outside_an_asyncio_task_the_turn_is_anyios_checkpoint() -> None:
    assert loop_turn() is anyio.lowlevel.checkpoint


class _Awaits:
    def __await__(self) -> Generator[None, None, None]:
        yield


class _Registered:
    pass


collections.abc.Awaitable.register(_Registered)


@types.coroutine
def _generator_based() -> Generator[None, None, None]:
    yield


def _plain_generator() -> Generator[None, None, None]:
    yield


async def _native() -> None:
    pass


@pytest.mark.parametrize("make", [
    _native, _generator_based, _plain_generator, _Awaits, lambda: 3, lambda: {"then": 1},
    lambda: _Awaits, lambda: None,
], ids=["coroutine", "generator-based", "generator", "__await__", "int", "dict", "class",
        "None"])
def test_is_awaitable_answers_as_inspect_does(make: Callable[[], object]) -> None:
    value = make()
    try:
        assert is_awaitable(value) is inspect.isawaitable(value)
    finally:
        if isinstance(value, types.CoroutineType | types.GeneratorType):
            value.close()


def test_a_class_only_registered_as_awaitable_is_not_awaitable() -> None:
    value = _Registered()
    assert inspect.isawaitable(value)
    assert not is_awaitable(value)

    async def wait() -> None:
        await value  # type: ignore[misc]

    with pytest.raises(TypeError, match="can't be used in 'await' expression"):
        anyio.run(wait)


def test_the_flag_is_inspects() -> None:
    assert ITERABLE_COROUTINE == inspect.CO_ITERABLE_COROUTINE
