"""The agent the distributed tests run on their workers: it sleeps as its prompt says and
logs every start, end and cancellation, with the time and its process id, to the file
``$FLOWDSL_PROBE_LOG`` (one line per event, appended: the workers of a test share it).

A prompt is JSON: ``{"i": 3, "sleep": 0.5, "tokens": 10, "fail": "ValueError"}``;
``"fail_once": true`` fails the first time only (a marker file beside the log).
Loaded by the workers as ``probe_backend:make`` from the test project's directory.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import anyio

from flowdsl._types import AgentRequest, AgentResult, Usage
from flowdsl.errors import BackendConfigError


def _log(event: str, prompt: str) -> None:
    line = f"{time.time():.6f} {os.getpid()} {event} {prompt}\n"
    fd = os.open(os.environ["FLOWDSL_PROBE_LOG"], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


def _first_time(i: int) -> bool:
    """Whether probe ``i`` has not failed before (a marker file beside the log)."""
    marker = Path(f"{os.environ['FLOWDSL_PROBE_LOG']}.failed-{i}")
    if marker.exists():
        return False
    marker.touch()
    return True


class Probe:
    async def run(self, request: AgentRequest) -> AgentResult:
        spec = json.loads(request.prompt)
        _log("start", request.prompt)
        try:
            await anyio.sleep(float(spec.get("sleep", 0.0)))
        except BaseException:
            _log("cancelled", request.prompt)
            raise
        if spec.get("fail") == "config":
            _log("end", request.prompt)
            raise BackendConfigError("the probe has no key")
        if spec.get("fail_once") and _first_time(spec["i"]):
            _log("end", request.prompt)
            raise ValueError(f"probe failure {spec['i']} (once)")
        if spec.get("fail"):
            _log("end", request.prompt)
            raise ValueError(f"probe failure {spec['i']}")
        _log("end", request.prompt)
        tokens = int(spec.get("tokens", 10))
        return AgentResult(output=f"done {spec['i']}",
                           usage=Usage(input_tokens=tokens, output_tokens=tokens))


def make() -> Probe:
    return Probe()
