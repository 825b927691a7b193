"""Writes deferred to the end of a transaction: one ``executemany`` per statement.

A transaction of the group commit applies many usage reports, each a dozen small
statements; most of them are rows of a few kinds (ledger transfers and entries,
session rows, events, stored answers) that nothing reads again before the commit.
Inside :func:`deferring`, code that opts in with :func:`writes_deferred` hands such
rows to the transaction's :class:`Deferred` instead of running them; they are run
at the end, one ``executemany`` per statement, in the order each statement was first
used (so a row is written after the rows it refers to). A row given a ``key``
replaces, or with ``merge`` is merged into, the earlier row of that key: one
``UPDATE`` of an account for all the reports of a transaction, one ``balance``
event per account.

Whatever is read in between must see the deferred rows: readers of rows that may be
pending either apply what is pending (the ledger's account figures, the latest
balance event) or :func:`flush` first (a session reported twice in one transaction).
Code that does not opt in writes directly; it runs after a :func:`flush` (see
:func:`billserver.sessions.usage.report_usage`).
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Hashable, Iterator
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.sql import ClauseElement

from .driver import run

__all__ = [
    "Deferred",
    "deferred",
    "deferring",
    "flush",
    "pending_key",
    "suspended",
    "writes_deferred",
]

_KEY = "billserver.db.deferred"

Merge = Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]
"""How a row of a key combines with the earlier row of that key (earlier, later)."""


class Deferred:
    """The rows a transaction writes at its end (see the module)."""

    def __init__(self) -> None:
        self._rows: dict[ClauseElement, dict[Hashable, dict[str, Any]]] = {}
        self._checks: dict[ClauseElement, Callable[[int, int], None]] = {}
        self._serial = itertools.count()
        self._writing = 0  # depth of writes_deferred() blocks
        self._suspended = 0
        self.memo: dict[Hashable, Any] = {}
        """What the transaction knows for the rest of its life (authenticated callers),
        and what readers of pending rows need (pending rows by key)."""

    @property
    def writing(self) -> bool:
        """Whether writes are deferred now (inside :func:`writes_deferred`)."""
        return self._writing > 0 and self._suspended == 0

    def add(
        self,
        statement: ClauseElement,
        row: dict[str, Any],
        *,
        key: Hashable | None = None,
        merge: Merge | None = None,
        check: Callable[[int, int], None] | None = None,
    ) -> None:
        """Write ``row`` with ``statement`` at the end. ``key``: it replaces the earlier
        row of that key (moved to the end of the statement's rows), or is ``merge``\\ d
        into it (in its place). ``check(changed, rows)`` judges the statement's row
        count once run."""
        rows = self._rows.setdefault(statement, {})
        if check is not None:
            self._checks[statement] = check
        if key is None:
            rows[next(self._serial)] = row
            return
        earlier = rows.get(key)
        if earlier is not None and merge is not None:
            rows[key] = merge(earlier, row)
            return
        rows.pop(key, None)
        rows[key] = row

    def pending(self, statement: ClauseElement, key: Hashable) -> dict[str, Any] | None:
        """The row of ``key`` waiting for ``statement``, if any."""
        rows = self._rows.get(statement)
        return None if rows is None else rows.get(key)

    def flush(self, conn: Connection) -> None:
        """Run what is pending now (what a reader that cannot see it needs)."""
        rows, checks = self._rows, self._checks
        self.discard()
        for statement, keyed in rows.items():
            values = list(keyed.values())
            changed = run(conn, statement, values).rowcount
            check = checks.get(statement)
            if check is not None:
                check(changed, len(values))

    def discard(self) -> None:
        """Forget what is pending (its transaction or savepoint was rolled back)."""
        self._rows, self._checks = {}, {}
        self.memo = {k: v for k, v in self.memo.items() if not _pending_key(k)}


def pending_key(*parts: Hashable) -> tuple[Hashable, ...]:
    """A :attr:`Deferred.memo` key that lives only as long as the rows it describes
    are pending (forgotten by :meth:`~Deferred.flush` and :meth:`~Deferred.discard`)."""
    return ("pending", *parts)


def _pending_key(key: Hashable) -> bool:
    return isinstance(key, tuple) and bool(key) and key[0] == "pending"


def deferred(conn: Connection) -> Deferred | None:
    """The transaction's deferred writes, when it defers any."""
    found: Deferred | None = conn.info.get(_KEY)
    return found


@contextlib.contextmanager
def deferring(conn: Connection) -> Iterator[Deferred]:
    """Let code in this block defer its writes to the block's end (run there, unless
    the block raises: then they are dropped, as its transaction will be)."""
    found = Deferred()
    conn.info[_KEY] = found
    try:
        yield found
        found.flush(conn)
    finally:
        conn.info.pop(_KEY, None)


@contextlib.contextmanager
def writes_deferred(conn: Connection) -> Iterator[None]:
    """Defer the writes of this block that may be deferred (no-op outside
    :func:`deferring`, or while :func:`suspended`)."""
    found = deferred(conn)
    if found is None:
        yield
        return
    found._writing += 1
    try:
        yield
    finally:
        found._writing -= 1


@contextlib.contextmanager
def suspended(conn: Connection) -> Iterator[None]:
    """Write directly in this block: what is pending is run first (a block that rolls
    back to a savepoint of its own must not leave rows pending past it)."""
    found = deferred(conn)
    if found is None:
        yield
        return
    found.flush(conn)
    found._suspended += 1
    try:
        yield
    finally:
        found._suspended -= 1


def flush(conn: Connection) -> None:
    """Run the transaction's pending writes now (see :meth:`Deferred.flush`)."""
    found = deferred(conn)
    if found is not None:
        found.flush(conn)
