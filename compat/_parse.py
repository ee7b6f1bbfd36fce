"""Parsing (tree-sitter; esprima-fork judges), the leading ``export const meta`` literal, caching.

The body of a workflow is an async function (top-level ``await`` and ``return``), so it
is parsed the way the reference runner runs it: inside ``(async () => { ... })()``,
with ``export`` blanked out of the meta statement. The wrapper adds exactly one line
before the script, so positions map back by subtracting one line; offsets are Python
string indices (``positionEncoding: 'scalar'``).

tree-sitter parses first and its tree is converted to the very tree esprima would build
(:mod:`._ts_parse`); whatever that path is unsure of - any error, early error, unknown
construct or deep nesting - is parsed by esprima, so esprima words every message.

Nesting has one limit, :data:`MAX_NESTING` levels, reported as a script error at the
first place that exceeds it (``check`` and ``run`` alike), never as a RecursionError
from esprima, the transpiler or Python's ``compile()``, which all recurse on depth:

* brackets (``( [ { ${``) are counted on the parser's own token stream: esprima recurses
  about a dozen frames per bracket and runs out near 70 levels of mixed brackets, so
  when a parse fails, or its tokens go past the limit, a separate token scan (with
  positions) finds the first bracket too deep before anything else is reported (the
  two token streams agree, except where the scan must guess whether a ``/`` starts a
  regular expression: the parser knows);
* after parsing, the transpiler measures the tree (:mod:`._transpile._nesting`):
  arrow chains, operators and ``else if`` nest without brackets;
* parsing and transpiling run on a fresh stack (:func:`on_fresh_stack`, a thread of
  their own): the transpiler's recursion within the limit never meets a deep caller's
  frames, and when nesting that neither check catches (hundreds of ``else if``)
  exhausts esprima, it does so at the same place whoever the caller is.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import esprima

from flowdsl._sandbox import collector_paused
from flowdsl.errors import MetaError, ScriptSyntaxError, TranspileError

from ._ts_parse import parse_program

__all__ = ["MAX_NESTING", "Parsed", "nesting_error", "on_fresh_stack", "parse", "parser_for",
           "position"]

_T = TypeVar("_T")
_META = re.compile(r"^(\s*(?://[^\n]*\n|/\*[\s\S]*?\*/|\s)*)export(\s+const\s+meta\s*=)")
_PREFIX = "(async () => {\n"
_PARSE_OPTIONS = {"positionEncoding": "scalar", "tokens": True}
"""No ``loc``: esprima gives every node its start as ``_line``/``_column`` anyway, and
``loc`` repeats it in three more objects per node (a sixth of the parse's time). The
tokens give the bracket depth without a scan of their own."""
_SCAN_OPTIONS = {"loc": True, "positionEncoding": "scalar"}
_REFUSED_KEYS = frozenset({"__proto__", "constructor", "prototype"})

MAX_NESTING = 64
"""How deep a script may nest: brackets, functions, blocks and operators each count one
level (the deepest of the reference corpus nests 19; the Python form must stay within
Python's 200 nested brackets and 100 indentation levels)."""
_OPENERS = frozenset({"(", "[", "{"})
_CLOSERS = frozenset({")", "]", "}"})
_PARSER_LIMIT = "JavaScript nesting exceeds the"


def nesting_error(path: str, line: int, column: int, depth: int | None) -> ScriptSyntaxError:
    """The error for a script nested past :data:`MAX_NESTING` (``depth``: how deep it
    goes, None when esprima ran out of room first)."""
    found = f"{depth} levels" if depth is not None else "too deep for the parser"
    return ScriptSyntaxError(
        f"the script is nested too deeply ({found}; the limit is {MAX_NESTING} levels of "
        "brackets, functions, blocks and operators): move inner parts into named "
        "functions or variables", path=path, line=line, column=column)


@dataclass(frozen=True, slots=True)
class Parsed:
    wrapper: Any
    """The ``async () => {...}`` node holding the script body."""
    body: list[Any]
    """The statements after the meta statement."""
    meta: dict[str, Any]


def position(node: Any) -> tuple[int, int]:
    """A node's (line, 1-based column) in the original source."""
    return node._line - 1, node._column + 1


_CACHE: OrderedDict[str, Parsed] = OrderedDict()
_LOCK = threading.Lock()


def parse(source: str, path: str) -> Parsed:
    """Parse a workflow script; cached by source hash (the tree is read-only afterwards).

    Raises:
        ScriptSyntaxError: not valid JavaScript.
        MetaError: the first statement is not ``export const meta = <literal>``.
        TranspileError: ``import``/``export`` used elsewhere.
    """
    key = hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest() + path
    with _LOCK:
        cached = _CACHE.get(key)
        if cached is not None:
            _CACHE.move_to_end(key)
            return cached
    with collector_paused():
        parsed = _parse(source, path)
    with _LOCK:
        _CACHE[key] = parsed
        while len(_CACHE) > 64:
            _CACHE.popitem(last=False)
    return parsed


def parser_for(source: str) -> str:
    """Which parser reads ``source``: ``"tree-sitter"`` (converted to esprima's tree) or
    ``"esprima"`` (the script is invalid, or has something the fast path leaves to it)."""
    match = _META.match(source)
    if match is None:
        return "esprima"
    text = wrapped(_body_text(source, match))
    fast = on_fresh_stack(lambda: parse_program(text, MAX_NESTING + _PREFIX_DEPTH))
    return "esprima" if fast is None else "tree-sitter"


def _body_text(source: str, match: re.Match[str]) -> str:
    """The script with ``export`` blanked out of its meta statement."""
    return match.group(1) + " " * len("export") + source[match.end(1) + len("export"):]


def _parse(source: str, path: str, *, fast: bool = True) -> Parsed:
    """:func:`parse` without the cache (``fast=False``: esprima only, what the tree-sitter
    path must always agree with)."""
    match = _META.match(source)
    if match is None:
        raise MetaError("the first statement must be `export const meta = {...}`",
                        path=path, line=1, column=1)
    body_text = _body_text(source, match)
    text = wrapped(body_text)
    program = parse_program(text, MAX_NESTING + _PREFIX_DEPTH) if fast else None
    if program is None:
        program = _esprima_program(text, body_text, source, path)
    wrapper = program.body[0].expression.callee
    statements = list(wrapper.body.body)
    first = statements[0]
    decl = first.declarations[0]
    meta = _literal(decl.init, path)
    if not isinstance(meta, dict):
        line, column = position(decl.init)
        raise MetaError("meta must be an object literal", path=path, line=line, column=column)
    return Parsed(wrapper=wrapper, body=statements[1:], meta=meta)


_PREFIX_DEPTH = 2
"""The brackets of :data:`_PREFIX` around the script: ``(`` and ``{``."""


def wrapped(body_text: str) -> str:
    """The script as parsed: the body of ``(async () => {...})()``."""
    return _PREFIX + body_text + "\n})()"


def _esprima_program(text: str, body_text: str, source: str, path: str) -> Any:
    """esprima's tree of ``text``; its errors, worded for the script (the judge of every
    script tree-sitter's path leaves to it)."""
    try:
        program = esprima.parseScript(text, _PARSE_OPTIONS)
    except esprima.Error as exc:
        _check_brackets(source, path)  # nesting too deep is what to report, if it is
        raise _syntax_error(exc, body_text, path) from None
    if _bracket_depth(program.tokens) > MAX_NESTING + _PREFIX_DEPTH:
        _check_brackets(source, path)
    return program


def _bracket_depth(tokens: list[Any]) -> int:
    """How deep the brackets of the parser's tokens nest (a Template token opens with
    ``${`` and closes with ``}``)."""
    depth = deepest = 0
    for token in tokens:
        kind = token.type
        if kind == "Punctuator":
            value = token.value
            if value in _OPENERS:
                depth += 1
                if depth > deepest:
                    deepest = depth
            elif value in _CLOSERS:
                depth -= 1
        elif kind == "Template":
            value = token.value
            depth += value.endswith("${") - value.startswith("}")
            if depth > deepest:
                deepest = depth
    return deepest


def _check_brackets(source: str, path: str) -> None:
    """Refuse brackets nested past the limit, at the first bracket too deep (a scan of
    its own, which a parse that failed or went too deep asks for)."""
    try:
        tokens = esprima.tokenize(source, _SCAN_OPTIONS)
    except (esprima.Error, RecursionError):
        return  # not valid JavaScript: parsing says where
    depth = deepest = 0
    first: Any = None
    for token in tokens:
        value = token.value
        if token.type == "Template":
            opens, closes = value.endswith("${"), value.startswith("}")
        else:
            opens, closes = value in _OPENERS, value in _CLOSERS
        depth += opens - closes
        if depth > MAX_NESTING and first is None:
            first = token
        deepest = max(deepest, depth)
    if first is not None:
        start = first.loc.start
        raise nesting_error(path, start.line, start.column + 1, deepest)


def on_fresh_stack(work: Callable[[], _T]) -> _T:
    """``work()`` in a thread of its own, which starts with an empty stack: esprima and
    the transpiler recurse on nesting, and where they run out of frames must not depend
    on how deep their caller is. Blocks until done; ``work``'s exception is re-raised."""
    outcome: list[tuple[bool, Any]] = []

    def target() -> None:
        try:
            outcome.append((True, work()))
        except BaseException as exc:  # handed over to the caller's thread
            outcome.append((False, exc))

    thread = threading.Thread(target=target, name="flowdsl-transpile", daemon=True)
    thread.start()
    thread.join()
    ok, value = outcome[0]
    if not ok:
        raise value
    result: _T = value
    return result


def _syntax_error(exc: Any, body_text: str, path: str) -> ScriptError:
    line = max(1, (exc.lineNumber or 2) - 1)
    column = exc.column or 1
    message = str(exc.message or exc)
    message = re.sub(r"^Line \d+: ", "", message)
    if message.startswith(_PARSER_LIMIT):
        return nesting_error(path, line, column, None)
    lines = body_text.split("\n")
    text = lines[line - 1] if line - 1 < len(lines) else ""
    rest = text[column - 1:]
    for word in ("import", "export"):
        if rest.startswith(word) or text.lstrip().startswith(word + " "):
            col = text.index(word) + 1
            return TranspileError(f"`{word}` statements are not supported: a workflow is one "
                                  "self-contained script (use workflow() to run another)",
                                  path=path, line=line, column=col)
    return ScriptSyntaxError(message, path=path, line=line, column=column)


ScriptError = ScriptSyntaxError | TranspileError


def _literal(node: Any, path: str) -> Any:
    kind = node.type
    if kind == "Literal" and getattr(node, "regex", None) is None:
        return node.value
    if kind == "TemplateLiteral" and not node.expressions:
        return node.quasis[0].value.cooked
    if kind == "UnaryExpression" and node.operator == "-" and node.argument.type == "Literal" \
            and isinstance(node.argument.value, int | float) \
            and not isinstance(node.argument.value, bool):
        return -node.argument.value
    if kind == "ArrayExpression":
        if any(el is None for el in node.elements):
            _refuse(node, "array holes", path)
        return [_literal(el, path) for el in node.elements]
    if kind == "ObjectExpression":
        out: dict[str, Any] = {}
        for prop in node.properties:
            if prop.type != "Property" or prop.computed or prop.kind != "init" or prop.method:
                _refuse(prop, "spreads, computed keys and methods", path)
            key = prop.key.name if prop.key.type == "Identifier" else prop.key.value
            if prop.shorthand:
                _refuse(prop, f"the shorthand `{key}` (an identifier)", path)
            if key in _REFUSED_KEYS:
                line, column = position(prop.key)
                raise MetaError(f"meta key `{key}` is not allowed", path=path, line=line,
                                column=column)
            out[str(key) if not isinstance(key, float) else _number_key(key)] = _literal(
                prop.value, path)
        return out
    what = {"Identifier": f"the identifier `{getattr(node, 'name', '')}`",
            "CallExpression": "a call", "TemplateLiteral": "interpolation",
            "SpreadElement": "a spread"}.get(kind, f"a {kind}")
    _refuse(node, what, path)


def _number_key(value: float) -> str:
    from ._jsrt._convert import to_string

    return to_string(value)


def _refuse(node: Any, what: str, path: str) -> None:
    line, column = position(node)
    raise MetaError(f"meta must be a pure literal: {what} is not allowed", path=path, line=line,
                    column=column)
