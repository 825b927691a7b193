"""Group commit: many small write operations of one process share one transaction.

A durable commit costs a disk flush (SQLite ``synchronous=FULL``, PostgreSQL WAL
flush), which dominates a small write such as a usage update. The process's
:class:`GroupCommitter` runs write operations on one writer thread: it takes every
operation queued while the previous transaction committed, runs them in one write
transaction (:func:`billserver.db.write`, so SQLite's ``BEGIN IMMEDIATE`` and the
in-process write lock still order it against every other writer, in this process or
another), and commits once. Each caller gets its own result or exception only after
that commit has succeeded, so an acknowledged operation is durable. If the commit
itself fails, every operation of the batch gets that error (none of them was applied).

An operation that fails does not affect the others. A batch is first run without
savepoints (two statements per operation that almost never matter); should any of
its operations fail, that transaction is rolled back whole and the batch is run
again in a new one, each operation inside its own savepoint, so that only the failing
one is rolled back; the batch after one with a failure starts that way (a stream of
failing calls costs savepoints, not two runs of every batch). Operations therefore
must not change anything outside the database that a second run would get wrong (the
update operations only write rows and fill caches that a run again fills alike).

Deferred writes: a batch run without savepoints (and a lone operation) runs inside
:func:`billserver.db.deferred.deferring`, so the rows its operations defer (the usual
update's ledger rows, session row, events and stored answer) are written at the end,
one ``executemany`` per statement, before the commit; a failure there is the batch's
and runs it again isolated (without deferral). Before its operations run, the
committer's ``prepare`` reads ahead what they said they will read (``reads``: the
sessions' records, in one statement).

On SQLite the writer keeps one connection between its transactions (a pool check-out
and check-in, with the reset on return, cost more than a small transaction's
statements); it gives it back after a transaction that failed to commit, so the next
one starts on a connection checked afresh, and when it stops; it tells ``committed``
(the event hub) of each commit, as a pool check-in would. PostgreSQL's come from
the pool for each transaction, pinged first: a server restarted or failed over
drops connections.

Lock order on PostgreSQL: a batch locks the rows of several accounts and holds them
until its commit, so operations are run in the order of their ``lock_key`` (the
account id): batches of different processes then take account locks in the same
order and cannot deadlock each other. Operations of one account keep their arrival
order (the sort is stable).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine

from .. import db
from ..db.deferred import deferring
from ..db.driver import run_sql

__all__ = ["GroupCommitter"]

T = TypeVar("T")

log = logging.getLogger("billserver.group_commit")

_MAX_BATCH = 256


@dataclass(slots=True)
class _Item:
    operation: Callable[[Connection], Any]
    lock_key: str
    future: asyncio.Future[Any]
    loop: asyncio.AbstractEventLoop
    reads: str | None = None


Prepare = Callable[[Connection, list[str]], None]
"""Reads ahead what a transaction's operations will read (their ``reads``)."""

Committed = Callable[[Connection], None]
"""Told of each transaction committed on the writer's kept connection (the event hub:
it wakes the streams of the accounts that got events, as a pool check-in would)."""


class GroupCommitter:
    """Runs write operations in shared, durably committed transactions (see the module)."""

    def __init__(
        self,
        engine: Engine,
        *,
        max_batch: int = _MAX_BATCH,
        prepare: Prepare | None = None,
        committed: Committed | None = None,
    ) -> None:
        self._engine = engine
        self._prepare = prepare
        self._committed = committed
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._closed = False
        self._failing = False  # an operation of the last committed batch failed
        self._held: Connection | None = None  # the writer thread's connection
        self.batches = 0
        """Transactions committed so far (for measurements)."""
        self.operations = 0
        """Operations run so far (for measurements)."""

    @property
    def engine(self) -> Engine:
        """The database the writer writes to."""
        return self._engine

    async def run(
        self, operation: Callable[[Connection], T], *, lock_key: str = "", reads: str | None = None
    ) -> T:
        """Run ``operation(conn)`` in a write transaction; returns once it is committed.
        ``reads``: what the operation will read (a session id), for the committer's
        ``prepare`` to read ahead with the others of its transaction."""
        if self._closed:
            raise RuntimeError("the server is shutting down")
        self._ensure_thread()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue.put(_Item(operation, lock_key, future, loop, reads))
        return await future

    def close(self) -> None:
        """Finish the queued operations, then stop the writer thread."""
        self._closed = True
        thread = self._thread
        if thread is not None:
            self._queue.put(None)
            thread.join()
            while True:  # queued after the writer stopped (a race with close): refused
                try:
                    late = self._queue.get_nowait()
                except queue.Empty:
                    break
                if late is not None:
                    _settle_all([late], [(False, RuntimeError("the server is shutting down"))])
            if self.operations:
                log.info(
                    "group commit: %d operations in %d transactions",
                    self.operations,
                    self.batches,
                )

    def _ensure_thread(self) -> None:
        if self._thread is not None:
            return
        with self._start_lock:
            if self._thread is None:
                thread = threading.Thread(target=self._work, name="group-commit", daemon=True)
                thread.start()
                self._thread = thread

    def _work(self) -> None:
        try:
            while True:
                first = self._queue.get()
                if first is None:
                    return
                batch, stop = [first], False
                while len(batch) < self._max_batch:
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if item is None:
                        stop = True
                        break
                    batch.append(item)
                self._commit(batch)
                if stop:
                    return
        finally:
            self._release()

    def _commit(self, batch: list[_Item]) -> None:
        batch.sort(key=lambda item: item.lock_key)
        outcomes: list[tuple[bool, Any]]
        try:
            try:
                outcomes = self._transaction(batch, isolated=self._failing)
            except _Isolate:  # an operation failed: run the batch again, each isolated
                outcomes = self._transaction(batch, isolated=True)
            self._failing = not all(ok for ok, _value in outcomes)
        except Exception as error:  # the transaction did not commit: nothing was applied
            self._release()  # the next transaction gets a connection checked afresh
            if len(batch) > 1:
                log.warning("a batch of %d operations failed to commit", len(batch), exc_info=True)
            outcomes = [(False, error)] * len(batch)
        else:
            self.batches += 1
            self.operations += len(batch)
            if self._held is not None and self._committed is not None:
                self._committed(self._held)
        _settle_all(batch, outcomes)

    def _transaction(self, batch: list[_Item], *, isolated: bool) -> list[tuple[bool, Any]]:
        """Run ``batch`` in one write transaction and commit it; ``isolated``: each
        operation in a savepoint of its own (a lone operation needs none: its failure
        rolls the transaction back), else the first failure raises :class:`_Isolate`."""
        with db.write(self._engine, on=self._connection()) as conn:
            if isolated and len(batch) > 1:
                return [_in_savepoint(conn, item.operation) for item in batch]
            if len(batch) == 1:
                with deferring(conn):
                    return [(True, batch[0].operation(conn))]
            outcomes: list[tuple[bool, Any]] = []
            with deferring(conn) as later:
                reads = [item.reads for item in batch if item.reads is not None]
                if self._prepare is not None and reads:
                    self._prepare(conn, reads)
                for item in batch:
                    try:
                        outcomes.append((True, item.operation(conn)))
                    except Exception as error:
                        raise _Isolate from error
                try:
                    later.flush(conn)
                except Exception as error:
                    raise _Isolate from error
            return outcomes

    def _connection(self) -> Connection | None:
        """The writer's connection, kept between its transactions (a pool check-out and
        check-in, with its reset, cost more than a small transaction's statements):
        SQLite's, a local file's. None for a database over the network, whose
        connections the pool checks out afresh, each pinged first (a server restarted
        or failed over drops them)."""
        if self._engine.dialect.name != "sqlite":
            return None
        if self._held is None:
            self._held = self._engine.connect()
        return self._held

    def _release(self) -> None:
        """Give the writer's connection back (after a transaction that failed to commit,
        and when the writer stops)."""
        held, self._held = self._held, None
        if held is not None:
            with contextlib.suppress(Exception):  # a broken connection is dropped anyway
                held.close()


class _Isolate(Exception):
    """An operation of a batch run without savepoints failed (the batch's transaction
    is rolled back, to be run again with a savepoint per operation)."""


def _in_savepoint(conn: Connection, operation: Callable[[Connection], Any]) -> tuple[bool, Any]:
    # Plain SQL on the driver's cursor rather than Connection.begin_nested(), which
    # compiles its SAVEPOINT statements on every use; operations may still nest
    # begin_nested() inside.
    run_sql(conn, "SAVEPOINT group_commit_item")
    try:
        result = operation(conn)
    except Exception as error:
        run_sql(conn, "ROLLBACK TO SAVEPOINT group_commit_item")
        run_sql(conn, "RELEASE SAVEPOINT group_commit_item")
        return False, error
    run_sql(conn, "RELEASE SAVEPOINT group_commit_item")
    return True, result


def _settle_all(batch: list[_Item], outcomes: list[tuple[bool, Any]]) -> None:
    """Give each caller its outcome, with one wake-up of each caller's event loop (not
    one per operation)."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[_Item, bool, Any]]] = {}
    for item, (ok, value) in zip(batch, outcomes, strict=True):
        by_loop.setdefault(item.loop, []).append((item, ok, value))
    for loop, settled in by_loop.items():
        with contextlib.suppress(RuntimeError):  # the callers' loop has closed
            loop.call_soon_threadsafe(_deliver, settled)


def _deliver(settled: list[tuple[_Item, bool, Any]]) -> None:
    for item, ok, value in settled:
        if item.future.done():  # the caller went away (cancelled)
            continue
        if ok:
            item.future.set_result(value)
        else:
            item.future.set_exception(value)
