"""A throwaway PostgreSQL cluster for the tests: initdb + pg_ctl in a temp dir.

The Debian/Ubuntu packages put the binaries in ``/usr/lib/postgresql/<major>/bin``,
which is not on PATH. initdb refuses to run as root (CI and sessions do), so when
root runs the tests the cluster belongs to the ``postgres`` user and every
server-side command runs through ``runuser -u postgres --``.

The cluster listens on a free loopback port only (the unix socket sits in the
private temp dir), asks for a generated password over TCP, and keeps real
durability (``fsync=on``). Each test database is created from the superuser's
connection and dropped when its test is done.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import secrets
import shutil
import subprocess
import tempfile
from pathlib import Path

from .servers import free_port

__all__ = ["PostgresCluster", "PostgresUnavailable", "find_bindir"]

_SEARCH = "/usr/lib/postgresql"
_OS_USER = "postgres"
_SUPERUSER = "postgres"
_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_START_ATTEMPTS = 3


class PostgresUnavailable(RuntimeError):
    """PostgreSQL binaries are missing or the cluster could not be started."""


def find_bindir() -> Path | None:
    """The newest ``/usr/lib/postgresql/<major>/bin`` with initdb and pg_ctl, if any."""
    candidates = []
    for bindir in Path(_SEARCH).glob("*/bin"):
        if (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file():
            with contextlib.suppress(ValueError):
                candidates.append((int(bindir.parent.name.split(".")[0]), bindir))
    return max(candidates)[1] if candidates else None


class PostgresCluster:
    """One PostgreSQL cluster in a temp dir on a loopback port; ``stop()`` deletes it."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="billing-pg-"))
        self.data = self.root / "data"
        self.log_path = self.root / "postgres.log"
        self.password = secrets.token_hex(16)
        self.port = 0
        self._as_postgres = os.geteuid() == 0
        self._running = False

    def start(self) -> PostgresCluster:
        """initdb and start; raises :class:`PostgresUnavailable` with the server's log."""
        try:
            self._initdb()
            for _attempt in range(_START_ATTEMPTS):  # a free port may be taken meanwhile
                self.port = free_port()
                self._configure()
                result = self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log_path),
                                   "-w", "-t", "60", "start")  # fmt: skip
                if result.returncode == 0:
                    self._running = True
                    return self
            raise PostgresUnavailable(f"pg_ctl start failed:\n{result.stdout}{self.log()}")
        except BaseException:
            self.stop()
            raise

    def url(self, database: str) -> str:
        """The SQLAlchemy URL of ``database`` in this cluster (as the server takes it)."""
        return f"postgresql://{_SUPERUSER}:{self.password}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str, *, template: str | None = None) -> str:
        """Create an empty database (or a copy of ``template``); returns its URL."""
        sql = f'CREATE DATABASE "{_checked(name)}"'
        if template is not None:
            sql += f' TEMPLATE "{_checked(template)}"'
        self.execute(sql)
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop ``name``, closing whatever connections it still has."""
        self.execute(f'DROP DATABASE IF EXISTS "{_checked(name)}" WITH (FORCE)')

    def execute(self, sql: str) -> None:
        """Run one statement in the ``postgres`` database, outside a transaction."""
        import psycopg

        with psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            user=_SUPERUSER,
            password=self.password,
            dbname="postgres",
            autocommit=True,
            connect_timeout=30,
        ) as conn:
            conn.execute(sql.encode())

    def stop(self) -> None:
        """Stop the server (if it runs) and delete the cluster's directory."""
        if self._running:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
            self._running = False
        shutil.rmtree(self.root, ignore_errors=True)

    def log(self) -> str:
        """The server's log (empty if it never started)."""
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def _initdb(self) -> None:
        pwfile = self.root / "pwfile"
        pwfile.write_text(self.password + "\n")
        if self._as_postgres:
            try:
                owner = pwd.getpwnam(_OS_USER)
            except KeyError:
                raise PostgresUnavailable(
                    f"running as root, but there is no {_OS_USER!r} user to own the cluster"
                ) from None
            for path in (self.root, pwfile):
                os.chown(path, owner.pw_uid, owner.pw_gid)
        result = self._run(
            "initdb",
            "-D", str(self.data),
            "-U", _SUPERUSER,
            "--pwfile", str(pwfile),
            "--auth-local=trust",  # the socket is in the private temp dir
            "--auth-host=scram-sha-256",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",  # only initdb's final sync: the running server keeps fsync=on
        )  # fmt: skip
        pwfile.unlink()
        if result.returncode != 0:
            raise PostgresUnavailable(f"initdb failed:\n{result.stdout}")

    def _configure(self) -> None:
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.root}'",
            "fsync": "on",
            "synchronous_commit": "on",
            "max_connections": "300",
            "log_lock_waits": "on",
        }
        conf = self.data / "postgresql.auto.conf"
        lines = [f"{key} = {value}" for key, value in settings.items()]
        conf.write_text("\n".join(lines) + "\n")
        if self._as_postgres:
            owner = pwd.getpwnam(_OS_USER)
            os.chown(conf, owner.pw_uid, owner.pw_gid)

    def _run(self, program: str, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(self.bindir / program), *args]
        if self._as_postgres:
            command = ["runuser", "-u", _OS_USER, "--", *command]
        try:
            return subprocess.run(
                command,
                cwd=self.root,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                timeout=120,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise PostgresUnavailable(f"{program} could not run: {error}") from None


def _checked(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise ValueError(f"not a plain database name: {name!r}")
    return name
