"""Where a store is: a directory (SQLite), or a ``postgresql://`` URL and a local folder.

The store is ``--store`` (or the configured one), else ``$FLOWDSL_STORE``, else
``./.flowdsl`` (:func:`resolve_store_location`).

A store named by a URL keeps its runs, journal and events in PostgreSQL; what is only
ever read on the machine that wrote it stays in a local folder per URL, under the XDG
state directory (``$XDG_STATE_HOME/flowdsl/stores/HASH``, default
``~/.local/state/flowdsl/stores/HASH``), keyed by a hash of the URL *without* its
password (changing the password keeps the folder):

- ``logs/RUN_ID.log``: the stdout/stderr of background workers started on this machine;
- ``workflows/``: workflows saved here with ``flowdsl save``.

The password of a URL is never printed: :func:`mask_url` is what messages show.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import StoreError

# hashlib and urllib.parse load with a URL store only: `flowdsl runs list` on a
# directory starts without them (17 ms of imports)
if TYPE_CHECKING:
    from urllib.parse import SplitResult

__all__ = [
    "ENV_STORE",
    "URL_SCHEMES",
    "StoreMissing",
    "display",
    "is_url",
    "local_dir",
    "mask_url",
    "resolve_store_dir",
    "resolve_store_location",
]

ENV_STORE = "FLOWDSL_STORE"
URL_SCHEMES = ("postgresql://", "postgres://")


class StoreMissing(StoreError):
    """A store opened without ``create`` does not exist yet (no runs were ever stored)."""

    def __init__(self, message: str, *, where: str) -> None:
        super().__init__(message)
        self.where = where


def is_url(location: str | os.PathLike[str]) -> bool:
    """Whether ``location`` names a PostgreSQL store (a ``postgresql://`` URL)."""
    return isinstance(location, str) and location.lower().startswith(URL_SCHEMES)


def _parts(url: str) -> SplitResult:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        raise StoreError(f"{mask_url(url)}: not a valid PostgreSQL URL "
                         "(postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE)") from None
    return parts


def mask_url(url: str) -> str:
    """The URL without its password (``postgresql://user:***@host/db``), query kept."""
    scheme, sep, rest = url.partition("://")
    rest, question, query = rest.partition("?")
    netloc, slash, path = rest.partition("/")
    userinfo, at, hostport = netloc.rpartition("@")
    if at and ":" in userinfo:
        userinfo = userinfo.split(":", 1)[0] + ":***"
    query = "&".join(
        (item.split("=", 1)[0] + "=***") if item.lower().startswith("password=") else item
        for item in query.split("&"))
    return f"{scheme}{sep}{userinfo}{at}{hostport}{slash}{path}{question}{query}"


def display(url: str) -> str:
    """``user@host:port/db``: how messages name a PostgreSQL store (no password)."""
    parts = _parts(url)
    host = parts.hostname or "localhost"
    port = parts.port or 5432
    user = f"{parts.username}@" if parts.username else ""
    return f"postgresql://{user}{host}:{port}{parts.path or '/'}"


def local_dir(url: str, state_home: str | None) -> Path:
    """The local folder of the store at ``url`` (see the module docstring).

    Args:
        url: the store's URL.
        state_home: ``$XDG_STATE_HOME`` (None or empty: ``~/.local/state``).
    """
    import hashlib

    key = display(url) + "?" + mask_url(url).partition("?")[2]
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
    base = Path(state_home) if state_home else Path.home() / ".local" / "state"
    return base / "flowdsl" / "stores" / digest


def resolve_store_location(store: str | os.PathLike[str] | None = None) -> str | Path:
    """The store: ``store`` if given, else ``$FLOWDSL_STORE``, else ``./.flowdsl``; a
    ``postgresql://`` URL stays a string, anything else is a directory."""
    if store is None:
        store = os.environ.get(ENV_STORE) or Path.cwd() / ".flowdsl"
    if is_url(store):
        return str(store)
    return Path(store)


def resolve_store_dir(store: str | os.PathLike[str] | None = None) -> Path:
    """The store's local directory (see :func:`resolve_store_location`); for a URL, the
    folder of its worker logs and saved workflows on this machine (``_location``)."""
    location = resolve_store_location(store)
    if isinstance(location, Path):
        return location
    # the XDG base directory is where state goes; read here like $FLOWDSL_STORE above
    return local_dir(location, os.environ.get("XDG_STATE_HOME"))
