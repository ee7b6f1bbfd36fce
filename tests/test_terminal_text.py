"""``flowdsl._terminal_text``: what a run's text looks like once it is safe on a terminal."""

from __future__ import annotations

import json
import sys
import unicodedata

import pytest

from flowdsl._terminal_text import indented, one_line, printable, printable_json

BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def unsafe(char: str) -> bool:
    """The rule, stated independently of the module's regex."""
    if char in "\n\t":
        return False
    return unicodedata.category(char) == "Cc" or char in BIDI


@pytest.mark.parametrize(("text", "shown"), [
    ("\x1b[2J", "\\x1b[2J"),  # clear screen
    ("\x1b]0;pwned\x07", "\\x1b]0;pwned\\x07"),  # window title (OSC 0)
    ("\x1b]2;pwned\x1b\\", "\\x1b]2;pwned\\x1b\\"),  # window title (OSC 2), ST-terminated
    ("\x1b]52;c;ZWNobyBoaQ==\x07", "\\x1b]52;c;ZWNobyBoaQ==\\x07"),  # clipboard (OSC 52)
    ("\x9b2J", "\\x9b2J"),  # clear screen through the C1 CSI
    ("\x9d0;pwned\x9c", "\\x9d0;pwned\\x9c"),  # C1 OSC ... ST
    ("ding\x07", "ding\\x07"),
    ("safe\b\b\b\bevil", "safe\\x08\\x08\\x08\\x08evil"),
    ("ok\rEVIL", "ok\\rEVIL"),
    ("\x00\x0b\x0c\x7f\x85", "\\x00\\x0b\\x0c\\x7f\\x85"),
    ("abc\u202edef", "abc\\u202edef"),
    ("\u2066x\u2069", "\\u2066x\\u2069"),
    ("line\r\nnext\r\n", "line\nnext\n"),  # a CRLF line ending is a newline
    ("\r\r\n", "\\r\n"),
])
def test_control_characters_become_visible_escapes(text, shown):
    assert printable(text) == shown


@pytest.mark.parametrize("text", [
    "",
    "[/bold]",
    "[link=file:///etc/passwd]x[/link]",
    "[red]",
    ":smile: \\x1b",
    "a\tb\nc\n",
    "naïve café, 日本語, Ελληνικά, עברית",
    "😀 👍🏽 👨\u200d👩\u200d👧 🇫🇷",
    "\u00a0\u200b\u2028",  # no-break space, zero width space, line separator: not controls
])
def test_safe_text_is_returned_unchanged(text):
    assert printable(text) is text


def test_no_unsafe_character_survives_anywhere_in_unicode():
    everything = "".join(chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c < 0xE000)
    shown = printable(everything)
    assert [c for c in shown if unsafe(c)] == []
    assert sum(1 for c in everything if unsafe(c)) == 32 - 2 + 1 + 32 + len(BIDI)


@pytest.mark.parametrize(("text", "shown"), [
    ("a\nb", "a b"),
    ("a\r\nb", "a b"),
    ("a\tb", "a b"),
    ("ok\rEVIL", "ok\\rEVIL"),
    ("[/bold]\x1b[2J", "[/bold]\\x1b[2J"),
    ("title", "title"),
])
def test_one_line_turns_line_breaks_into_spaces(text, shown):
    assert one_line(text) == shown


@pytest.mark.parametrize(("text", "limit", "shown"), [
    ("abcde", 5, "abcde"),
    ("abcdef", 5, "abcd…"),
    ("abcdef", 1, "…"),
    ("ab\x1bcdef", 5, "ab…"),  # "ab\x1bcdef": the cut does not split the escape
    ("ab\x1bcdef", 7, "ab\\x1b…"),
    ("ab\rcdef", 4, "ab…"),
    ("ab\\xy", 4, "ab\\…"),  # a literal backslash is text
])
def test_one_line_truncates_with_an_ellipsis(text, limit, shown):
    assert one_line(text, limit=limit) == shown
    assert len(shown) <= limit


def test_one_line_limit_defaults_to_200():
    assert one_line("x" * 500) == "x" * 199 + "…"


def test_one_line_refuses_a_limit_below_one():
    with pytest.raises(ValueError, match="limit"):
        one_line("x", limit=0)


@pytest.mark.parametrize(("text", "shown"), [
    ("one", "one"),
    ("one\ntwo\nthree", "one\n   two\n   three"),
    ("one\n12:00:00 -- completed", "one\n   12:00:00 -- completed"),
    ("a\x1b[2J\nb", "a\\x1b[2J\n   b"),
])
def test_indented_lines_up_later_lines_under_the_first(text, shown):
    assert indented(text, "   ") == shown


@pytest.mark.parametrize(("value", "dumped"), [
    ("\x1b]0;pwned\x07", '"\\u001b]0;pwned\\u0007"'),  # JSON escapes C0 itself
    ("\x9b2J", '"\\u009b2J"'),
    ("\x7f", '"\\u007f"'),
    ("abc\u202edef", '"abc\\u202edef"'),
    ({"\u2066k": ["\x85"]}, '{"\\u2066k": ["\\u0085"]}'),
])
def test_printable_json_escapes_what_json_leaves_raw(value, dumped):
    assert printable_json(value) == dumped
    assert json.loads(dumped) == value


@pytest.mark.parametrize("value", [
    {"a": "é 😀 日本", "b": [1, 2.5, None, True], "c": "[/bold]"},
    "plain",
    [],
])
@pytest.mark.parametrize("indent", [None, 2])
def test_printable_json_is_byte_identical_without_controls(value, indent):
    assert printable_json(value, indent=indent) == json.dumps(value, ensure_ascii=False,
                                                                indent=indent)
