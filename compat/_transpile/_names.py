"""Python names for JS bindings: readable, valid, and never a name the output relies on.

JS and Python disagree on what makes two identifiers the same. esprima decodes escapes
(``\\u0061bc`` is ``abc``, as in JS), but Python NFKC-normalises every identifier when
it parses the output, so ``ｊｓ_get`` (fullwidth) would become the runtime helper
``js_get``, and ``ｘ`` the same variable as ``x``; some JS identifier characters (ZWNJ,
``゛``) are not valid in Python at all. :func:`python_name` therefore only ever returns
names that Python reads back unchanged: ASCII, or already in NFKC form. Two such names
are the same Python variable exactly when they are equal strings, which is what the
scope analysis compares when it makes overlapping bindings distinct.

Beyond that the result avoids every name the generated code or the sandbox gives a
meaning to: the ``js_`` prefix (helpers and temporaries), Python keywords, the names
the output uses itself (:data:`RESERVED`), the names the sandbox refuses (leading
``_``, ``print``, ``printed``, ``builtins``, ``breakpoint``, a ``__roles__`` suffix).
Plain ASCII identifiers keep their spelling whenever it is safe.

Rejected: encoding every non-ASCII character (``_xff4a_``) — unreadable for the
ordinary case of a script written in another alphabet; keeping NFKC-stable names is
just as safe.
"""

from __future__ import annotations

import keyword
import unicodedata
from collections.abc import Container

__all__ = ["RESERVED", "python_name"]

RESERVED = frozenset(keyword.kwlist) | {
    # what the output uses itself: module names, jsrt values, `except Exception`
    "undefined", "meta", "script", "NaN", "Infinity", "Exception", "jsrt",
    # what the sandbox refuses as a variable name (RestrictedPython's reserved names)
    "print", "printed", "builtins", "breakpoint",
}


def python_name(name: str, js_names: Container[str]) -> str:
    """A safe, readable Python name for the JS identifier ``name`` (already unescaped).

    The result is not necessarily unique (``$a`` and ``S_a`` may both want ``S_a``); a
    changed spelling avoids every name in ``js_names``, and the caller separates
    bindings whose results are equal.
    """
    out = _spell(name)
    if out in RESERVED or out.endswith("__roles__"):
        out += "_"
    elif out.startswith("js_"):
        out = "u_" + out
    elif out.startswith("_") and out != "_":
        out = "u" + out
    while out != name and out in js_names:
        out += "_"
    return out


def _spell(name: str) -> str:
    """``name`` with ``$`` spelt ``S_`` and in the form Python keeps (NFKC), every
    character Python does not accept in an identifier written as ``_xHEX_``."""
    text = unicodedata.normalize("NFKC", name.replace("$", "S_"))
    if text.isidentifier() and text.isascii():
        return text
    out = []
    for ch in text:
        if ("a" + ch).isidentifier() and unicodedata.normalize("NFKC", ch) == ch:
            out.append(ch)
        else:
            out.append(f"_x{ord(ch):x}_")
    spelt = "".join(out)
    if not spelt.isidentifier():  # starts with a character only valid inside a name
        spelt = "u_" + spelt
    # Combining marks can compose with their neighbour: recheck the whole name.
    if unicodedata.normalize("NFKC", spelt) != spelt:
        spelt = "".join(ch if ch.isascii() else f"_x{ord(ch):x}_" for ch in spelt)
    return spelt
