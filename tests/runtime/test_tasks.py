"""Run.spawn / Run.submit: eager tasks (JS promises) and the queued agent workers."""

from __future__ import annotations

import gc
from pathlib import Path

import flowdsl
from flowdsl.testing import SleepBackend

JS_META = "export const meta = {name: 't', description: 'd'};\n"


def write_js(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "t.js"
    path.write_text(JS_META + body, encoding="utf-8")
    return path


def test_queued_agent_calls_respect_the_limiter_and_keep_order(tmp_path):
    backend = SleepBackend(0.002)
    path = write_js(tmp_path, "const r = await Promise.all(Array.from({length: 200},\n"
                              "  (_, i) => agent('p' + i, {label: 'l' + i})));\n"
                              "return r.map((x) => x.slice(6));")
    result = flowdsl.run(path, backend=backend, concurrency=4)
    assert result.status == "completed"
    assert result.value == [f"l{i}" for i in range(200)]
    assert backend.peak_in_flight == 4
    assert backend.calls == 200


def test_agent_calls_still_queued_when_the_run_fails_are_closed_cleanly(tmp_path):
    backend = SleepBackend(0.01)
    path = write_js(tmp_path, "await agent('first');\n"
                              "for (let i = 0; i < 50; i++) agent('p' + i);\n"
                              "throw new Error('stop here');")
    result = flowdsl.run(path, backend=backend, concurrency=2)
    gc.collect()  # an unawaited coroutine would warn here (warnings are errors in tests)
    assert result.status == "failed"
    assert "stop here" in (result.error or "")
    assert backend.calls <= 3  # 'first', then at most the two workers' first calls


def test_a_promise_awaited_after_it_settled_needs_no_wait(tmp_path):
    path = write_js(tmp_path, "const p = agent('x');\nawait agent('y');\nawait agent('z');\n"
                              "return (await p).startsWith('done');")
    assert flowdsl.run(path, backend=SleepBackend(0)).value is True
