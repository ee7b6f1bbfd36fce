"""The core of :class:`._ts_nodes.Converter`: positions, dispatch, esprima's scanner.

Positions are esprima's: ``_start``/``_end`` are Python string indices (tree-sitter counts
UTF-8 bytes), ``_line`` is 1-based and ``_column`` a 0-based string index in its line.
Visitors dispatch on the tree-sitter type: ``x_<type>`` for expressions, ``s_<type>`` for
statements; a type with no visitor is :class:`Unsupported`.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from itertools import accumulate
from typing import Any

from esprima import nodes as N
from esprima.character import Character
from esprima.error_handler import Error as EsprimaError
from esprima.error_handler import ErrorHandler
from esprima.scanner import Scanner

__all__ = ["GAP", "REFERENCE_NAMES", "RESERVED_NAMES", "Base", "Node", "TsNode", "Unsupported",
           "skip"]

TsNode = Any
"""A ``tree_sitter.Node``."""
Node = Any
"""An ``esprima.nodes`` node."""

RESERVED_NAMES = frozenset({
    "await", "yield", "let", "static", "implements", "interface", "package", "private",
    "protected", "public", "enum", "arguments", "eval", "async", "of", "get", "set",
    "class", "const", "super", "import", "export", "extends", "new", "this", "typeof",
    "void", "delete", "in", "instanceof", "var", "function", "return", "if", "else",
    "for", "while", "do", "break", "continue", "switch", "case", "default", "throw", "try",
    "catch", "finally", "with", "debugger", "null", "true", "false", "undefined"})
"""Binding names left to esprima: keywords, strict-mode and contextual words."""
REFERENCE_NAMES = RESERVED_NAMES - {"undefined", "arguments", "eval", "get", "set", "of",
                                     "static"}
"""Names left to esprima where they are read (sloppy mode allows the others)."""
_STARTS_CHARACTER = bytes(0 if 0x80 <= byte < 0xC0 else 1 for byte in range(256))
"""1 for the bytes that start a UTF-8 sequence, 0 for continuation bytes."""
_NEWLINE = re.compile("\n")
_SEMICOLON_ENDED = frozenset({"expression_statement", "lexical_declaration",
                              "variable_declaration", "return_statement", "throw_statement",
                              "break_statement", "continue_statement"})
_SAME_LINE_GAP = re.compile(r"(?:[^\S\n]|/\*(?:[^*\n]|\*(?!/))*\*/)*")
"""Whitespace and comments on one line (``\r``, U+2028 and U+2029 never reach here)."""
GAP = re.compile(r"(?:\s|//[^\n]*|/\*[\s\S]*?\*/)*")
"""Whitespace and comments, over lines."""
_BRACKETED = frozenset({"parenthesized_expression", "arguments", "formal_parameters", "array",
                        "object", "statement_block", "template_substitution", "array_pattern",
                        "object_pattern", "subscript_expression", "computed_property_name",
                        "for_statement", "for_in_statement", "catch_clause", "switch_body"})
"""Node types owning a bracket: their nesting bounds how deep the brackets go."""


_VISITORS: dict[tuple[type, str], Callable[[Any, Any], Any]] = {}


class Unsupported(Exception):
    """The conversion met something it leaves to esprima (never shown to a user)."""


class Base:
    """One conversion of one tree (``text`` is the parsed source, ``data`` its UTF-8)."""

    def __init__(self, text: str, data: bytes, max_depth: int, max_brackets: int) -> None:
        self.text = text
        self.chars: list[int] | None = None if len(data) == len(text) else list(
            accumulate(data.translate(_STARTS_CHARACTER), initial=0))
        """The character index of each UTF-8 offset (None: ASCII, they are equal)."""
        self.data = data
        self.comment_starts: dict[int, int] = {}
        """Where each comment starts, by the byte where it ends (see :meth:`at`)."""
        self.line_starts = [0] + [m.end() for m in _NEWLINE.finditer(text)]
        self.scanner = Scanner(text, ErrorHandler())
        self.depth = 0
        self.brackets = 0
        self.max_depth = max_depth
        self.max_brackets = max_brackets
        self.functions: list[bool] = []
        """Whether each enclosing function is async."""
        self.loops: list[int] = [0]
        self.switches: list[int] = [0]

    def index(self, byte: int) -> int:
        chars = self.chars
        return byte if chars is None else chars[byte]

    def place(self, node: Node, start: int, end: int) -> Node:
        """Give ``node`` esprima's positions for characters ``start:end``."""
        node._start = start
        node._end = end
        line = bisect_right(self.line_starts, start)
        node._line = line
        node._column = start - self.line_starts[line - 1]
        return node

    def at(self, node: Node, ts: TsNode) -> Node:
        """Give ``node`` the positions of ``ts`` (:meth:`place` inlined: the hot path)."""
        start = ts.start_byte
        end = ts.end_byte
        if end in self.comment_starts:
            end = self.before_comments(end)
        chars = self.chars
        if chars is not None:
            start = chars[start]
            end = chars[end]
        node._start = start
        node._end = end
        starts = self.line_starts
        line = bisect_right(starts, start)
        node._line = line
        node._column = start - starts[line - 1]
        return node

    def end(self, end: int) -> int:
        """The character index where a node ending at byte ``end`` ends for esprima: at
        its last token (tree-sitter may count trailing comments in)."""
        if end in self.comment_starts:
            end = self.before_comments(end)
        return self.index(end)

    def before_comments(self, end: int) -> int:
        """The end of the last token before the comments that end at byte ``end``."""
        data = self.data
        while end in self.comment_starts:
            end = self.comment_starts[end]
            while data[end - 1] in b" \t\n\v\f":
                end -= 1
        return end

    def span(self, node: Node, first: TsNode, last: TsNode) -> Node:
        return self.place(node, self.index(first.start_byte), self.end(last.end_byte))

    def source(self, ts: TsNode) -> str:
        return self.text[self.index(ts.start_byte):self.index(ts.end_byte)]

    def enter(self, ts: TsNode) -> None:
        self.depth += 1
        if self.depth > self.max_depth:
            raise Unsupported("nested too deeply for a checked conversion")
        if ts.type in _BRACKETED:
            self.brackets += 1
            if self.brackets > self.max_brackets:
                raise Unsupported("brackets nested too deeply")

    def leave(self, ts: TsNode) -> None:
        self.depth -= 1
        if ts.type in _BRACKETED:
            self.brackets -= 1

    def expr(self, ts: TsNode) -> Node:
        """The expression ``ts`` (:meth:`enter` and :meth:`leave` inlined: the hot path)."""
        kind = ts.type
        visit = self.visitor("x_", kind)
        self.depth += 1
        if self.depth > self.max_depth:
            raise Unsupported("nested too deeply for a checked conversion")
        bracketed = kind in _BRACKETED
        if bracketed:
            self.brackets += 1
            if self.brackets > self.max_brackets:
                raise Unsupported("brackets nested too deeply")
        node = visit(self, ts)
        self.depth -= 1
        if bracketed:
            self.brackets -= 1
        return node

    def stmt(self, ts: TsNode) -> Node:
        kind = ts.type
        visit = self.visitor("s_", kind)
        self.enter(ts)
        node = visit(self, ts)
        self.leave(ts)
        if kind in _SEMICOLON_ENDED:
            self.semicolon_end(node, ts)
        return node

    @classmethod
    def visitor(cls, prefix: str, kind: str) -> Callable[[Any, TsNode], Node]:
        """The ``prefix + kind`` method (looked up once per class and type)."""
        key = prefix + kind
        found = _VISITORS.get((cls, key))
        if found is None:
            found = getattr(cls, key, None)
            if found is None:
                raise Unsupported(kind)
            _VISITORS[(cls, key)] = found
        return found

    def semicolon_end(self, node: Node, ts: TsNode) -> None:
        """Where esprima ends a statement without ``;``: at the start of the token after
        it, when that token (a ``}``) is on the same line."""
        if self.ends_with_semicolon(node, ts):
            return
        gap = skip(_SAME_LINE_GAP, self.text, node._end)
        if gap == len(self.text) or self.text[gap] == "}":
            node._end = gap

    def ends_with_semicolon(self, node: Node, ts: TsNode) -> bool:
        """Whether ``ts`` ends with its own ``;`` - refusing one tree-sitter leaves to an
        empty statement after a line break (or a comment), which esprima takes in."""
        last = [c for c in ts.children if c.type != "comment"][-1]
        if last.type == ";":
            return True
        after = skip(GAP, self.text, node._end)
        if after < len(self.text) and self.text[after] == ";":
            raise Unsupported("a `;` after a line break, which esprima takes into the statement")
        return False

    def separated(self, ts: TsNode) -> None:
        """Refuse a leading or doubled comma in a bracketed list (tree-sitter accepts
        ``f(, a)`` and ``{ , a }``; arrays, where holes are values, do not come here)."""
        expect_item = True
        for child in ts.children:
            kind = child.type
            if kind == ",":
                if expect_item:
                    raise Unsupported("an empty list item")
                expect_item = True
            elif child.is_named and kind != "comment":
                expect_item = False

    def named(self, ts: TsNode) -> list[TsNode]:
        return [c for c in ts.named_children if c.type != "comment"]

    def only(self, ts: TsNode) -> TsNode:
        children = self.named(ts)
        if len(children) != 1:
            raise Unsupported(f"{ts.type} with {len(children)} parts")
        return children[0]

    def field(self, ts: TsNode, name: str) -> TsNode:
        child = ts.child_by_field_name(name)
        if child is None:
            raise Unsupported(f"{ts.type} without {name}")
        return child

    def scan(self, ts: TsNode, method: str) -> Any:
        """A token read by esprima's scanner at ``ts``'s start (its lexical errors too)."""
        scanner = self.scanner
        scanner.index = self.index(ts.start_byte)
        scanner.curlyStack = []
        try:
            token = getattr(scanner, method)()
        except EsprimaError as exc:
            raise Unsupported("a lexical error") from exc
        return token

    # -- names ----------------------------------------------------------------------

    def identifier(self, ts: TsNode, names: frozenset[str]) -> Node:
        name = self.source(ts)
        if name in names or "\\" in name or not (name.isascii() or _identifier_name(name)):
            raise Unsupported(f"the identifier {name!r}")
        return self.at(N.Identifier(name), ts)

    def property_name(self, ts: TsNode) -> Node:
        name = self.source(ts)
        if "\\" in name or ts.type not in ("property_identifier", "identifier") or not (
                name.isascii() or _identifier_name(name)):
            raise Unsupported("an escaped or private property name")
        return self.at(N.Identifier(name), ts)

    # -- provided by the mixins (declared for the type checker) ---------------------

    def operand(self, ts: TsNode, minimum: int) -> Node:
        raise NotImplementedError

    def key(self, ts: TsNode) -> tuple[Node, bool]:
        raise NotImplementedError

    def elements(self, ts: TsNode, convert: Any) -> list[Node | None]:
        raise NotImplementedError

    def binding(self, ts: TsNode) -> Node:
        raise NotImplementedError

    def cover(self, ts: TsNode) -> Node:
        raise NotImplementedError

    def cover_parameter(self, ts: TsNode, is_async: bool) -> Node:
        raise NotImplementedError

    def parameters(self, ts: TsNode) -> list[Node]:
        raise NotImplementedError

    def rest_last(self, ts: TsNode) -> None:
        raise NotImplementedError

    def function_body(self, ts: TsNode) -> Node:
        raise NotImplementedError

    def function_parts(self, ts: TsNode) -> tuple[bool, Node, list[Node], Node]:
        raise NotImplementedError


def _identifier_name(name: str) -> bool:
    """Whether esprima's scanner reads ``name`` as one identifier (its Unicode tables may
    differ from tree-sitter's)."""
    return Character.isIdentifierStart(name[0]) and all(
        Character.isIdentifierPart(ch) for ch in name[1:])


def skip(gap: re.Pattern[str], text: str, index: int) -> int:
    """Where the run of ``gap`` (a pattern that may match nothing) from ``index`` ends."""
    match = gap.match(text, index)
    return match.end() if match is not None else index
