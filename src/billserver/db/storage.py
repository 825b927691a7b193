"""Storage failures: told apart from bugs, answered as such, and reported by health.

A database that cannot do its work is not a bug in the server: a file that cannot be
written (read-only, immutable, on a read-only mount), a full disk, an I/O error, a
damaged file, a PostgreSQL server that is down, read-only or out of resources.
:func:`storage_fault` recognises these from the driver's own error codes (SQLite's
extended result code, PostgreSQL's SQLSTATE), so that

- a request that meets one answers 503 ``unavailable`` with ``Retry-After``
  (:mod:`billserver.web.failures`), never 500 ``internal``;
- ``GET /v1/health`` answers 503 with the reason while the database is failing
  (:class:`StorageMonitor`);
- ``billserver`` commands print one line naming the database and the problem
  (:func:`describe_database`).

A *lasting* fault (the file cannot be written, the disk is full, the server is
gone) marks the database failing until a write probe succeeds again; a passing
one (SQLite busy beyond its timeout, every pooled connection in use) answers 503
but leaves health alone.

The monitor learns of faults from the engine's ``handle_error`` event, so every
query of the process reports them without any caller's help. While the database is
failing, health runs a write probe (at most once per :data:`PROBE_EVERY` seconds):
on SQLite a real write transaction that rewrites the header's ``user_version`` with
its own value (a page written and synced, nothing changed), on PostgreSQL a check that
the server accepts writes (not in recovery, transactions not read-only).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, event, text
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from . import read, write

__all__ = [
    "PROBE_EVERY",
    "RETRY_AFTER",
    "StorageFault",
    "StorageMonitor",
    "describe_database",
    "log_failure",
    "probe_writable",
    "storage_fault",
]

log = logging.getLogger("billserver.storage")

RETRY_AFTER = 5
"""Seconds a 503 for a storage fault asks the client to wait."""

PROBE_EVERY = 1.0
"""Least seconds between two write probes of a failing database."""

# SQLite primary result codes (the low byte of the extended code)
_SQLITE_LASTING = {
    3: "permission to the database file was denied",  # SQLITE_PERM
    7: "the database ran out of memory",  # SQLITE_NOMEM
    8: "the database cannot be written",  # SQLITE_READONLY
    10: "disk I/O error",  # SQLITE_IOERR
    11: "the database file is damaged",  # SQLITE_CORRUPT
    13: "the disk is full",  # SQLITE_FULL
    14: "the database file cannot be opened",  # SQLITE_CANTOPEN
    15: "the database lock protocol failed",  # SQLITE_PROTOCOL
    26: "the file is not a database",  # SQLITE_NOTADB
}
_SQLITE_PASSING = {
    5: "the database is locked by another writer",  # SQLITE_BUSY
    6: "the database is locked by another writer",  # SQLITE_LOCKED
}

# PostgreSQL SQLSTATE classes and codes
_PG_LASTING_CLASSES = {
    "08": "the database server cannot be reached",
    "53": "the database server is out of resources (disk, memory or connections)",
    "58": "the database server has a system or I/O error",
}
_PG_LASTING_CODES = {
    "25006": "the database is read-only",
    "57P01": "the database server is shutting down",
    "57P02": "the database server crashed",
    "57P03": "the database server is not accepting connections yet",
    "53100": "the database server's disk is full",
}


@dataclass(frozen=True, slots=True)
class StorageFault:
    """Why the database could not do its work."""

    reason: str
    """What went wrong, for a person: ``"disk I/O error"``."""
    lasting: bool
    """Whether the database counts as failing until a write probe succeeds."""
    cause: str = ""
    """The driver's own message (no SQL, no parameters), for the operator's log."""

    def explain(self, where: str) -> str:
        """One line for a person: ``database /srv/billing.db: disk I/O error (...)``."""
        detail = f" ({self.cause})" if self.cause and self.cause != self.reason else ""
        return f"{where}: {self.reason}{detail}"


def storage_fault(error: BaseException) -> StorageFault | None:
    """The storage fault ``error`` is, or None when it is something else (a bug)."""
    if isinstance(error, PoolTimeout):
        return StorageFault("every database connection of this process is in use", False)
    original: Any = error.orig if isinstance(error, DBAPIError) else error
    cause = _first_line(original)
    code = getattr(original, "sqlite_errorcode", None)
    if isinstance(code, int):
        primary = code & 0xFF
        if primary in _SQLITE_LASTING:
            return StorageFault(_SQLITE_LASTING[primary], True, cause)
        if primary in _SQLITE_PASSING:
            return StorageFault(_SQLITE_PASSING[primary], False, cause)
        return None
    if type(original).__module__.split(".")[0] == "psycopg":
        return _postgresql_fault(original, error, cause)
    return None


def _postgresql_fault(original: Any, error: BaseException, cause: str) -> StorageFault | None:
    state = getattr(original, "sqlstate", None)
    if isinstance(state, str):
        if state in _PG_LASTING_CODES:
            return StorageFault(_PG_LASTING_CODES[state], True, cause)
        if state[:2] in _PG_LASTING_CLASSES:
            return StorageFault(_PG_LASTING_CLASSES[state[:2]], True, cause)
        return None
    # no SQLSTATE: the connection itself failed (refused, reset, timed out)
    invalidated = isinstance(error, DBAPIError) and error.connection_invalidated
    if invalidated or type(original).__name__ in ("OperationalError", "InterfaceError"):
        return StorageFault(_PG_LASTING_CLASSES["08"], True, cause)
    return None


def _first_line(error: BaseException) -> str:
    text_ = str(error).strip().splitlines()
    line = text_[0] if text_ else type(error).__name__
    return line if len(line) <= 200 else line[:197] + "..."


def log_failure(logger: logging.Logger, what: str, error: BaseException) -> None:
    """Log a failed round of a background job: a storage fault in one line (health
    reports it already, and a trace every round would bury the log), anything else
    with its trace."""
    fault = storage_fault(error)
    if fault is None:
        logger.error("%s", what, exc_info=error)
    else:
        logger.warning("%s: %s", what, fault.explain("the database"))


def describe_database(url: str) -> str:
    """The database of ``url`` for a message, without its password: the SQLite file's
    path, or ``postgresql database NAME on HOST:PORT``."""
    try:
        parsed = make_url(url)
    except (SQLAlchemyError, ValueError):
        return "the database"
    if parsed.get_backend_name() == "sqlite":
        return f"database {parsed.database or ':memory:'}"
    where = parsed.host or "localhost"
    if parsed.port:
        where += f":{parsed.port}"
    return f"{parsed.get_backend_name()} database {parsed.database or ''} on {where}"


def probe_writable(engine: Engine) -> StorageFault | None:
    """Whether the database takes a write now: None if it does, else the fault."""
    try:
        if engine.dialect.name == "sqlite":
            with write(engine) as conn:
                version = int(conn.exec_driver_sql("PRAGMA user_version").scalar_one())
                conn.exec_driver_sql(f"PRAGMA user_version = {version}")
        elif engine.dialect.name == "postgresql":
            with read(engine) as conn:
                row = conn.execute(
                    text("SELECT pg_is_in_recovery(), current_setting('transaction_read_only')")
                ).one()
            if row[0] or row[1] == "on":
                return StorageFault(_PG_LASTING_CODES["25006"], True, "read-only transactions")
        else:
            with read(engine) as conn:
                conn.exec_driver_sql("SELECT 1")
    except Exception as error:  # any failure to write is the answer, not a crash
        return storage_fault(error) or StorageFault(
            "the database failed a write probe", True, _first_line(error)
        )
    return None


class StorageMonitor:
    """Whether this process's database is failing, learnt from every query's errors."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self._failing: StorageFault | None = None
        self._probed = 0.0
        event.listen(engine, "handle_error", self._on_error)

    @property
    def failing(self) -> StorageFault | None:
        """The lasting fault the database has now (None: it works, as far as is known)."""
        return self._failing

    def close(self) -> None:
        """Stop listening to the engine."""
        if event.contains(self._engine, "handle_error", self._on_error):
            event.remove(self._engine, "handle_error", self._on_error)

    def health(self) -> StorageFault | None:
        """For ``/v1/health``: while failing, probe again (at most every PROBE_EVERY s)."""
        with self._lock:
            if self._failing is None or time.monotonic() - self._probed < PROBE_EVERY:
                return self._failing
            self._probed = time.monotonic()
        fault = probe_writable(self._engine)
        with self._lock:
            if fault is None and self._failing is not None:
                log.warning("the database works again after: %s", self._failing.reason)
            self._failing = fault if fault is None or fault.lasting else self._failing
        return self._failing

    def _on_error(self, context: ExceptionContext) -> None:
        error = context.sqlalchemy_exception or context.original_exception
        fault = storage_fault(error)
        if fault is None or not fault.lasting:
            return
        with self._lock:
            if self._failing is None:
                log.warning("the database is failing: %s (%s)", fault.reason, fault.cause)
                self._probed = time.monotonic()  # the failure itself was the probe
            self._failing = fault
