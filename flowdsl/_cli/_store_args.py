"""What every store command shares: ``--store`` and ``--json``, opening the store, JSON out."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from .._terminal_text import printable_json
from ..errors import RunNotFound

# The options and the store import when a command opens a store, not when the parser is
# built (every command's parser uses common_options).
if TYPE_CHECKING:
    from .._store import Store
    from .._types import JSONValue

__all__ = ["EXIT_OK", "common_options", "has_store", "open_store", "print_json", "store_dir"]

EXIT_OK = 0


def common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", metavar="DIR|URL",
                        help="run store: a directory, or a postgresql:// URL (default: "
                        "the configured store, else $FLOWDSL_STORE, else ./.flowdsl)")
    parser.add_argument("--json", action="store_true", help="print JSON")


def store_location(ns: argparse.Namespace) -> str | None:
    """``--store``, else the configured store (None: ``$FLOWDSL_STORE`` or ``./.flowdsl``)."""
    from .._options import RunOptions

    return RunOptions.resolve(store=ns.store).store


def store_dir(ns: argparse.Namespace) -> Path:
    """The store's local directory (a URL's: its local folder; see ``_store._location``)."""
    from .._store import resolve_store_dir

    return resolve_store_dir(store_location(ns))


def open_store(ns: argparse.Namespace, *, read_only: bool = False) -> Store:
    """The existing store (never created by a read or a control command).

    Read commands open it read-only, so they answer on a read-only disk or directory too.
    """
    from .._store import Store, StoreMissing

    try:
        return Store.open(store_location(ns), create=False, read_only=read_only)
    except StoreMissing as exc:
        ref = getattr(ns, "run_id", None) or getattr(ns, "source", None)
        raise RunNotFound(f"no run {ref!r}: no flowdsl store in {exc.where}") from None


def has_store(ns: argparse.Namespace) -> bool:
    from .._store import store_exists

    return store_exists(store_location(ns))


def print_json(value: JSONValue) -> None:
    print(printable_json(value))
