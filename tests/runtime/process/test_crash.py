"""The one-line reasons of a script process that ended without reporting."""

from __future__ import annotations

import pytest

from flowdsl._frontends import compile_source
from flowdsl._runtime._process._crash import crash_reason, script_line, stall_reason

SCRIPT = compile_source('meta = {"name": "t", "description": "d"}\nx = 1\n', "/w/t.flow.py")
SCRIPTS = {SCRIPT.path: SCRIPT}

DUMP = """Fatal Python error: Segmentation fault

Current thread 0x00007f (most recent call first):
  File "/venv/lib/python3.11/site-packages/anyio/_core.py", line 40 in run
  File "/w/t.flow.py", line 7 in __flow_main__
  File "/w/t.flow.py", line 3 in helper
"""

REASONS = [
    (-11, DUMP, "worker crashed (SIGSEGV) at /w/t.flow.py:7"),
    (-9, "", "worker crashed (SIGKILL)"),
    (-6, "Traceback ...\nMemoryError\n", "memory limit of 512 MiB exceeded"),
    (1, "Traceback ...\nRuntimeError: boom\n",
     "worker exited with status 1 without reporting: RuntimeError: boom"),
    (-77, "", "worker crashed (signal 77)"),
]


@pytest.mark.parametrize(("returncode", "stderr", "reason"), REASONS)
def test_a_dead_child_gets_a_one_line_reason(returncode: int, stderr: str, reason: str) -> None:
    assert crash_reason(returncode, stderr, 512 * 1024**2, SCRIPTS) == reason


def test_the_innermost_script_frame_names_the_line() -> None:
    assert script_line(DUMP, SCRIPTS) == "/w/t.flow.py:7"


def test_a_dump_without_a_script_frame_names_no_line() -> None:
    assert script_line('  File "/x.py", line 1 in f\n', SCRIPTS) is None
    assert stall_reason(30.0, "", SCRIPTS) == (
        "script stalled for 30 s (its event loop stopped: stall_timeout)")
