"""What keeps an open event stream honest: its token still valid, and streams bounded.

A stream is authenticated when it opens, but it may stay open for hours; so its
:class:`StreamGuard` checks the access token again (token, device and login, one
query by primary key, in the same read as the events it is about to deliver) before
every delivery of events and at least every ``events_recheck_interval`` seconds. A
token that was revoked (the device signed out, the password changed, the login
retired) or that expired ends the stream: a client refreshes its token and opens a
new one, or learns that it was signed out.

:class:`StreamRegistry` bounds the streams of a process: at most
``events_max_streams`` in all (beyond that a new stream is refused with 503 and
``Retry-After``, so a client tries another server), and at most
``events_max_per_login`` per login. A login's new stream beyond its limit closes the
login's oldest one instead of being refused: a client whose connection died without
a word (a phone losing its network) reconnects at once, while the server learns of the
dead connection only much later, and the newest stream is the one that is alive.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import OrderedDict

from sqlalchemy import Connection

from billclient.protocol import ErrorCode

from ..clock import now_us
from ..web import ApiError, TokenRejected, authenticate

__all__ = ["StreamGuard", "StreamRegistry", "StreamTicket"]

STREAMS_RETRY_AFTER = 5
"""Seconds a client refused for a full process waits (or tries another server)."""


class StreamTicket:
    """One open stream's place in the registry; :attr:`reason` is set when it must close."""

    def __init__(self, registry: StreamRegistry, login: str, number: int) -> None:
        self._registry = registry
        self.login = login
        self.number = number
        self.reason: str | None = None

    def close(self, reason: str) -> None:
        """Ask the stream to end (it does within one poll interval)."""
        self.reason = reason

    def release(self) -> None:
        """The stream has ended: free its place."""
        self._registry.release(self)


class StreamRegistry:
    """The event streams this process holds open, per login and in all."""

    def __init__(self, *, max_streams: int, max_per_login: int) -> None:
        self.max_streams = max_streams
        self.max_per_login = max_per_login
        self._lock = threading.Lock()
        self._numbers = itertools.count()
        self._open: dict[str, OrderedDict[int, StreamTicket]] = {}
        self._count = 0

    @property
    def count(self) -> int:
        """Streams open now."""
        return self._count

    def open(self, login: str) -> StreamTicket:
        """A place for a new stream of ``login``: 503 when the process is full; the
        login's oldest stream is closed when the login is at its limit."""
        with self._lock:
            mine = self._open.setdefault(login, OrderedDict())
            while len(mine) >= self.max_per_login:
                _number, oldest = mine.popitem(last=False)
                self._count -= 1
                oldest.close("a newer event stream of this login replaced this one")
            if self._count >= self.max_streams:
                if not mine:
                    del self._open[login]
                raise ApiError(
                    ErrorCode.UNAVAILABLE,
                    "this server holds as many event streams as it may; try another server",
                    headers={"Retry-After": str(STREAMS_RETRY_AFTER)},
                )
            ticket = StreamTicket(self, login, next(self._numbers))
            mine[ticket.number] = ticket
            self._count += 1
            return ticket

    def release(self, ticket: StreamTicket) -> None:
        """Free ``ticket``'s place (nothing if it was closed for a newer stream)."""
        with self._lock:
            mine = self._open.get(ticket.login)
            if mine is not None and mine.pop(ticket.number, None) is not None:
                self._count -= 1
                if not mine:
                    del self._open[ticket.login]


class StreamGuard:
    """Re-checks one stream's access token; says why the stream must end, if it must."""

    def __init__(self, token: str, ticket: StreamTicket, *, recheck_interval: float) -> None:
        self._token = token
        self._ticket = ticket
        self._recheck_interval = recheck_interval
        self._checked = time.monotonic()
        self._rejected: str | None = None

    @property
    def closing(self) -> str | None:
        """Why the stream must end now (None: it may go on)."""
        return self._rejected or self._ticket.reason

    def due(self) -> bool:
        """Whether the token must be checked again even without events to deliver."""
        return time.monotonic() - self._checked >= self._recheck_interval

    def check(self, conn: Connection) -> bool:
        """Check the token in ``conn``'s snapshot; False (and :attr:`closing`) when it
        is no longer valid."""
        self._checked = time.monotonic()
        try:
            authenticate(conn, self._token, now=now_us())
        except TokenRejected as rejected:
            self._rejected = f"the access token is no longer valid ({rejected})"
            return False
        return True
