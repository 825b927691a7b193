"""Database engines: SQLite by default, any SQLAlchemy URL with ``--db``.

SQLite is opened in WAL mode with durable commits (``synchronous=FULL``) and a
busy timeout, so several server processes can share one file. Writers begin with
``BEGIN IMMEDIATE`` (SQLAlchemy's default deferred BEGIN lets two processes both
read, then deadlock upgrading to a write lock): :func:`write` gives such a
transaction, :func:`read` a plain one.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeAlias

import orjson
import platformdirs
from sqlalchemy import Connection, Engine, Row, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from .driver import run_sql

__all__ = ["AnyRow", "default_db_url", "make_engine", "read", "write"]

AnyRow: TypeAlias = Row[*tuple[Any, ...]]
"""A result row whose columns are read by name."""

_BUSY_TIMEOUT_S = 30.0

# The committing writer copies the WAL back into the database once it holds this many
# pages (SQLite's default is 1,000: 4 MB). Each copy writes every page changed since
# the last one and flushes the file while updates wait; under a steady stream of
# updates the same pages (sessions, holds, accounts, the ends of the tables) change
# again and again, so copying a tenth as often writes far fewer pages in all and
# stalls the writer a tenth as often. The WAL file grows to about 40 MB.
_WAL_CHECKPOINT_PAGES = 10_000

# SQLite allows one writer at a time. Threads of one process queue on this lock
# instead of on SQLite's busy handler, which sleeps in growing steps (up to
# 100 ms) and so turns contention into long stalls; other processes are still
# waited for by the busy handler.
_WRITE_LOCKS: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()


def default_db_url() -> str:
    """The embedded database: a SQLite file in the platform's data directory."""
    data = Path(platformdirs.user_data_dir("billserver", appauthor=False))
    data.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{data / 'billing.db'}"


def _json_serializer(value: Any) -> str:
    """JSON columns: orjson (several times faster on the update path), the standard
    library for what orjson refuses (integers beyond 64 bits)."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value)


def make_engine(url: str) -> Engine:
    """Create the engine for ``url``, with SQLite tuned for several processes."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        return _postgresql_engine(parsed)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(
            url,
            pool_pre_ping=True,
            pool_size=10,
            max_overflow=30,
            json_serializer=_json_serializer,
        )
    if not parsed.database or parsed.database == ":memory:":
        # each pooled connection would get an empty database of its own
        raise ArgumentError(
            "an in-memory SQLite database is not shared between connections; "
            "name a file, e.g. sqlite:////srv/billing.db"
        )
    Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        connect_args={"timeout": _BUSY_TIMEOUT_S, "check_same_thread": False},
        pool_size=8,
        max_overflow=32,
        json_serializer=_json_serializer,
    )
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)
    _WRITE_LOCKS[engine] = threading.Lock()
    return engine


def _postgresql_engine(url: URL) -> Engine:
    """PostgreSQL through psycopg 3 (what the ``server`` extra installs), READ COMMITTED:
    writers lock the rows they change, so each sees the latest committed row and
    concurrent transactions queue on the lock instead of failing to serialise."""
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return create_engine(
        url,
        isolation_level="READ COMMITTED",
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=30,
        connect_args={"connect_timeout": 10, "application_name": "billserver"},
        json_serializer=_json_serializer,
    )


def _sqlite_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN itself, so it can be IMMEDIATE.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(_BUSY_TIMEOUT_S * 1000)}")
    cursor.execute(f"PRAGMA wal_autocheckpoint={_WAL_CHECKPOINT_PAGES}")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    # on the driver's cursor: exec_driver_sql's execution machinery costs more than
    # the BEGIN itself, on every transaction
    immediate = connection.get_execution_options().get("immediate")
    run_sql(connection, "BEGIN IMMEDIATE" if immediate else "BEGIN DEFERRED")


@contextlib.contextmanager
def write(engine: Engine, *, on: Connection | None = None) -> Iterator[Connection]:
    """A write transaction: commits on success, rolls back on any exception.

    On SQLite it holds the database's write lock from the start; on PostgreSQL
    callers lock the rows they change (``SELECT ... FOR UPDATE``). ``on``: a
    connection of ``engine`` the caller keeps between transactions (the group
    commit's writer), instead of one from the pool.
    """
    lock = _WRITE_LOCKS.get(engine)
    with lock or contextlib.nullcontext():
        if on is not None:
            with on.execution_options(immediate=True).begin():
                yield on
            return
        with engine.connect() as conn:
            conn = conn.execution_options(immediate=True)
            with conn.begin():
                yield conn


@contextlib.contextmanager
def read(engine: Engine) -> Iterator[Connection]:
    """A read-only transaction (a consistent snapshot)."""
    with engine.connect() as conn, conn.begin():
        yield conn
