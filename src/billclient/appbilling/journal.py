"""The local journal of charges not yet settled with the billing server (SQLite).

Every operation is written here before the server is asked, keyed by the
Idempotency-Key of its reservation, and stays until its commit was accepted;
so a charge survives an unreachable server and a crash of the application, and
replaying the journal never charges twice (the server replays answers by key).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Journal", "JournalEntry"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS charges (
    key TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    service_id TEXT NOT NULL,
    units INTEGER NOT NULL,
    state TEXT NOT NULL,          -- open | done | rejected
    offline INTEGER NOT NULL,     -- 1: proceeded without a reservation
    charge_id TEXT,
    commit_units INTEGER,
    outcome TEXT,
    error TEXT,
    reason TEXT,
    created REAL NOT NULL
)
"""


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One charge as the journal holds it."""

    key: str
    account_id: str
    service_id: str
    units: int
    state: str
    offline: bool
    charge_id: str | None
    commit_units: int | None
    outcome: str | None
    error: str | None
    reason: str | None


class Journal:
    """A durable journal in one SQLite file (``synchronous=FULL``)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(_SCHEMA)
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close the file."""
        self._db.close()

    def _run(self, sql: str, *params: object) -> list[tuple[object, ...]]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def add(self, key: str, account_id: str, service_id: str, units: int) -> None:
        """Record a new operation before the server is asked."""
        self._run(
            "INSERT INTO charges (key, account_id, service_id, units, state, offline, created) "
            "VALUES (?, ?, ?, ?, 'open', 0, ?)",
            key,
            account_id,
            service_id,
            units,
            time.time(),
        )

    def reserved(self, key: str, charge_id: str) -> None:
        """The server reserved the charge."""
        self._run("UPDATE charges SET charge_id = ? WHERE key = ?", charge_id, key)

    def went_offline(self, key: str) -> None:
        """The operation proceeds without a reservation (store and forward)."""
        self._run("UPDATE charges SET offline = 1 WHERE key = ?", key)

    def finished(self, key: str, units: int, outcome: str, error: str | None) -> None:
        """The operation ended: what to commit."""
        self._run(
            "UPDATE charges SET commit_units = ?, outcome = ?, error = ? WHERE key = ?",
            units,
            outcome,
            error,
            key,
        )

    def done(self, key: str) -> None:
        """The server accepted the commit (or cancel)."""
        self._run("UPDATE charges SET state = 'done' WHERE key = ?", key)

    def rejected(self, key: str, reason: str) -> None:
        """The server refused the charge for good."""
        self._run("UPDATE charges SET state = 'rejected', reason = ? WHERE key = ?", reason, key)

    def forget(self, key: str) -> None:
        """Drop an operation that never started (refused before it proceeded)."""
        self._run("DELETE FROM charges WHERE key = ?", key)

    def offline_waiting(self) -> int:
        """Operations that proceeded offline and are not yet settled."""
        rows = self._run("SELECT count(*) FROM charges WHERE state = 'open' AND offline = 1")
        return int(str(rows[0][0]))

    def unsettled(self) -> list[JournalEntry]:
        """Finished operations whose commit the server has not accepted yet, oldest first."""
        rows = self._run(
            "SELECT key, account_id, service_id, units, state, offline, charge_id, commit_units, "
            "outcome, error, reason FROM charges WHERE state = 'open' AND outcome IS NOT NULL "
            "ORDER BY created"
        )
        return [_entry(row) for row in rows]

    def entries(self) -> list[JournalEntry]:
        """Every entry, oldest first."""
        rows = self._run(
            "SELECT key, account_id, service_id, units, state, offline, charge_id, commit_units, "
            "outcome, error, reason FROM charges ORDER BY created"
        )
        return [_entry(row) for row in rows]


def _entry(row: tuple[object, ...]) -> JournalEntry:
    def text(value: object) -> str | None:
        return None if value is None else str(value)

    def number(value: object) -> int | None:
        return None if value is None else int(str(value))

    return JournalEntry(
        key=str(row[0]),
        account_id=str(row[1]),
        service_id=str(row[2]),
        units=int(str(row[3])),
        state=str(row[4]),
        offline=bool(row[5]),
        charge_id=text(row[6]),
        commit_units=number(row[7]),
        outcome=text(row[8]),
        error=text(row[9]),
        reason=text(row[10]),
    )
