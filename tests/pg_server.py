"""A throwaway PostgreSQL cluster for the test suite.

The cluster lives under a temp folder, listens on a free loopback port, and is
stopped and deleted at the end of the run. PostgreSQL refuses to run as root,
so when the suite runs as root the server runs as the ``postgres`` user.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    """The PostgreSQL server binaries are missing or the cluster did not start."""


def _bindir() -> Path:
    override = os.environ.get("SEALBAG_PG_BINDIR")
    if override:
        return Path(override)
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: (
            int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0
        ),
    )
    if candidates:
        return Path(candidates[-1]).parent
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise PostgresUnavailable(
        "PostgreSQL server binaries not found; install them with: apt-get install postgresql"
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ThrowawayPostgres:
    """Start with :meth:`start`, get per-test databases with :meth:`new_database`."""

    def __init__(self) -> None:
        self.bindir = _bindir()
        self.root = Path(tempfile.mkdtemp(prefix="sealbag-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.user = "sealbag"
        self._counter = 0
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            try:
                pw = pwd.getpwnam("postgres")
            except KeyError as exc:
                raise PostgresUnavailable(
                    "running as root but there is no 'postgres' user"
                ) from exc
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
            self.root.chmod(0o700)

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        cmd = [str(a) for a in args]
        if self._as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)

    def start(self) -> ThrowawayPostgres:
        res = self._run(
            self.bindir / "initdb",
            "-D",
            self.data,
            "-U",
            self.user,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
            "--locale=C",
        )
        if res.returncode != 0:
            raise PostgresUnavailable(f"initdb failed: {res.stderr.strip()[-500:]}")
        opts = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} "
            "-c fsync=off -c full_page_writes=off -c max_connections=60"
        )
        res = self._run(
            self.bindir / "pg_ctl",
            "-D",
            self.data,
            "-o",
            opts,
            "-l",
            self.root / "server.log",
            "-w",
            "-t",
            "60",
            "start",
        )
        if res.returncode != 0:
            log = (self.root / "server.log").read_text(errors="replace")[-800:]
            raise PostgresUnavailable(f"pg_ctl start failed: {res.stderr.strip()} {log}")
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        import psycopg

        deadline = time.monotonic() + 30
        while True:
            try:
                with psycopg.connect(self.admin_dsn, connect_timeout=2):
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    @property
    def admin_dsn(self) -> str:
        return f"host=127.0.0.1 port={self.port} user={self.user} dbname=postgres"

    def url(self, dbname: str) -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{dbname}"

    def new_database(self, prefix: str = "t") -> str:
        """Create an empty database and return its SQLAlchemy URL."""
        import psycopg

        self._counter += 1
        name = f"{prefix}_{os.getpid()}_{self._counter}"
        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        if self.data.exists():
            self._run(self.bindir / "pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)
