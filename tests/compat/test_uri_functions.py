"""encodeURI, decodeURI, encodeURIComponent, decodeURIComponent, escape and unescape
against Node.

The table runs in one Node process (every function on every input) and in Python, and
each input is its own test. Inputs with lone surrogates and astral characters travel as
JSON escapes, so both sides see the same UTF-16 string. A script-level test checks that
workflows reach the globals and URIError through the transpiler.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from compat._jsrt import _uri
from compat._jsrt._values import JSError, error_name

from .conftest import NODE

FUNCTIONS = ("encodeURI", "decodeURI", "encodeURIComponent", "decodeURIComponent",
             "escape", "unescape")

INPUTS = [
    "", "plain", "a b&c/é", "x=1&y=2", "https://a.com/p?q=a b#f g",
    "".join(chr(c) for c in range(128)),
    ";/?:@&=+$,#", "-_.!~*'()", "@*_+-./", "[]{}|\\^`\"<>%",
    "é", "ÿĀ", "中文", "€", "😀", "a😀b", "\U0010ffff",
    "\ud800", "\udfff", "a\ud800", "\udc00\ud800", "x\ud83d", "\ude00y",
    "%", "%2", "%zz", "%%41", "100%", "%41%42", "%2F%3B%23%3f%40", "%2f%3b",
    "%E2%82%AC", "%e2%82%ac", "%E2%82", "%E2%82%", "%E2%82%4", "%E2%41%AC",
    "%C0%AF", "%C1%BF", "%ED%A0%80", "%ED%BF%BF", "%F4%8F%BF%BF", "%F4%90%80%80",
    "%F0%9F%98%80", "%f0%9f%98%80x", "%80", "%BF", "%FF", "%FE", "%F8%88%80%80%80",
    "%u20AC", "%U20AC", "%u20ac", "%uD83D%uDE00", "%uD800", "%uDC00%uD800", "%u12",
    "%u12345", "%uZZZZ", "ä%C3%A4", "%00", "\u0000", "%20%2B+", "+", "%25", "%2525",
    "%E4%B8%AD%E6%96%87", "%C3%28", "%E0%80%80", "%EF%BF%BD", "\ufffd", "\ufeff",
    "%0A%0d", "\n\t", "%1", "%G0", "%0G", "%-1", "% 1", "%+1",
]

NODE_TABLE = """
const { fns, inputs } = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const out = inputs.map((input) => fns.map((name) => {
  try { return { value: globalThis[name](input) }; }
  catch (e) { return { error: `${e.name}: ${e.message}` }; }
}));
process.stdout.write(JSON.stringify(out));
"""


def python_outcome(name: str, text: str) -> dict[str, str]:
    try:
        return {"value": getattr(_uri, name)(text)}
    except JSError as exc:
        return {"error": f"{error_name(exc)}: {exc.message}"}


@pytest.fixture(scope="module")
def node_outcomes() -> list[list[dict[str, str]]]:
    if NODE is None:
        pytest.skip("node is not installed")
    table = json.dumps({"fns": FUNCTIONS, "inputs": INPUTS})  # ASCII: surrogates as \\u
    out = subprocess.run([NODE, "-e", NODE_TABLE], input=table, capture_output=True,
                         text=True, check=True, timeout=60)
    outcomes: list[list[dict[str, str]]] = json.loads(out.stdout)
    assert len(outcomes) == len(INPUTS)
    return outcomes


@pytest.mark.parametrize("index", range(len(INPUTS)),
                         ids=[f"{i}:{t!r}"[:40] for i, t in enumerate(INPUTS)])
def test_uri_functions_match_node(
    index: int, node_outcomes: list[list[dict[str, str]]],
) -> None:
    text = INPUTS[index]
    got = {name: python_outcome(name, text) for name in FUNCTIONS}
    want = dict(zip(FUNCTIONS, node_outcomes[index], strict=True))
    assert got == want


def test_round_trips_keep_astral_characters() -> None:
    text = "naïve 😀 中文 \U0010ffff"
    assert _uri.decodeURIComponent(_uri.encodeURIComponent(text)) == text
    assert _uri.decodeURI(_uri.encodeURI(text)) == text
    assert _uri.unescape(_uri.escape(text)) == text
    assert _uri.escape("😀") == "%uD83D%uDE00"


def test_malformed_input_raises_uri_error() -> None:
    for call in (lambda: _uri.decodeURIComponent("%E2%82"), lambda: _uri.encodeURI("\ud800")):
        with pytest.raises(_uri.JSURIError, match="URI malformed"):
            call()


SCRIPT = r"""
log(typeof encodeURI, typeof decodeURI, typeof escape, typeof unescape, typeof URIError);
log(encodeURI('https://a.com/a b?q=é&r=1#f'), decodeURI('%41%2F%20'), escape('a b+é😀'),
    unescape('%u00e9%41%uD83D%uDE00'), encodeURIComponent('a/b c'), decodeURIComponent('%2F'));
for (const bad of [() => decodeURIComponent('%'), () => encodeURIComponent('\ud800'),
                   () => decodeURI('%C0%AF')]) {
  try { bad(); log('no error'); } catch (e) {
    log(e.name, e.message, e instanceof URIError, e instanceof Error, String(e));
  }
}
const e = new URIError('custom'); log(e.name, e.message, String(e));
return unescape(escape('\u{1F600}x')).length;
"""


def test_uri_globals_reach_scripts(
    js: Callable[..., Path], oracle_diff: Callable[[Path, Any], list[str]],
) -> None:
    assert oracle_diff(js(SCRIPT), {}) == []
