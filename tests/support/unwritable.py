"""Making a test database one the server cannot write, and writable again.

- SQLite: the database file and its write-ahead log get the immutable attribute
  (``chattr +i``), which even root cannot write through: the server's open
  connections fail with "disk I/O error", new ones with "attempt to write a
  readonly database", as on a failing or read-only disk. (The ``-shm`` file is left
  alone: SQLite maps it into memory, and an immutable mapping would crash the
  process rather than fail its writes.)
- PostgreSQL: the database's transactions become read-only
  (``default_transaction_read_only``) and its connections are closed, so the
  server's next connections get read-only sessions.

Without ``chattr`` (or the right to use it) the test skips on a developer machine and
fails in CI, like the PostgreSQL tests.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from .fixtures import ServerFactory

__all__ = ["immutable", "unwritable"]


@contextlib.contextmanager
def unwritable(factory: ServerFactory) -> Iterator[None]:
    """While inside, the factory's database cannot be written (see the module)."""
    if factory.cluster is None:
        database = Path(str(make_url(factory.db_url).database))
        with immutable(database, database.with_name(database.name + "-wal")):
            yield
        return
    name = make_url(factory.db_url).database
    factory.cluster.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
    _close_connections(factory, str(name))
    try:
        yield
    finally:
        factory.cluster.execute(f'ALTER DATABASE "{name}" RESET default_transaction_read_only')
        _close_connections(factory, str(name))


@contextlib.contextmanager
def immutable(*paths: Path) -> Iterator[None]:
    """``chattr +i`` the existing ``paths`` while inside; always undone."""
    present = [path for path in paths if path.exists()]
    _chattr("+i", present)
    try:
        yield
    finally:
        _chattr("-i", present)


def _chattr(change: str, paths: list[Path]) -> None:
    if not paths:
        return
    try:
        result = subprocess.run(
            ["chattr", change, *map(str, paths)], capture_output=True, text=True, check=False
        )
    except OSError as error:
        result = subprocess.CompletedProcess([], 1, "", str(error))
    if result.returncode != 0:
        message = f"chattr {change} failed ({result.stderr.strip()}); the storage tests need it"
        if change == "-i":
            raise RuntimeError(message)  # never leave an immutable file behind silently
        if os.environ.get("CI"):
            pytest.fail(message, False)
        pytest.skip(message)


def _close_connections(factory: ServerFactory, name: str) -> None:
    assert factory.cluster is not None
    factory.cluster.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        f"WHERE datname = '{name}' AND pid <> pg_backend_pid()"
    )
