"""The one compile cache: a small in-memory LRU in front of an authenticated disk cache.

Parsing a large JavaScript workflow with esprima, transpiling it and running the
sandbox's RestrictedPython rewrite costs most of a second; a workflow is usually run
many times unchanged (resumes, ``workflow()`` children, background workers). The
finished :class:`CompiledWorkflow` — meta, the Python form, the line map and the code
object — is kept in memory for this process and, marshalled, under
``$FLOWDSL_CACHE_DIR`` (default ``$XDG_CACHE_HOME/flowdsl`` or ``~/.cache/flowdsl``;
``FLOWDSL_CACHE_DIR=off`` disables the disk layer).

The disk layer is not a way around the sandbox: a marshalled code object runs without
the sandbox's rewrite, so only entries this user's flowdsl wrote are ever loaded.

- The directory must be owned by the current user and not group/other-writable (it is
  created 0700); any other directory is not used.
- Every entry carries an HMAC-SHA256 over its name and contents, under a per-user random
  key kept in the directory (``key``, mode 0600, created atomically with ``O_EXCL`` and
  a hard link). A key file with a wrong owner, mode, type or size is replaced, which
  invalidates every entry. An entry whose MAC does not verify (tampered, foreign,
  truncated, unauthenticated) is recompiled, never unmarshalled.

The entry name covers the script's path and text, the Python version and a hash of
every source file of ``flowdsl`` and ``compat``: a changed sandbox policy or transpiler
never serves a stale entry. Only successful compiles are stored. The disk layer is an
optimisation: any error in it is silent.
"""

from __future__ import annotations

import _thread
import copy
import dataclasses
import functools
import hashlib
import hmac
import importlib.util
import marshal
import os
import stat
import sys
from collections import OrderedDict
from pathlib import Path
from types import CodeType
from typing import Any

from .._sandbox import LineMap
from ._compiled import CompiledWorkflow

__all__ = ["CACHE", "CACHE_ENV", "CompileCache", "cache_dir"]

CACHE_ENV = "FLOWDSL_CACHE_DIR"
_FORMAT = 2
_KEY_FILE = "key"
_KEY_SIZE = 32
_MAC_SIZE = hashlib.sha256().digest_size
_LANGUAGES = ("python", "javascript")


def cache_dir() -> Path | None:
    """Where compiled workflows are kept on disk, or None when the disk layer is off."""
    configured = os.environ.get(CACHE_ENV)
    if configured is not None:
        return None if configured.strip().lower() in ("", "off", "0", "none") else Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "flowdsl"


class CompileCache:
    """Compiled workflows by (source, path): memory first, then the disk layer.

    Attributes:
        memory_hits, disk_hits, misses: counters, for tests and benchmarks.
    """

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self.memory_hits = self.disk_hits = self.misses = 0
        self._entries: OrderedDict[tuple[str, str], CompiledWorkflow] = OrderedDict()
        self._lock = _thread.allocate_lock()  # not threading: ~3.5 ms of start-up

    def get(self, source: str, path: str) -> CompiledWorkflow | None:
        """The cached compile of ``source`` at ``path`` (a private copy of its meta)."""
        key = _memory_key(source, path)
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self.memory_hits += 1
                self._entries.move_to_end(key)
        if found is None:
            found = _load(source, path)
            with self._lock:
                if found is None:
                    self.misses += 1
                    return None
                self.disk_hits += 1
                self._remember(key, found)
        return dataclasses.replace(found, meta=copy.deepcopy(dict(found.meta)))

    def put(self, compiled: CompiledWorkflow) -> None:
        """Keep a successful compile, in memory and on disk (the caller keeps its meta)."""
        kept = dataclasses.replace(compiled, meta=copy.deepcopy(dict(compiled.meta)))
        with self._lock:
            self._remember(_memory_key(compiled.source, compiled.path), kept)
        _save(compiled)

    def clear(self) -> None:
        """Forget the memory layer and reset the counters (the disk layer stays)."""
        with self._lock:
            self._entries.clear()
            self.memory_hits = self.disk_hits = self.misses = 0

    def _remember(self, key: tuple[str, str], compiled: CompiledWorkflow) -> None:
        self._entries[key] = compiled
        self._entries.move_to_end(key)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)


CACHE = CompileCache()
"""The process's compile cache."""


def _memory_key(source: str, path: str) -> tuple[str, str]:
    return hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest(), path


# -- the disk layer ----------------------------------------------------------------------


def _uid() -> int:
    return os.getuid()


@functools.cache
def _salt() -> str:
    """A fingerprint of flowdsl's own sources: any change to them invalidates every entry.

    Each source file's path, size and modification time (nanoseconds), not its bytes:
    reading and hashing every file cost a short command (``flowdsl check``) about as
    much as the rest of its start. An edit changes the modification time; a reinstall
    may invalidate entries that were still good, which costs one compile.
    """
    digest = hashlib.sha256(f"{_FORMAT}|{sys.version}|{marshal.version}".encode())
    for package in ("flowdsl", "compat"):
        spec = importlib.util.find_spec(package)  # located, not imported
        if spec is None or spec.origin is None:
            continue
        folders = [os.path.dirname(spec.origin)]
        while folders:
            with os.scandir(folders.pop()) as found:
                entries = sorted(found, key=lambda entry: entry.name)
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name != "__pycache__":
                        folders.append(entry.path)
                elif entry.name.endswith(".py"):
                    info = entry.stat()
                    digest.update(f"{entry.path}\0{info.st_size}\0{info.st_mtime_ns}\0".encode())
    return digest.hexdigest()


def _trusted_dir() -> Path | None:
    """The cache directory, created 0700; None if it is off or someone else could write it."""
    directory = cache_dir()
    if directory is None or not hasattr(os, "getuid"):
        return None
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = directory.stat()
    except OSError:
        return None
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != _uid() or info.st_mode & 0o022:
        return None
    return directory


def _key(directory: Path) -> bytes | None:
    """The per-user MAC key; an untrustworthy key file is replaced by a new key."""
    path = directory / _KEY_FILE
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return _new_key(path)
    except OSError:  # a symlink, or unreadable
        return _replace_key(path)
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        key = handle.read(_KEY_SIZE + 1)
    trusted = (stat.S_ISREG(info.st_mode) and info.st_uid == _uid()
               and not info.st_mode & 0o077 and len(key) == _KEY_SIZE)
    return key if trusted else _replace_key(path)


def _replace_key(path: Path) -> bytes | None:
    try:
        path.unlink(missing_ok=True)
    except OSError:
        return None
    return _new_key(path)


def _new_key(path: Path) -> bytes | None:
    """Write a new key atomically: a private O_EXCL file, hard-linked into place (a
    process that races us keeps its key; we skip the disk this once)."""
    import secrets  # only to make a key: a process that finds one never loads it

    key = secrets.token_bytes(_KEY_SIZE)
    staging = path.with_name(f".{_KEY_FILE}-{secrets.token_hex(8)}")
    try:
        fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(key)
            os.link(staging, path)
        finally:
            staging.unlink(missing_ok=True)
    except OSError:
        return None
    return key


def _entry_name(source: str, path: str) -> str:
    text = f"{_salt()}\0{path}\0{source}"
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _entry_path(directory: Path, name: str) -> Path:
    return directory / "compiled" / name[:2] / f"{name[2:]}.bin"


def _mac(key: bytes, name: str, blob: bytes) -> bytes:
    return hmac.new(key, name.encode() + b"\0" + blob, hashlib.sha256).digest()


def _load(source: str, path: str) -> CompiledWorkflow | None:
    try:
        directory = _trusted_dir()
        if directory is None:
            return None
        name = _entry_name(source, path)
        entry = _entry_path(directory, name)
        if not entry.is_file():
            return None
        data = entry.read_bytes()
        key = _key(directory)
        if key is None or len(data) <= _MAC_SIZE:
            return None
        mac, blob = data[:_MAC_SIZE], data[_MAC_SIZE:]
        if not hmac.compare_digest(mac, _mac(key, name, blob)):
            return None  # never unmarshal what this user's flowdsl did not write
        return _decode(marshal.loads(blob), source, path)
    except (OSError, ValueError, EOFError, TypeError):
        return None


def _decode(data: Any, source: str, path: str) -> CompiledWorkflow | None:
    language, meta, python_source, line_map, code = data
    if (language not in _LANGUAGES or not isinstance(meta, dict) or not isinstance(code, CodeType)
            or not isinstance(python_source, str)):
        return None
    return CompiledWorkflow(
        path=path, language=language, meta=meta, source=source,
        python_source=python_source, code=code,
        line_map=None if line_map is None else LineMap(
            {int(k): (int(v[0]), int(v[1])) for k, v in line_map.items()}),
    )


def _save(compiled: CompiledWorkflow) -> None:
    """Store a successful compile (atomically; errors are ignored)."""
    import tempfile  # only to write an entry: a cache hit never loads it

    try:
        directory = _trusted_dir()
        if directory is None:
            return
        key = _key(directory)
        if key is None:
            return
        name = _entry_name(compiled.source, compiled.path)
        entry = _entry_path(directory, name)
        line_map = None if compiled.line_map is None else compiled.line_map.as_dict()
        blob = marshal.dumps((compiled.language, dict(compiled.meta), compiled.python_source,
                              line_map, compiled.code))
        entry.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, staging = tempfile.mkstemp(dir=entry.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            handle.write(_mac(key, name, blob) + blob)
        os.replace(staging, entry)
    except (OSError, ValueError):
        return
