"""The event loop: uvloop when installed unless FLOWDSL_UVLOOP turns it off."""

from __future__ import annotations

import asyncio
import importlib.util

import pytest

from flowdsl._event_loop import UVLOOP_ENV, run_loop, uses_uvloop

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
