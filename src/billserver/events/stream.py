"""The live event stream of one account: Server-Sent Events read from the event table.

Delivery comes from the ``events`` table only, never from process memory, so a
change committed by any server process of the deployment reaches every stream.
Each stream polls its account's rows after the last id it delivered (one indexed
query on ``(account_id, event_id)``) every ``events_poll_interval`` seconds, off
the event loop in a worker thread. The process's :class:`EventHub` shortens the
wait: when a connection that appended events for an account goes back to the
pool (after its transaction ended) the hub wakes that account's streams, which
then poll at once. A wake-up carries no data, so a lost or spurious one costs at
most one poll interval or one query; a change committed by another process arrives
within one poll interval (PostgreSQL NOTIFY is not needed for correctness).

No committed event is ever skipped: the events of one account commit in id order
(:mod:`billserver.events.store` appends them under the account's row lock, and
SQLite has a single writer), so ``event_id > last delivered`` finds everything
that is visible and nothing that could still appear below it. That is also why
the SSE ``id`` is the plain event id and ``Last-Event-ID`` (or
``?last_event_id=``) resumes exactly: every event of the account with a larger id
follows, in order, then the live ones. A stream opened without it starts with a
fresh ``balance`` snapshot whose id is the account's latest event id, read in the
same statement as the figures, so a reconnect resumes right after it. An id the
deployment never issued (larger than every stored id) starts afresh the same way.

Between events an SSE comment (``: heartbeat``) keeps idle connections open. A
stream ends when the client goes away; when its :class:`~billserver.events.guard.
StreamGuard` finds the access token no longer valid (checked before every delivery
and every few seconds) or its place was given to a newer stream of the login (with
an SSE comment saying why); when the database cannot be read; or when
:meth:`EventHub.stop` is called:
``billserver serve`` calls it as soon as a stop signal arrives, because uvicorn's
graceful shutdown waits for open responses before it runs the lifespan shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import anyio
from sqlalchemy import Connection, Engine, event, func, select

from billclient.protocol import BalanceEvent, EventType

from .. import db
from ..db.storage import storage_fault
from ..ledger import available
from ..tables import accounts, events
from .guard import StreamGuard
from .store import WAKE_KEY

__all__ = ["EventHub", "FeedStart", "StreamTiming", "event_stream", "format_event", "open_feed"]

_BATCH = 500
_HEARTBEAT = ": heartbeat\n\n"


class EventHub:
    """One per application: wakes streams after local commits, stops them all at shutdown."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._stopping = False
        self._lock = threading.Lock()
        self._waiters: dict[str, set[asyncio.Event]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        event.listen(engine, "checkin", self._on_checkin)

    @property
    def stopping(self) -> bool:
        """Whether streams have been asked to end."""
        return self._stopping

    def stop(self) -> None:
        """Ask every stream to end; it does within one poll interval.

        Safe to call from a signal handler: it only sets a flag.
        """
        self._stopping = True

    def close(self) -> None:
        """Stop every stream and stop listening to the engine."""
        self.stop()
        if event.contains(self._engine, "checkin", self._on_checkin):
            event.remove(self._engine, "checkin", self._on_checkin)

    @contextlib.contextmanager
    def subscribe(self, account_id: str) -> Iterator[asyncio.Event]:
        """A flag set whenever this process commits events of ``account_id``."""
        self._loop = asyncio.get_running_loop()
        flag = asyncio.Event()
        with self._lock:
            self._waiters.setdefault(account_id, set()).add(flag)
        try:
            yield flag
        finally:
            with self._lock:
                waiting = self._waiters.get(account_id)
                if waiting is not None:
                    waiting.discard(flag)
                    if not waiting:
                        del self._waiters[account_id]

    def committed(self, connection: Connection) -> None:
        """A transaction on ``connection``, which its owner keeps out of the pool (the
        group commit's writer), has committed: wake the streams of the accounts it
        appended events for. A pooled connection does that when it is checked back in."""
        self._wake(connection.info.pop(WAKE_KEY, None))

    def _on_checkin(self, _dbapi_connection: Any, record: Any) -> None:
        """A connection is back in the pool: its transaction has committed or rolled back."""
        self._wake(record.info.pop(WAKE_KEY, None) if record is not None else None)

    def _wake(self, touched: set[str] | None) -> None:
        loop = self._loop
        if not touched or loop is None:
            return
        with self._lock:
            flags = [flag for account in touched for flag in self._waiters.get(account, ())]
        if flags:
            with contextlib.suppress(RuntimeError):  # the loop has closed: nobody waits
                loop.call_soon_threadsafe(_set_all, flags)


def _set_all(flags: list[asyncio.Event]) -> None:
    for flag in flags:
        flag.set()


@dataclass(frozen=True, slots=True)
class FeedStart:
    """Where a stream starts: the last id already known and what to send first."""

    cursor: int
    first: str


@dataclass(frozen=True, slots=True)
class StreamTiming:
    """How often a stream polls the table and sends heartbeats, in seconds."""

    poll_interval: float
    heartbeat: float


def format_event(event_id: int, kind: str, data: Any) -> str:
    """One SSE event: ``id``, ``event`` and a single ``data`` line of compact JSON."""
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return f"id: {event_id}\nevent: {kind}\ndata: {body}\n\n"


def open_feed(engine: Engine, account_id: str, resume_after: int | None) -> FeedStart | None:
    """Where the account's stream starts (None: no such account).

    Resuming after a known id sends nothing first; otherwise (or when the id is
    beyond every stored one) a ``balance`` snapshot comes first.
    """
    latest = (
        select(func.max(events.c.event_id))
        .where(events.c.account_id == account_id)
        .scalar_subquery()
    )
    with db.read(engine) as conn:
        row = conn.execute(
            select(accounts, latest.label("latest_event")).where(
                accounts.c.account_id == account_id
            )
        ).one_or_none()
        if row is None:
            return None
        if resume_after is not None:
            newest = conn.execute(select(func.max(events.c.event_id))).scalar_one_or_none()
            if resume_after <= (newest or 0):
                return FeedStart(resume_after, "")
    snapshot = BalanceEvent(
        balance=int(row.balance), reserved=int(row.reserved), available=available(row)
    )
    cursor = int(row.latest_event or 0)
    first = format_event(cursor, EventType.BALANCE.value, snapshot.model_dump(mode="json"))
    return FeedStart(cursor, first)


def _read_after(
    engine: Engine, account_id: str, cursor: int, guard: StreamGuard
) -> list[tuple[int, str, Any]] | None:
    """The account's events after ``cursor``; None when the stream's token is no longer
    valid (checked in the same snapshot whenever there are events, and when due)."""
    with db.read(engine) as conn:
        rows = conn.execute(
            select(events.c.event_id, events.c.type, events.c.data)
            .where(events.c.account_id == account_id, events.c.event_id > cursor)
            .order_by(events.c.event_id)
            .limit(_BATCH)
        ).all()
        if (rows or guard.due()) and not guard.check(conn):
            return None
    return [(int(r.event_id), str(r.type), r.data) for r in rows]


def _closing(reason: str) -> str:
    """The SSE comment a stream ends with."""
    return f": closed: {reason}\n\n"


async def event_stream(
    hub: EventHub,
    engine: Engine,
    account_id: str,
    start: FeedStart,
    timing: StreamTiming,
    is_disconnected: Callable[[], Awaitable[bool]],
    guard: StreamGuard,
) -> AsyncIterator[str]:
    """The SSE text of the account's stream, until the client leaves, the guard closes
    it or the hub stops."""
    with hub.subscribe(account_id) as woken:
        cursor = start.cursor
        if start.first:
            yield start.first
        last_sent = time.monotonic()
        while not hub.stopping:
            if guard.closing:
                yield _closing(guard.closing)
                return
            woken.clear()  # a commit from here on wakes the wait below
            try:
                rows = await anyio.to_thread.run_sync(
                    _read_after, engine, account_id, cursor, guard
                )
            except Exception as error:
                fault = storage_fault(error)
                if fault is None:
                    raise
                yield _closing(f"the database is not available ({fault.reason})")
                return
            if rows is None:
                yield _closing(guard.closing or "the access token is no longer valid")
                return
            if rows:
                cursor = rows[-1][0]
                yield "".join(format_event(*row) for row in rows)
                last_sent = time.monotonic()
                if len(rows) == _BATCH:
                    continue
            if time.monotonic() - last_sent >= timing.heartbeat:
                yield _HEARTBEAT
                last_sent = time.monotonic()
            if hub.stopping or await is_disconnected():
                return
            quiet = timing.heartbeat - (time.monotonic() - last_sent)
            with anyio.move_on_after(max(0.0, min(timing.poll_interval, quiet))):
                await woken.wait()
