"""The offline journal: every session update and end, written before it is sent.

One SQLite file per profile (``journal.sqlite3`` in the profile's data dir). A
running session has a row in ``runs`` and one row per call in ``calls``; a call is
``pending`` until a server has answered it and ``acked`` afterwards. When no server
answers, pending calls pile up in order; when one returns they are sent in that
order. After a client crash the next start finds the run's pending calls
(:meth:`Journal.orphans`) and replays them. Commits are durable
(``synchronous=FULL``): a call that was journaled survives a crash of the process
or of the machine.

A run records the name of the lock file its process holds while it runs; a run
whose lock is free belongs to a process that has died.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Journal", "JournalCall", "JournalRun"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    session_id TEXT PRIMARY KEY,
    service_id TEXT NOT NULL,
    started_at TEXT NOT NULL,
    update_interval INTEGER NOT NULL,
    granted_units INTEGER NOT NULL,
    final INTEGER NOT NULL,
    lock_name TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'running',
    outcome TEXT,
    created REAL NOT NULL,
    finished REAL
);
CREATE TABLE IF NOT EXISTS calls (
    session_id TEXT NOT NULL REFERENCES runs(session_id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    used_units INTEGER NOT NULL,
    cause TEXT,
    measured_at TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    PRIMARY KEY (session_id, seq)
);
"""

_KEEP_FINISHED_S = 30 * 24 * 3600


@dataclass(frozen=True, slots=True)
class JournalCall:
    """One journaled call: an update (``cause`` None) or the end (``cause`` set)."""

    seq: int
    used_units: int
    cause: str | None
    measured_at: str

    @property
    def is_end(self) -> bool:
        """True for the call that ends the session."""
        return self.cause is not None


@dataclass(frozen=True, slots=True)
class JournalRun:
    """A session as the journal knows it."""

    session_id: str
    service_id: str
    started_at: str
    update_interval: int
    granted_units: int
    final: bool
    lock_name: str
    state: str
    last_seq: int
    acked_units: int
    pending: tuple[JournalCall, ...]
    outcome: dict[str, Any] | None


class Journal:
    """The journal file of one profile. Safe to open from several processes at once."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, timeout=30, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA foreign_keys=ON")
        with self._write() as db:
            for statement in filter(str.strip, _SCHEMA.split(";")):
                db.execute(statement)

    def close(self) -> None:
        """Close the file."""
        self._db.close()

    # -- writing -------------------------------------------------------------------

    def begin(
        self,
        *,
        session_id: str,
        service_id: str,
        started_at: str,
        update_interval: int,
        granted_units: int,
        final: bool,
        lock_name: str,
    ) -> None:
        """Record a session that was just opened (before any update is sent)."""
        with self._write() as db:
            db.execute(
                "INSERT INTO runs (session_id, service_id, started_at, update_interval,"
                " granted_units, final, lock_name, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    session_id,
                    service_id,
                    started_at,
                    update_interval,
                    granted_units,
                    int(final),
                    lock_name,
                    time.time(),
                ),
            )

    def append(self, session_id: str, call: JournalCall) -> None:
        """Write a call before it is sent (durably: it survives a crash)."""
        with self._write() as db:
            db.execute(
                "INSERT INTO calls (session_id, seq, used_units, cause, measured_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (session_id, call.seq, call.used_units, call.cause, call.measured_at),
            )

    def acked(
        self, session_id: str, seq: int, *, granted_units: int | None = None, final: bool = False
    ) -> None:
        """A server answered call ``seq``; the session's grant as the answer said."""
        with self._write() as db:
            db.execute(
                "UPDATE calls SET status = 'acked' WHERE session_id = ? AND seq = ?",
                (session_id, seq),
            )
            if granted_units is not None:
                db.execute(
                    "UPDATE runs SET granted_units = ?, final = ? WHERE session_id = ?",
                    (granted_units, int(final), session_id),
                )

    def discard(self, session_id: str, seqs: list[int]) -> None:
        """Forget calls that were never sent (superseded by an end with their seq)."""
        with self._write() as db:
            db.executemany(
                "DELETE FROM calls WHERE session_id = ? AND seq = ? AND status = 'pending'",
                [(session_id, seq) for seq in seqs],
            )

    def finish(self, session_id: str, outcome: dict[str, Any]) -> None:
        """The session is settled with the server: keep only its outcome."""
        with self._write() as db:
            db.execute(
                "UPDATE runs SET state = 'finished', outcome = ?, finished = ?"
                " WHERE session_id = ?",
                (json.dumps(outcome), time.time(), session_id),
            )
            db.execute("DELETE FROM calls WHERE session_id = ?", (session_id,))
            db.execute(
                "DELETE FROM runs WHERE state = 'finished' AND finished < ?",
                (time.time() - _KEEP_FINISHED_S,),
            )

    def adopt(self, session_id: str, lock_name: str) -> None:
        """Hand a dead process's run to the process holding ``lock_name``."""
        with self._write() as db:
            db.execute(
                "UPDATE runs SET lock_name = ? WHERE session_id = ?", (lock_name, session_id)
            )

    # -- reading -------------------------------------------------------------------

    def run(self, session_id: str) -> JournalRun | None:
        """One session as journaled, or None."""
        row = self._db.execute(
            "SELECT session_id, service_id, started_at, update_interval, granted_units, final,"
            " lock_name, state, outcome FROM runs WHERE session_id = ?",
            (session_id,),
        ).fetchone()
        return None if row is None else self._build(row)

    def unsettled(self) -> list[JournalRun]:
        """Every session not yet settled with the server, oldest first."""
        rows = self._db.execute(
            "SELECT session_id, service_id, started_at, update_interval, granted_units, final,"
            " lock_name, state, outcome FROM runs WHERE state = 'running' ORDER BY created"
        ).fetchall()
        return [self._build(row) for row in rows]

    def finished(self, limit: int = 20) -> list[JournalRun]:
        """Recently settled sessions, newest first."""
        rows = self._db.execute(
            "SELECT session_id, service_id, started_at, update_interval, granted_units, final,"
            " lock_name, state, outcome FROM runs WHERE state = 'finished'"
            " ORDER BY finished DESC LIMIT ?",
            (limit,),
        ).fetchall()
        return [self._build(row) for row in rows]

    def _build(self, row: tuple[Any, ...]) -> JournalRun:
        session_id = row[0]
        calls = self._db.execute(
            "SELECT seq, used_units, cause, measured_at, status FROM calls"
            " WHERE session_id = ? ORDER BY seq",
            (session_id,),
        ).fetchall()
        acked = [c for c in calls if c[4] == "acked"]
        pending = tuple(JournalCall(c[0], c[1], c[2], c[3]) for c in calls if c[4] == "pending")
        last_seq = calls[-1][0] if calls else 0
        return JournalRun(
            session_id=session_id,
            service_id=row[1],
            started_at=row[2],
            update_interval=row[3],
            granted_units=row[4],
            final=bool(row[5]),
            lock_name=row[6],
            state=row[7],
            last_seq=last_seq,
            acked_units=max((c[1] for c in acked), default=0),
            pending=pending,
            outcome=None if row[8] is None else json.loads(row[8]),
        )

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
