"""Red-team payloads against the run boundary: the runtime's helpers, the script's
process and the CLI, end to end (``flowdsl.run`` on ``.flow.py`` and ``.js`` files).

Every row of :data:`TABLE` is one payload with its exact outcome: refused before the run
(``ScriptError``), or a run that ends ``failed`` with a one-line reason naming the
script line, or ``completed`` with a value proving the payload had no effect. Whatever
the outcome, :func:`test_payload` also checks the walls around it:

- the run ends within its deadline + 5 s (script processes are killed, none is left);
- a secret planted in a file and in ``os.environ`` reaches no value, error, log line,
  phase or agent record, and no connection reaches a listening loopback port;
- every agent the backend saw is one record, and the run's usage is what it reported;
- the caller's ``args`` object is unchanged, and this process grew by < 100 MB.

The classes: 1 hidden powers of agent schemas, 2 caller data, 3 process killers (deep
C recursion), 4 deadlines against single C calls, 5 code left behind by a run, 6 memory,
7 output, 8 forgotten awaits, 9 escapes from the script's process (the seccomp filter
itself, tested directly: scripts cannot run the code that would try them).
"""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import platform
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import anyio
import pytest

import flowdsl
from flowdsl._types import AgentRequest, AgentResult, RunResult, Usage
from flowdsl.backends import load_backend
from flowdsl.errors import BackendError, SandboxViolation, ScriptError
from flowdsl.testing import FunctionBackend

from .conftest import HEADER


def _load_process_conftest() -> ModuleType:
    path = Path(__file__).resolve().parents[1] / "runtime" / "process" / "conftest.py"
    spec = importlib.util.spec_from_file_location("_process_conftest", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


child_pids: Callable[..., list[int]] = _load_process_conftest().child_pids

JS_META = "export const meta = { name: 't', description: 't' };\n"
"""Line 1 of every JavaScript payload (HEADER is line 1 of the Python ones)."""

SECRET = "flowdsl-boundary-s3cret-51f0"
SECRET_ENV = "FLOWDSL_TEST_SECRET"
USAGE = Usage(input_tokens=3, output_tokens=4)
RUN_TIMEOUT = 10.0
"""The run deadline of rows that set none: a row that hangs fails, it does not hang."""
SLACK = 5.0
"""Seconds past its deadline a run may take to end (the process boundary's grace)."""
RSS_GROWTH = 100 * 1024**2
MEMORY = {"memory_limit": 512 * 1024**2}
STALL = {"stall_timeout": 1.0, "run_timeout": 3.0}
MEMORY_EXCEEDED = "memory limit of 512 MiB exceeded"
OUTSIDE = ("agent schema {} must point inside the schema (a '#...' reference, or an $id the "
           "schema defines)")
SELF_REFERENCE = ("output could not be checked against the schema: the schema refers to itself "
                  "without end")
CAP = "AgentLimitExceeded: agent limit of 1,000 reached: the run may start at most 1,000"
NEVER_AWAITED = ("agent() was called but its result was never awaited (write `await agent(...)`, "
                 "or pass the call to parallel())")
ESCAPES = "\x1b]0;pwned\x07\x1b[2J\x9d8;;http://evil\x9c\x90q\x9c\x1b[31m"
"""OSC 0 (title), CSI (clear), 8-bit OSC 8 (hyperlink), 8-bit DCS, SGR."""
ESCAPED = "\\x1b]0;pwned\\x07\\x1b[2J\\x9d8;;http://evil\\x9c\\x90q\\x9c\\x1b[31m"
"""ESCAPES as the CLI shows it."""
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
"""What the CLI must never print raw (newline and tab may)."""
HUGE_INTS = 'x = int("1" * 10**7, 2)\ny = int("1" * (5 * 10**6), 2)\n'
"""Two ints of 10 and 5 million bits: building them is linear, using them is not."""

Check = Callable[[RunResult, "CountingBackend", Path], None]


# -- the backend: counts calls and the usage it reported -----------------------------------


def _ok(request: AgentRequest) -> AgentResult:
    return AgentResult(output="ok", usage=USAGE)


async def _ok_later(request: AgentRequest) -> AgentResult:
    await anyio.sleep(0.2)
    return _ok(request)


class CountingBackend:
    """Wraps a backend; keeps every request and the usage its answers reported."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.requests: list[AgentRequest] = []
        self.usage = Usage()

    async def run(self, request: AgentRequest) -> AgentResult:
        self.requests.append(request)
        try:
            result: AgentResult = await self.inner.run(request)
        except BackendError as exc:
            self.usage = self.usage + (exc.usage or Usage())
            raise
        self.usage = self.usage + result.usage
        return result


# -- rows ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    body: str
    outcome: str
    """"refused" (a ScriptError from flowdsl.run), "failed" or "completed"."""
    expect: Any = None
    """The error text (a substring) for refused/failed; the value for completed."""
    line: int | None = None
    """The script line a failed run's error must name (``path:line``)."""
    js: bool = False
    calls: int = 0
    """Backend calls the row causes, exactly."""
    answer: Callable[[AgentRequest], Any] = _ok
    simulate: bool = False
    """Use the simulate backend (counted) instead of ``answer``."""
    knobs: Mapping[str, Any] = field(default_factory=dict)
    args: Any = None
    record_error: str | None = None
    """Every agent record failed with exactly this text."""
    check: Check | None = None


def row(ident: str, body: str, outcome: str, expect: Any = None, *,
        marks: Any = (), **fields: Any) -> Any:
    return pytest.param(Case(body, outcome, expect, **fields), id=ident, marks=marks)


def stalled(line: int) -> str:
    return f"script stalled for 1 s at @PATH@:{line} (its event loop stopped: stall_timeout)"


def _agent_call(schema: str) -> str:
    return f'return await agent("x", schema={schema})'


# -- 1. hidden powers of the runtime's helpers (agent schemas) -----------------------------

_SELF_30 = ('out = []\nfor i in range(30):\n'
            '    out.append(await agent(f"x{i}", schema={"$ref": "#"}))\nreturn out')
_DEEP_SCHEMA = ('s = {}\nfor i in range(10**5):\n    s = {"items": s}\n'
                'return await agent("x", schema=s)')
_DEEP_SCHEMA_JS = ('let s = {};\nfor (let i = 0; i < 100000; i++) s = { items: s };\n'
                   'return await agent("x", { schema: s });')
_LISTENED = ('{"$schema": "http://127.0.0.1:@PORT@/meta", "$id": "http://127.0.0.1:@PORT@/a.json", '
             '"$defs": {"b": {"$id": "http://127.0.0.1:@PORT@/b.json", "type": "string"}}, '
             '"$ref": "http://127.0.0.1:@PORT@/b.json"}')


def _huge_array(request: AgentRequest) -> AgentResult:
    return AgentResult(output=list(range(10**6)), usage=USAGE)


SCHEMAS = [
    row("1-ref-file-secret", _agent_call('{"$ref": "@SECRET_URI@"}'), "failed",
        "SchemaError: " + OUTSIDE.format("$ref"), line=2),
    row("1-ref-loopback-url", _agent_call('{"$ref": "http://127.0.0.1:@PORT@/"}'), "failed",
        "SchemaError: " + OUTSIDE.format("$ref"), line=2),
    row("1-ref-dev-stdin", _agent_call('{"$ref": "/dev/stdin"}'), "failed",
        "SchemaError: " + OUTSIDE.format("$ref"), line=2),
    row("1-ref-self-30-calls", _SELF_30, "completed", [None] * 30, calls=30,
        record_error=SELF_REFERENCE),
    row("1-dynamicref-file", _agent_call('{"$defs": {"a": {"$dynamicRef": "@SECRET_URI@#x"}}}'),
        "failed", "SchemaError: " + OUTSIDE.format("$dynamicRef"), line=2),
    row("1-dynamicref-loop",
        _agent_call('{"$dynamicAnchor": "m", "anyOf": [{"$dynamicRef": "#m"}]}'), "completed",
        None, calls=1, record_error=SELF_REFERENCE),
    row("1-schema-and-ids-at-listened-urls", _agent_call(_LISTENED), "completed", "ok", calls=1),
    row("1-schema-dialect-is-secret-file",
        _agent_call('{"$schema": "@SECRET_URI@", "type": "integer"}'), "completed", None,
        calls=1, record_error="output does not match the schema at $: 'type'"),
    row("1-simulate-huge-minItems", _agent_call('{"type": "array", "minItems": 10**9}'),
        "completed", None, calls=1, simulate=True,
        record_error=("BackendError: cannot make a fake value for this schema: minItems asks "
                      "for more than 1,000 items")),
    row("1-simulate-huge-minLength", _agent_call('{"type": "string", "minLength": 10**9}'),
        "completed", None, calls=1, simulate=True,
        record_error=("BackendError: cannot make a fake value for this schema: minLength asks "
                      "for more than 100,000 characters")),
    row("1-uniqueItems-on-a-million-items", _agent_call('{"type": "array", "uniqueItems": True}'),
        "completed", None, calls=1, answer=_huge_array,
        record_error=("output could not be checked against the schema: it takes more than "
                      "100,000 validation steps")),
    row("1-catastrophic-propertyNames-pattern",
        _agent_call('{"propertyNames": {"pattern": "^(x|xx)+y$"}}'), "failed",
        "SchemaError: agent schema pattern is refused", line=2),
    row("1-catastrophic-patternProperties-key",
        _agent_call('{"patternProperties": {"^(a|ab)*c$": {}}}'), "failed",
        "SchemaError: agent schema patternProperties is refused", line=2),
    row("1-schema-1e5-deep", _DEEP_SCHEMA, "failed",
        "SchemaError: agent schema is nested too deeply", line=5),
    row("1-js-ref-file-secret",
        'return await agent("x", { schema: { $ref: "@SECRET_URI@" } });', "failed",
        "SchemaError: " + OUTSIDE.format("$ref"), line=2, js=True),
    row("1-js-schema-1e5-deep", _DEEP_SCHEMA_JS, "failed",
        "RecursionError: maximum recursion depth exceeded", line=4, js=True),
]


# -- 2. caller data --------------------------------------------------------------------------

_MUTATE_ARGS = 'args["k"].append(3)\nargs["n"]["m"] = 2\nargs["new"] = 1\nreturn args'
_MUTATED = {"k": [1, 2, 3], "n": {"m": 2}, "new": 1}
_MUTATE_SCHEMA = (
    's = {"type": "object", "properties": {"a": {"type": "string"}}}\n'
    'call = agent("x", schema=s)\ns["type"] = "integer"\ns["properties"]["a"]["type"] = "null"\n'
    's["required"] = ["zzz"]\nreturn await call'
)
_MUTATE_SCHEMA_JS = (
    'const s = { type: "object", properties: { a: { type: "string" } } };\n'
    'const call = agent("x", { schema: s });\ns.type = "integer";\n'
    's.properties.a.type = "null";\ns.required = ["zzz"];\nreturn await call;'
)
_SENT_SCHEMA = {"type": "object", "properties": {"a": {"type": "string"}}}
_MUTATE_OUTPUT = (
    'r = await agent("x", schema={"type": "object"})\nr["k"].append("evil")\nr["new"] = 1\n'
    'return r'
)


def _object(request: AgentRequest) -> AgentResult:
    return AgentResult(output={"a": "A", "k": [1]}, usage=USAGE)


def _saw_the_schema_as_called(result: RunResult, backend: CountingBackend, path: Path) -> None:
    assert [r.schema for r in backend.requests] == [_SENT_SCHEMA]
    assert result.agents[0].request.schema == _SENT_SCHEMA


def _record_keeps_the_backend_output(result: RunResult, backend: CountingBackend,
                                     path: Path) -> None:
    assert result.agents[0].output == {"a": "A", "k": [1]}


CALLER_DATA = [
    row("2-args-mutated-process", _MUTATE_ARGS, "completed", _MUTATED,
        args={"k": [1, 2], "n": {"m": 1}}),
    row("2-args-mutated-inline", _MUTATE_ARGS, "completed", _MUTATED,
        args={"k": [1, 2], "n": {"m": 1}}, knobs={"isolation": "inline"}),
    row("2-schema-mutated-before-await", _MUTATE_SCHEMA, "completed", {"a": "A", "k": [1]},
        calls=1, answer=_object, check=_saw_the_schema_as_called),
    row("2-js-schema-mutated-before-await", _MUTATE_SCHEMA_JS, "completed",
        {"a": "A", "k": [1]}, calls=1, answer=_object, js=True,
        check=_saw_the_schema_as_called),
    row("2-agent-output-mutated-process", _MUTATE_OUTPUT, "completed",
        {"a": "A", "k": [1, "evil"], "new": 1}, calls=1, answer=_object,
        check=_record_keeps_the_backend_output),
    row("2-agent-output-mutated-inline", _MUTATE_OUTPUT, "completed",
        {"a": "A", "k": [1, "evil"], "new": 1}, calls=1, answer=_object,
        knobs={"isolation": "inline"}, check=_record_keeps_the_backend_output),
]


# -- 3. process killers ------------------------------------------------------------------------

def _nested_none(depth: int) -> object:
    value: object = None
    for _ in range(depth):
        value = [value]
    return value


_DEEP_TUPLE = "t = ()\nfor i in range(10**6):\n    t = (t,)\n"
_TWO_DEEP_TUPLES = "t = ()\nu = ()\nfor i in range(10**6):\n    t = (t,)\n    u = (u,)\n"
_SWEEP = (
    "async def deep(n):\n    if n == 0:\n        return await {call}\n"
    "    return await deep(n - 1)\nfor d in range(850, 1000):\n    try:\n"
    "        await deep(d)\n    except RecursionError:\n        pass\nreturn 'survived'"
)


def _chain(wrap: str) -> str:
    return (f"it = [1]\nfor i in range(2 * 10**5):\n    it = {wrap}\n"
            "for x in it:\n    pass\nreturn 1")


KILLERS = [
    row("3-deep-tuple-in-a-set", _DEEP_TUPLE + "s = {t}\nreturn 1", "failed",
        "worker crashed (SIGSEGV) at @PATH@:5"),
    row("3-deep-tuples-compared-eq", _TWO_DEEP_TUPLES + "return t == u", "failed",
        "RecursionError: maximum recursion depth exceeded in comparison", line=7),
    row("3-deep-tuples-compared-lt", _TWO_DEEP_TUPLES + "return t < u", "failed",
        "RecursionError: maximum recursion depth exceeded in comparison", line=7),
    row("3-map-chain-iterated", _chain("map(abs, it)"), "failed",
        "worker crashed (SIGSEGV) at @PATH@:5"),
    row("3-filter-chain-iterated", _chain("filter(None, it)"), "failed",
        "worker crashed (SIGSEGV) at @PATH@:5"),
    row("3-zip-chain-iterated", _chain("zip(it)"), "failed",
        "worker crashed (SIGSEGV) at @PATH@:5"),
    # the 65th nested fan-out fails (its item becomes None): 64 nested lists come back
    row("3-parallel-nested-without-end",
        "async def f(n):\n    return await parallel([lambda: f(n + 1)])\nreturn await f(0)",
        "completed", _nested_none(64), knobs={"run_timeout": 1.0}),
    row("3-parallel-nested-without-end-inline",
        "async def f(n):\n    return await parallel([lambda: f(n + 1)])\nreturn await f(0)",
        "completed", _nested_none(64), knobs={"run_timeout": 1.0, "isolation": "inline"}),
    row("3-recursion-limit-around-parallel", _SWEEP.format(call="parallel([lambda: 1])"),
        "completed", "survived"),
    row("3-recursion-limit-around-pipeline",
        _SWEEP.format(call="pipeline([1], lambda p: p)"), "completed", "survived"),
    row("3-js-deep-array-stringified",
        "let a = [];\nfor (let i = 0; i < 100000; i++) a = [a];\nreturn JSON.stringify(a).length;",
        "failed", "RecursionError: maximum recursion depth exceeded", line=4, js=True),
    row("3-js-deep-array-returned",
        "let a = [];\nfor (let i = 0; i < 100000; i++) a = [a];\nreturn a;",
        "failed", "RecursionError: maximum recursion depth exceeded", line=4, js=True),
]


# -- 4. deadlines against single C calls (each first awaits, so the stall clock runs) -------

_WARM = 'await agent("warm")\n'
_GCD = ('import math\n' + _WARM + 'x = int(hex(3**60000)[2:] * 100, 16)\n'
        'y = int(hex(5**40000)[2:] * 100, 16)\nreturn math.gcd(x, y) > 0')

C_CALLS = [
    row("4-mod-of-huge-ints", _WARM + HUGE_INTS + "return x % y > 0", "failed",
        stalled(5), calls=1, knobs=STALL),
    row("4-divmod-of-huge-ints", _WARM + HUGE_INTS + "return divmod(x, y)[1] > 0", "failed",
        stalled(5), calls=1, knobs=STALL),
    row("4-isqrt-of-a-huge-int", "import math\n" + _WARM + HUGE_INTS + "return math.isqrt(x) > 0",
        "failed", stalled(6), calls=1, knobs=STALL),
    row("4-gcd-of-huge-ints", _GCD, "failed", stalled(6), calls=1, knobs=STALL),
    row("4-modular-pow-of-a-huge-int", HUGE_INTS + "return pow(3, x, y)", "failed",
        "`pow()` with a modulus is too big for a workflow", line=4, knobs=STALL),
    row("4-str-of-a-huge-int", HUGE_INTS + "return len(str(x))", "failed",
        "ValueError: Exceeds the limit (4300 digits) for integer string conversion", line=4,
        knobs=STALL),
    row("4-regex-overlapping-alternation",
        'import re\n' + _WARM + 'return bool(re.match(r"(?:x|xx|y)*z", "x" * 5000))',
        "failed", stalled(4), calls=1, knobs=STALL),
    row("4-regex-bounded-repeat-of-dot-star",
        'import re\n' + _WARM + 'return bool(re.match(r"(.*a){15}x", "a" * 5000))',
        "failed", stalled(4), calls=1, knobs=STALL),
    row("4-js-regex-overlapping-alternation",
        'await agent("warm");\nreturn /(?:x|xx|y)*z/.test("x".repeat(5000));', "failed",
        stalled(3), calls=1, js=True, knobs=STALL),
    row("4-js-sort-1M-with-comparator",
        "const a = [];\nfor (let i = 0; i < 1000000; i++) a.push((i * 7919) % 1000003);\n"
        "a.sort((x, y) => x - y);\nreturn a[0];", "failed",
        "run exceeded its wall-clock limit of 2 s", js=True,
        knobs={"stall_timeout": 1.0, "run_timeout": 2.0}),
    row("4-c-call-before-the-first-await", "return round(7, -(10**8))", "failed",
        stalled(2), knobs={"stall_timeout": 1.0, "run_timeout": 1.5}),
]


# -- 5. code left behind by a run (JavaScript: an abandoned async function) ----------------

_ABANDONED = ('await agent("warm");\nasync function bomb() {{\n  try {{\n'
              '    await new Promise(() => {{}});\n  }} finally {{\n    {cleanup}\n  }}\n}}\n'
              'bomb();\nreturn "done";')

LEFT_BEHIND = [
    row("5-js-abandoned-finally-loops", _ABANDONED.format(cleanup="while (true) {}"),
        "completed", "done", calls=1, js=True, knobs={"stall_timeout": 1.0, "run_timeout": 2.0}),
    row("5-js-abandoned-finally-c-call",
        _ABANDONED.format(cleanup='/(?:x|xx|y)*z/.test("x".repeat(5000));'), "completed",
        "done", calls=1, js=True, knobs=STALL),
    row("5-import-gc-to-collect-early", "import gc\ngc.collect()\nreturn 1", "refused",
        "`gc` is not available in workflows"),
]


# -- 6. memory -------------------------------------------------------------------------------

MEMORY_ROWS = [
    row("6-str-center-3GiB", 'x = "x".center(3 * 1024**3)\nreturn 1', "failed",
        f"@PATH@:2: {MEMORY_EXCEEDED}", knobs=MEMORY),
    row("6-percent-star-width", 'x = "%*d" % (3 * 10**9, 1)\nreturn 1', "failed",
        f"@PATH@:2: {MEMORY_EXCEEDED}", knobs=MEMORY),
    row("6-format-spec-width", 'n = 3 * 10**9\nx = f"{1:{n}}"\nreturn 1', "failed",
        f"@PATH@:3: {MEMORY_EXCEEDED}", knobs=MEMORY),
    row("6-list-extend-own-iterator", "l = [1]\nl.extend(iter(l))\nreturn 1", "failed",
        f"@PATH@:3: {MEMORY_EXCEEDED}", knobs=MEMORY),
    row("6-string-doubling-loop", 's = "x"\nwhile True:\n    s = s + s\nreturn 1', "failed",
        f"@PATH@:4: {MEMORY_EXCEEDED}", knobs=MEMORY),
    row("6-join-with-a-10M-separator", 's = "x" * 10**7\nx = s.join(["a"] * 100)\nreturn 1',
        "failed", f"@PATH@:3: {MEMORY_EXCEEDED}", knobs=MEMORY),
    row("6-bytearray-is-not-there", "x = bytearray(10)\nx.extend(x)\nreturn 1", "failed",
        "NameError: name 'bytearray' is not defined", line=2, knobs=MEMORY),
    row("6-import-resource-to-lift-the-cap",
        "import resource\nresource.setrlimit(resource.RLIMIT_AS, (-1, -1))\nreturn 1",
        "refused", "`resource` is not available in workflows"),
    row("6-js-new-Array-4.5e8", "const a = new Array(4.5e8);\nreturn a.length;", "failed",
        f"@PATH@:2: {MEMORY_EXCEEDED}", js=True, knobs=MEMORY),
    row("6-js-array-length-4.5e8", "const a = [];\na.length = 4.5e8;\nreturn a.length;",
        "failed", f"@PATH@:3: {MEMORY_EXCEEDED}", js=True, knobs=MEMORY),
    row("6-js-string-doubling-loop", 'let s = "x";\nwhile (true) s = s + s;', "failed",
        f"@PATH@:3: {MEMORY_EXCEEDED}", js=True, knobs=MEMORY),
    row("6-js-repeat-2-31", 'return "x".repeat(2 ** 31).length;', "failed",
        "RangeError: Invalid string length", line=2, js=True, knobs=MEMORY),
]


# -- 7. output -------------------------------------------------------------------------------

_LOG_FLOOD = 'for i in range(50):\n    log("x".center(10**7))\nreturn 1'
_LOG_FLOOD_JS = 'for (let i = 0; i < 50; i++) console.log("x".repeat(1e7));\nreturn 1;'
_LINE_CAP = "RunError: log line of 10000000 characters is over the limit of 10000 (max_log_line)"
_HOSTILE_API = (
    f'E = {ESCAPES!r}\nphase("ph" + E)\nlog("lg" + E)\nprint("pr" + E)\n'
    'r = await agent("ag" + E, label="lb" + E)\nreturn {"v": "rs" + E, "k" + E: r}'
)


def _store_stays_small(result: RunResult, backend: CountingBackend, path: Path) -> None:
    store = path.parent / "store"
    size = sum(f.stat().st_size for f in store.rglob("*") if f.is_file())
    assert 0 < size < 5 * 1024**2


def _escapes_are_data(result: RunResult, backend: CountingBackend, path: Path) -> None:
    assert result.phases == ("ph" + ESCAPES,)
    assert result.logs == ("lg" + ESCAPES, "pr" + ESCAPES)
    assert [(r.prompt, r.label) for r in backend.requests] == [("ag" + ESCAPES, "lb" + ESCAPES)]
    assert result.agents[0].request.label == "lb" + ESCAPES


OUTPUT = [
    row("7-log-flood-50x10M", _LOG_FLOOD, "failed", _LINE_CAP, line=3,
        knobs={"journal": True}, check=_store_stays_small),
    row("7-js-log-flood-50x10M", _LOG_FLOOD_JS, "failed", _LINE_CAP, line=2, js=True,
        knobs={"journal": True}, check=_store_stays_small),
    row("7-escapes-reach-the-api-as-data", _HOSTILE_API, "completed",
        {"v": "rs" + ESCAPES, "k" + ESCAPES: "ok"}, calls=1, check=_escapes_are_data),
    row("7-result-int-over-4300-digits", "return 10**5000", "failed",
        "@PATH@: the result is not JSON-compatible"),
]


# -- 8. forgotten awaits ---------------------------------------------------------------------

FORGOTTEN = [
    row("8-agent-as-a-statement", 'x = 1\nagent("hi")\nreturn 2', "failed",
        f"@PATH@:3: {NEVER_AWAITED}"),
    row("8-agent-call-dropped-later", 'c = agent("hi")\nc = None\nreturn 2', "failed",
        f"@PATH@:2: {NEVER_AWAITED}"),
    row("8-agent-statement-in-a-function", 'def f():\n    agent("hi")\nf()\nreturn 2', "failed",
        f"@PATH@:3: {NEVER_AWAITED}"),
    row("8-a-million-unawaited-calls", 'calls = [agent("x") for i in range(10**6)]\nreturn 1',
        "failed", CAP, line=2),
    row("8-a-million-calls-into-parallel",
        'return len(await parallel([agent("x") for i in range(10**6)]))', "failed", CAP, line=2),
    row("8-unawaited-parallel-of-thunks", 'parallel([lambda: agent("x")])\nreturn 1', "failed",
        "@PATH@:2: parallel() was called but its result was never awaited"),
    row("8-unawaited-pipeline", 'pipeline([1], lambda p: agent("x"))\nreturn 1', "failed",
        "@PATH@:2: pipeline() was called but its result was never awaited"),
    # the script returned before the parent started the agent: nothing paid, nothing owed
    row("8-js-agent-as-a-statement-is-accounted", 'agent("hi");\nreturn 1;', "completed", 1,
        calls=0, js=True, answer=_ok_later),
    row("8-js-3000-promises-hit-the-cap",
        'const ps = [];\nfor (let i = 0; i < 3000; i++) ps.push(agent("x" + i));\n'
        'await Promise.all(ps);\nreturn 1;', "failed", CAP, line=4, calls=1000, js=True),
]


TABLE = [*SCHEMAS, *CALLER_DATA, *KILLERS, *C_CALLS, *LEFT_BEHIND, *MEMORY_ROWS, *OUTPUT,
         *FORGOTTEN]


# -- the table's test ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def listener() -> Iterator[socket.socket]:
    """A loopback port nothing should ever connect to."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.setblocking(False)
    yield server
    server.close()


def _nobody_connected(server: socket.socket) -> bool:
    try:
        conn, _ = server.accept()
    except BlockingIOError:
        return True
    conn.close()
    return False


def _rss() -> int:
    status = Path("/proc/self/status").read_text()
    kib = next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:"))
    return int(kib) * 1024


def _texts(result: RunResult) -> list[str]:
    out = [repr(result.value), result.error or "", *result.logs, *result.phases]
    for record in result.agents:
        out += [repr(record.output), record.error or ""]
    return out


def _write(tmp_path: Path, case: Case, listener: socket.socket) -> Path:
    secret = tmp_path / "secret.json"
    secret.write_text(json.dumps({"const": SECRET, "token": SECRET}), encoding="utf-8")
    path = tmp_path / ("attack.js" if case.js else "attack.flow.py")
    body = (case.body.replace("@SECRET_URI@", secret.as_uri())
            .replace("@PORT@", str(listener.getsockname()[1])))
    path.write_text((JS_META if case.js else HEADER) + body, encoding="utf-8")
    return path


def _check_outcome(case: Case, result: RunResult, path: Path) -> None:
    assert result.status == case.outcome, result.error
    if case.outcome == "completed":
        assert result.value == case.expect
        return
    assert result.error is not None
    assert "\n" not in result.error
    assert case.expect.replace("@PATH@", str(path)) in result.error
    if case.line is not None:
        assert result.error.startswith(f"{path}:{case.line}: ")


@pytest.mark.parametrize("case", TABLE)
def test_payload(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                 listener: socket.socket) -> None:
    monkeypatch.setenv(SECRET_ENV, SECRET)
    path = _write(tmp_path, case, listener)
    inner = load_backend("simulate") if case.simulate else FunctionBackend(case.answer)
    backend = CountingBackend(inner)
    knobs: dict[str, Any] = {"run_timeout": RUN_TIMEOUT, **case.knobs}
    if knobs.pop("journal", False):
        knobs.update(journal=True, store=tmp_path / "store")
    args = copy.deepcopy(case.args)
    rss = _rss()
    started = time.monotonic()
    if case.outcome == "refused":
        with pytest.raises(ScriptError) as info:
            flowdsl.run(path, args=args, backend=backend, **knobs)
        assert isinstance(info.value, SandboxViolation)
        assert str(info.value).startswith(f"{path}:2:")
        assert case.expect in str(info.value)
        assert backend.requests == []
        return
    result = flowdsl.run(path, args=args, backend=backend, **knobs)
    elapsed = time.monotonic() - started

    _check_outcome(case, result, path)
    assert elapsed < knobs["run_timeout"] + SLACK
    assert child_pids() == []  # the script's process is gone, this one is alive
    assert _rss() - rss < RSS_GROWTH
    assert args == case.args  # the caller's object is unchanged
    assert _nobody_connected(listener)
    assert not any(SECRET in text for text in _texts(result))
    # usage accounted: one record per backend call, the usage the backend reported
    # (calls refused before they were sent are records too, and cost nothing)
    sent = [r for r in result.agents if r.status != "refused"]
    assert len(backend.requests) == case.calls
    assert len(sent) == case.calls
    assert result.usage == backend.usage
    if case.record_error is not None:
        assert [(r.status, r.error) for r in sent] == [
            ("failed", case.record_error)] * case.calls
    if case.check is not None:
        case.check(result, backend, path)


# -- 5. a time bomb left for the next run ---------------------------------------------------

BOMBS = {
    "generator": (
        "def g():\n    try:\n        yield 1\n    finally:\n        x = round(7, -(10**8))\n"
        "box = []\nit = g()\nnext(it)\nbox.append(box)\nbox.append(it)\nreturn 'done'"
    ),
    "async-generator": (
        "async def g():\n    try:\n        yield 1\n    finally:\n        x = round(7, -(10**8))\n"
        "box = []\nit = g()\nawait anext(it)\nbox.append(box)\nbox.append(it)\nreturn 'done'"
    ),
}


@pytest.mark.parametrize("bomb", list(BOMBS), ids=[f"5-{name}-left-suspended" for name in BOMBS])
def test_a_suspended_finally_does_not_reach_the_next_run(tmp_path: Path, bomb: str) -> None:
    first = tmp_path / "bomb.flow.py"
    first.write_text(HEADER + BOMBS[bomb], encoding="utf-8")
    second = tmp_path / "next.flow.py"
    second.write_text(HEADER + 'return await agent("next")', encoding="utf-8")
    backend = CountingBackend(FunctionBackend(_ok))
    assert flowdsl.run(first, backend=backend, run_timeout=5, stall_timeout=1.0).value == "done"
    started = time.monotonic()
    result = flowdsl.run(second, backend=backend, run_timeout=5, stall_timeout=1.0)
    assert (result.status, result.value) == ("completed", "ok")
    assert time.monotonic() - started < 3.0
    assert [r.prompt for r in backend.requests] == ["next"]
    assert child_pids() == []


# -- 7 and 8 through the command line -------------------------------------------------------

_CLI_HOSTILE_PY = (
    f'meta = {{"name": "t", "description": "t"}}\nE = {ESCAPES!r}\nphase("ph" + E)\n'
    'log("lg" + E)\nprint("cr\\rXX\\x08\\x08\\u202eevil")\n'
    'r = await agent("ag" + E, label="lb" + E, schema={"type": "array", "minItems": 10**9})\n'
    'return {"v": "rs" + E}'
)
_CLI_HOSTILE_JS = (
    f'{JS_META}const E = {json.dumps(ESCAPES)};\nphase("ph" + E);\nconsole.log("lg" + E);\n'
    'await agent("ag" + E, { label: "lb" + E });\nthrow new Error("err" + E);'
)
_CLI_ROWS = [
    # file name, source, extra flags, exit code, what stderr shows, what stdout shows
    pytest.param("h.flow.py", _CLI_HOSTILE_PY, (), 3,  # its agent fails: exit 3
                 ["== ph" + ESCAPED, "   lg" + ESCAPED, "   cr\\rXX\\x08\\x08\\u202eevil",
                  "!! lb" + ESCAPED + " failed: BackendError"],
                 ["\\u001b]0;pwned\\u0007"], id="7-cli-escapes-python"),
    pytest.param("h.js", _CLI_HOSTILE_JS, (), 1,
                 ["== ph" + ESCAPED, "   lg" + ESCAPED, "error: h.js:6: Error: err" + ESCAPED],
                 [], id="7-cli-escapes-javascript"),
    pytest.param("j.flow.py", 'meta = {"name": "t", "description": "t"}\n'
                 f'return {{"v": {ESCAPES!r}}}', ("--json",), 0, [], [], id="7-cli-json-escapes"),
    pytest.param("b.flow.py", 'meta = {"name": "t", "description": "t"}\nphase("[/bold]")\n'
                 'log("[/bold] [link=file:///etc/passwd]x[/link] [red]")\nreturn "[/bold]"', (), 0,
                 ["== [/bold]\n", "[/bold] [link=file:///etc/passwd]x[/link] [red]"],
                 ["[/bold]\n"], id="7-cli-markup-is-literal"),
    pytest.param("n.flow.py", 'meta = {"name": "t", "description": "t"}\nx = 1\nagent("hi")\n'
                 "return 2", (), 1, [f"error: n.flow.py:3: {NEVER_AWAITED}"], [],
                 id="8-cli-never-awaited"),
    pytest.param("f.flow.py", 'meta = {"name": "t", "description": "t"}\n'
                 'calls = [agent("x") for i in range(10**6)]\nreturn 1', (), 1,
                 [f"error: f.flow.py:2: {CAP}"], [], id="8-cli-a-million-unawaited-calls"),
]


@pytest.mark.parametrize(("name", "source", "flags", "code", "shown", "printed"), _CLI_ROWS)
def test_cli(tmp_path: Path, name: str, source: str, flags: tuple[str, ...], code: int,
             shown: list[str], printed: list[str]) -> None:
    (tmp_path / name).write_text(source, encoding="utf-8")
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "flowdsl", "run", name, "--backend", "simulate", "--no-journal",
         "--run-timeout", "20", *flags],
        capture_output=True, cwd=tmp_path, timeout=60, check=False,
    )
    assert time.monotonic() - started < 25
    out, err = proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8")
    assert proc.returncode == code, err
    assert RAW_CONTROL.search(out) is None
    assert RAW_CONTROL.search(err) is None
    for text in shown:
        assert text in err
    for text in printed:
        assert text in out
    for noise in ("Traceback", "Exception ignored", "RuntimeWarning", "coroutine '"):
        assert noise not in err
    assert len(err) < 10 * 1024
    if "--json" in flags:
        assert json.loads(out)["result"] == {"v": ESCAPES}  # the exact value, as JSON


# -- 9. escapes from the script's process --------------------------------------------------

_HAS_SECCOMP = platform.system() == "Linux" and platform.machine().lower() in (
    "x86_64", "amd64", "aarch64", "arm64")
_LINUX_SECCOMP = pytest.mark.skipif(not _HAS_SECCOMP,
                                    reason="the seccomp filter exists on Linux x86-64 and AArch64")
_CONFINE = ("from flowdsl._runtime._process._confine import confine\n"
            "missing = confine(2**31)\nassert missing == [], missing\n")
SECCOMP = [
    pytest.param("", "open('@DIR@/secret.json').read()", id="9-open"),
    pytest.param("import os\n", "os.open('@DIR@/new', os.O_CREAT | os.O_WRONLY)",
                 id="9-os-open-create"),
    pytest.param("import socket\n", "socket.socket()", id="9-socket-inet"),
    pytest.param("import socket\n", "socket.socket(socket.AF_UNIX)", id="9-socket-unix"),
    pytest.param("import os\n", "os.execv('/bin/true', ['true'])", id="9-execv"),
    pytest.param("import subprocess\n", "subprocess.run(['/bin/true'])", id="9-subprocess"),
    pytest.param("import os\n", "os.listdir('@DIR@')", id="9-listdir"),
    pytest.param("import os\n", "os.mkdir('@DIR@/d')", id="9-mkdir"),
    pytest.param("import os\n", "os.unlink('@DIR@/victim')", id="9-unlink"),
    pytest.param("import os\n", "os.rename('@DIR@/victim', '@DIR@/moved')", id="9-rename"),
    pytest.param("import os\n", "os.symlink('/etc/passwd', '@DIR@/link')", id="9-symlink"),
    pytest.param("import os\n", "os.chmod('@DIR@/victim', 0o777)", id="9-chmod"),
    pytest.param(
        "import ctypes, errno, os\n",
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "assert libc.syscall(425, 8, 0) == -1 and ctypes.get_errno() == errno.EPERM\n"
        "raise PermissionError(errno.EPERM, os.strerror(errno.EPERM))", id="9-io_uring_setup"),
    pytest.param("import os\n", "os.chown('@DIR@/victim', os.getuid(), os.getgid())",
                 id="9-chown"),
    pytest.param("import os\n", "os.utime('@DIR@/victim', (0, 0))", id="9-utime"),
    pytest.param("import os\n", "os.setxattr('@DIR@/victim', 'user.flowdsl', b'1')",
                 id="9-setxattr"),
]


@_LINUX_SECCOMP
@pytest.mark.parametrize(("imports", "attempt"), SECCOMP)
def test_the_seccomp_filter_refuses(tmp_path: Path, imports: str, attempt: str) -> None:
    (tmp_path / "secret.json").write_text(SECRET, encoding="utf-8")
    victim = tmp_path / "victim"
    victim.write_text("v", encoding="utf-8")
    before = victim.stat()
    code = imports + _CONFINE + attempt.replace("@DIR@", str(tmp_path)) + "\nprint('DONE')\n"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, cwd=tmp_path, check=False)
    assert proc.returncode != 0
    assert "PermissionError" in proc.stderr or "Operation not permitted" in proc.stderr
    assert "DONE" not in proc.stdout
    assert SECRET not in proc.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret.json", "victim"]
    after = victim.stat()
    assert (after.st_mode, after.st_uid, after.st_mtime_ns) == (
        before.st_mode, before.st_uid, before.st_mtime_ns)


_STEAL_FD = """\
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
{confine}
pidfd = libc.syscall(434, {parent}, 0)  # pidfd_open
if pidfd < 0:
    raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
fd = libc.syscall(438, pidfd, {fd}, 0)  # pidfd_getfd
if fd < 0:
    raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
print(os.read(fd, 100).decode())
"""


@_LINUX_SECCOMP
def test_the_seccomp_filter_refuses_stealing_a_parent_descriptor(tmp_path: Path) -> None:
    secret = tmp_path / "secret.json"
    secret.write_text(SECRET, encoding="utf-8")
    fd = os.open(secret, os.O_RDONLY)
    try:
        code = _STEAL_FD.format(confine=_CONFINE, parent=os.getpid(), fd=fd)
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              timeout=60, cwd=tmp_path, check=False)
    finally:
        os.close(fd)
    if "Function not implemented" in proc.stderr:
        pytest.skip("the kernel has no pidfd_getfd")
    assert SECRET not in proc.stdout
    assert proc.returncode != 0
    assert "PermissionError" in proc.stderr or "Operation not permitted" in proc.stderr


def test_the_script_process_holds_nothing_of_the_parent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SECRET_ENV, SECRET)
    seen: dict[str, bytes] = {}

    def look(request: AgentRequest) -> AgentResult:
        [pid] = child_pids()
        for name in ("environ", "status", "limits"):
            seen[name] = Path(f"/proc/{pid}/{name}").read_bytes()
        return _ok(request)

    path = tmp_path / "look.flow.py"
    path.write_text(HEADER + 'return await agent("look")', encoding="utf-8")
    result = flowdsl.run(path, backend=FunctionBackend(look), memory_limit=512 * 1024**2,
                         run_timeout=RUN_TIMEOUT)
    assert result.value == "ok"
    environ = dict(item.split(b"=", 1) for item in seen["environ"].split(b"\0") if item)
    assert SECRET.encode() not in seen["environ"]
    assert set(environ) == {b"PYTHONHASHSEED", b"PYTHONPATH", b"PYTHONDONTWRITEBYTECODE",
                            b"PYTHONUTF8", b"PATH"}
    assert environ[b"PYTHONHASHSEED"] != os.environ.get("PYTHONHASHSEED", "").encode()
    status = seen["status"].decode()
    assert re.search(r"^NoNewPrivs:\s+1$", status, re.MULTILINE)
    if _HAS_SECCOMP:
        assert re.search(r"^Seccomp:\s+2$", status, re.MULTILINE)
    limits = seen["limits"].decode()
    assert re.search(rf"^Max address space\s+{512 * 1024**2}\s+{512 * 1024**2}\s",
                     limits, re.MULTILINE)
    assert re.search(r"^Max core file size\s+0\s+0\s", limits, re.MULTILINE)
