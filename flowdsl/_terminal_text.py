"""Text from a run made safe to show on a terminal.

Workflow scripts are untrusted (a model writes them, and a prompt injection can steer
it), and so is what their agents answer. Whatever the CLI shows from a run — log lines,
phase titles, agent labels and errors, the result, run names, stored paths — passes
through here first, so that it cannot drive the terminal: clear the screen, set the
window title (OSC 0/2), write the clipboard (OSC 52), overwrite what was printed
(backspace, carriage return), or reorder what is shown (bidi overrides, "Trojan Source").

Every unsafe character becomes a visible escape, spelled as Python's ``repr`` spells it:
ESC is ``\\x1b``, BEL ``\\x07``, backspace ``\\x08``, a lone carriage return ``\\r``, DEL
``\\x7f``, the C1 control CSI ``\\x9b``, RIGHT-TO-LEFT OVERRIDE ``\\u202e``. Visible rather
than dropped, because dropping hides the attempt and silently changes the text
(``"safe\\b\\b\\b\\bevil"`` would read ``"safeevil"``); an escape rather than U+FFFD,
because it says which character was there, and it is printable ASCII, so nothing that
follows can complete a sequence. The escapes are for reading, not reversible (a literal
backslash is not doubled): ``--json`` is the exact form of every value.

Unsafe: the C0 controls except newline and tab (ESC, BEL, backspace, carriage return,
...), DEL, the C1 controls U+0080-U+009F (a terminal may act on them as it acts on ESC
sequences), and the bidi embedding, override and isolate controls U+202A-U+202E and
U+2066-U+2069. A ``"\\r\\n"`` line ending (models write them) is a plain newline.
Everything else, emoji and other printable Unicode included, passes unchanged.

Rich markup is not this module's business: the views build ``rich.text.Text`` from
these strings and never parse them as markup.
"""

from __future__ import annotations

import json
import re

__all__ = ["indented", "one_line", "printable", "printable_json"]

_UNSAFE_CLASS = "\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
_UNSAFE = re.compile(f"[{_UNSAFE_CLASS}]")
_UNSAFE_OR_CRLF = re.compile(f"\r\n|[{_UNSAFE_CLASS}]")
_BREAKS = re.compile(f"\r\n|[\n\t]|[{_UNSAFE_CLASS}]")
_JSON_RAW = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")  # json.dumps escapes C0 itself
_ESCAPE_AT_END = re.compile(r"\\(?:x[0-9a-f]{2}|u[0-9a-f]{4}|r)")
_ELLIPSIS = "…"


def _escape(match: re.Match[str]) -> str:
    text = match.group()
    if text == "\r\n":
        return "\n"
    return repr(text)[1:-1]


def _escape_or_space(match: re.Match[str]) -> str:
    text = match.group()
    if text in ("\r\n", "\n", "\t"):
        return " "
    return repr(text)[1:-1]


def printable(text: str) -> str:
    """``text`` with every unsafe character as a visible escape; newlines and tabs kept.

    ``"\\r\\n"`` becomes ``"\\n"``. Text without unsafe characters is returned as is
    (the same object).
    """
    if _UNSAFE.search(text) is None:
        return text
    return _UNSAFE_OR_CRLF.sub(_escape, text)


def one_line(text: str, limit: int = 200) -> str:
    """``printable(text)`` for a single line (a title, a label, a table cell).

    Newlines, ``"\\r\\n"`` and tabs become one space each; a result longer than ``limit``
    characters is cut to ``limit`` with a trailing ``…`` (never through an escape).
    """
    if limit < 1:
        raise ValueError(f"limit must be >= 1, got {limit}")
    if _BREAKS.search(text) is not None:
        text = _BREAKS.sub(_escape_or_space, text)
    if len(text) <= limit:
        return text
    cut = limit - len(_ELLIPSIS)
    start = text.rfind("\\", max(0, cut - 5), cut)
    if start >= 0:
        escape = _ESCAPE_AT_END.match(text, start)
        if escape is not None and escape.end() > cut:
            cut = start
    return text[:cut] + _ELLIPSIS


def indented(text: str, indent: str) -> str:
    """``printable(text)`` with every line after the first prefixed by ``indent``.

    For a value printed after a prefix (``"12:00:00 == "``): its later lines line up
    under its first one, so a multi-line value cannot pass for lines of its own.
    """
    text = printable(text)
    if "\n" not in text:
        return text
    return text.replace("\n", "\n" + indent)


def printable_json(value: object, *, indent: int | None = None) -> str:
    """``json.dumps(value, ensure_ascii=False, indent=indent)``, safe on a terminal.

    JSON escapes the C0 controls itself but leaves DEL, the C1 controls and the bidi
    controls raw; they become ``\\u007f``-style escapes here: the same JSON value, and
    byte-identical output when there are none.
    """
    dumped = json.dumps(value, ensure_ascii=False, indent=indent)
    if _JSON_RAW.search(dumped) is None:
        return dumped
    return _JSON_RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", dumped)
