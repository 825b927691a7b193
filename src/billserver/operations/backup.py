"""``billserver backup DEST``: a consistent online copy of a SQLite database.

SQLite's online backup API copies the database as of one read transaction while
servers keep writing (WAL readers do not block writers). The copy is written next
to ``DEST`` under a temporary name, checked, and renamed into place, so ``DEST``
is either the previous file or a complete copy. PostgreSQL is backed up with its
own tools (``pg_dump``); this command says so.
"""

from __future__ import annotations

import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from ..db.existing import MissingDatabase, require_existing

__all__ = ["BackupError", "BackupResult", "backup"]

_BUSY_TIMEOUT_S = 30.0


class BackupError(Exception):
    """The backup could not be made (the message says why and what to do)."""


@dataclass(frozen=True, slots=True)
class BackupResult:
    """Where the copy went and how large it is."""

    source: Path
    destination: Path
    size: int


def backup(db_url: str, destination: Path, *, overwrite: bool = False) -> BackupResult:
    """Copy the SQLite database of ``db_url`` to ``destination`` (a file or a directory)."""
    source = _sqlite_path(db_url)
    if destination.is_dir():
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        destination = destination / f"billing-{stamp}.db"
    if destination.exists() and not overwrite:
        raise BackupError(f"{destination} exists; choose another name or pass --force")
    if destination.resolve() == source.resolve():
        raise BackupError("the destination is the database itself")
    if not destination.parent.is_dir():
        raise BackupError(f"{destination.parent} is not a directory")
    partial = destination.with_name(f".{destination.name}.partial")
    try:
        _copy(source, partial)
        os.replace(partial, destination)
        _sync_directory(destination.parent)
    except sqlite3.Error as error:
        raise BackupError(f"{source}: {error}") from None
    except OSError as error:
        raise BackupError(f"{error.filename or destination}: {error.strerror}") from None
    finally:
        partial.unlink(missing_ok=True)
    return BackupResult(source, destination, destination.stat().st_size)


def _sqlite_path(db_url: str) -> Path:
    try:
        url = make_url(db_url)
    except ArgumentError:
        raise BackupError(f"{db_url!r} is not a database URL") from None
    backend = url.get_backend_name()
    if backend == "postgresql":
        raise BackupError(
            "a PostgreSQL database is backed up with pg_dump, e.g. "
            "pg_dump --format=custom --file=billing.dump DBNAME (see README, Operations)"
        )
    if backend != "sqlite":
        raise BackupError(f"cannot back up a {backend} database; use its own backup tool")
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory database has nothing to back up")
    try:
        require_existing(db_url)
    except MissingDatabase as error:
        raise BackupError(str(error)) from None
    return Path(url.database).expanduser()


def _copy(source: Path, target: Path) -> None:
    target.unlink(missing_ok=True)
    src = sqlite3.connect(source, timeout=_BUSY_TIMEOUT_S)
    try:
        src.execute(f"PRAGMA busy_timeout={int(_BUSY_TIMEOUT_S * 1000)}")
        dst = sqlite3.connect(target)
        try:
            # all pages in one step: one read transaction, hence one consistent snapshot
            src.backup(dst, pages=-1)
            # one self-contained file (no -wal beside it); servers switch it back to WAL
            dst.execute("PRAGMA journal_mode=DELETE")
            check = dst.execute("PRAGMA quick_check").fetchone()
            if check is None or check[0] != "ok":
                raise BackupError(f"the copy failed its integrity check: {check}")
        finally:
            dst.close()
        with open(target, "rb+") as copied:
            os.fsync(copied.fileno())
    finally:
        src.close()


def _sync_directory(directory: Path) -> None:
    """Make a rename in ``directory`` durable (where the platform allows it)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
