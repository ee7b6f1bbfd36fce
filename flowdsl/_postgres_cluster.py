"""A throwaway PostgreSQL cluster, for tests and benchmarks (``flowdsl.testing``).

``initdb`` into a temporary directory (as the ``postgres`` user when running as root:
PostgreSQL refuses to run as root), ``pg_ctl start`` listening on 127.0.0.1 only, on a
free port, with its socket directory inside the temporary directory; a superuser with
a password (TCP logins need it); ``fsync=off`` (nothing here must survive a power cut).
Stopped and removed on exit, also after a failure. The binaries come from
``pg_config --bindir`` or ``/usr/lib/postgresql/*/bin``.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Self

__all__ = ["PostgresCluster", "postgres_bindir", "postgres_cluster"]

USER = "flowdsl"
PASSWORD = "s3cret-pw-for-tests"


def postgres_bindir() -> Path | None:
    """Where ``initdb`` and ``pg_ctl`` are, or None."""
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True,
                                 timeout=10, check=True).stdout.strip()
            candidates.append(Path(out))
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"),
                      key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
                      reverse=True)
    candidates.extend(versions)
    return next((d for d in candidates if (d / "initdb").exists() and (d / "pg_ctl").exists()),
                None)


class PostgresCluster:
    """A running throwaway cluster (use as a context manager)."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.host = "127.0.0.1"
        self.port = 0
        self.root = Path()
        self._started = False
        self._numbers = itertools.count()

    def url(self, db: str, *, password: str = PASSWORD) -> str:
        return f"postgresql://{USER}:{password}@{self.host}:{self.port}/{db}"

    def database(self, prefix: str = "t") -> str:
        """The URL of a new, empty database."""
        import psycopg

        name = f"{prefix}{os.getpid()}_{next(self._numbers)}"
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name} TEMPLATE template0")
        return self.url(name)

    def __enter__(self) -> Self:
        self.root = Path(tempfile.mkdtemp(prefix="flowdsl-pg-"))
        data, sock = self.root / "data", self.root / "sock"
        sock.mkdir()
        (self.root / "pw").write_text(PASSWORD + "\n")
        if os.geteuid() == 0:
            for path in (self.root, sock, self.root / "pw"):
                shutil.chown(path, "postgres")
        try:
            self._run("initdb", "-D", str(data), "-U", USER, f"--pwfile={self.root / 'pw'}",
                      "--auth-host=scram-sha-256", "--auth-local=trust", "-E", "UTF8",
                      "--locale=C.UTF-8" if Path("/usr/lib/locale/C.utf8").exists()
                      else "--locale=C")
            self.port = _free_port()
            options = (f"-c listen_addresses=127.0.0.1 -p {self.port} "
                       f"-c unix_socket_directories={sock} -c fsync=off "
                       "-c max_connections=200")
            self._run("pg_ctl", "-D", str(data), "-l", str(self.root / "log"), "-w", "-t", "60",
                      "-o", options, "start")
            self._started = True
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._started:
            with contextlib.suppress(RuntimeError, subprocess.SubprocessError):
                self._run("pg_ctl", "-D", str(self.root / "data"), "-m", "immediate", "-w",
                          "stop")
            self._started = False
        shutil.rmtree(self.root, ignore_errors=True)

    def _run(self, program: str, *args: str) -> None:
        argv = [str(self.bindir / program), *args]
        if os.geteuid() == 0:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"{program} failed: {proc.stdout}{proc.stderr}")


def postgres_cluster() -> PostgresCluster:
    """A cluster to start with ``with``.

    Raises:
        RuntimeError: no PostgreSQL binaries on this machine.
    """
    bindir = postgres_bindir()
    if bindir is None:
        raise RuntimeError("PostgreSQL binaries not found (pg_config --bindir, "
                           "/usr/lib/postgresql/*/bin)")
    return PostgresCluster(bindir)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
