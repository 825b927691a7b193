"""uvicorn's HTTP/1.1 protocol (h11) with read deadlines, and the uvicorn settings to use it.

uvicorn times out idle keep-alive connections, but not a client that stops half-way
through a request: a socket that sent part of a request line or of its headers (a
"slowloris" client), or a body shorter than its ``Content-Length``, held its
connection (and a file descriptor) for as long as the client liked. An ASGI layer
cannot help with headers (the application is called only once they are complete),
so the deadline lives here, in a subclass of uvicorn's h11 protocol:

- while a request's headers are awaited (from the moment the connection opens, or
  from the first byte of the next request on a keep-alive connection) they must be
  complete within ``header_timeout``;
- once they are, the body must be complete within ``body_timeout`` plus a second
  (:class:`billserver.web.limits.BodyLimits` answers 408 at ``body_timeout`` when the
  route is reading it; this closes the connection when no route reads it);
- between requests uvicorn's own keep-alive timer applies.

A connection that misses a deadline is closed without an answer (its request is
incomplete, so there is nothing to answer yet). The h11 protocol is always used
(not httptools, even when installed), so that the deadlines hold everywhere.
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from ..config import HttpLimits

__all__ = ["guarded_protocol", "uvicorn_options"]

_BODY_GRACE = 1.0  # seconds: BodyLimits answers 408 first when a route reads the body


class _Guarded(H11Protocol):
    """h11 with a header deadline and a body deadline (class attributes, in seconds)."""

    header_timeout = 10.0
    body_timeout = 30.0

    _deadline: asyncio.TimerHandle | None = None
    _waiting_for: str = ""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._watch()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._watch()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._watch()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_watch()
        super().connection_lost(exc)

    def _watch(self) -> None:
        """Arm, keep or drop the deadline for what the peer owes now."""
        if self.transport.is_closing():
            self._stop_watch()
            return
        state = self.conn.their_state
        if state is h11.IDLE and self.timeout_keep_alive_task is None:
            self._expect("headers", self.header_timeout)
        elif state is h11.SEND_BODY:
            self._expect("body", self.body_timeout + _BODY_GRACE)
        else:  # a whole request is in (or the keep-alive timer watches an idle line)
            self._stop_watch()

    def _expect(self, what: str, seconds: float) -> None:
        if self._waiting_for == what:
            return  # the deadline runs from the start of the wait, not the last byte
        self._stop_watch()
        self._waiting_for = what
        self._deadline = self.loop.call_later(seconds, self._too_late)

    def _stop_watch(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        self._waiting_for = ""

    def _too_late(self) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            self.logger.debug(  # not info: an attacker's sockets must not flood the log
                "closed a connection from %s: its request %s did not arrive in time",
                self.client[0] if self.client else "?",
                self._waiting_for,
            )
            self.transport.close()
        self._waiting_for = ""


def guarded_protocol(limits: HttpLimits) -> type[H11Protocol]:
    """uvicorn's h11 protocol with the header and body deadlines of ``limits``."""
    return type(
        "GuardedH11Protocol",
        (_Guarded,),
        {"header_timeout": limits.header_timeout, "body_timeout": limits.body_timeout},
    )


def uvicorn_options(limits: HttpLimits, *, forwarded_allow_ips: str = "") -> dict[str, Any]:
    """The ``uvicorn.Config`` options enforcing ``limits`` (the guarded protocol, the
    keep-alive timeout) and trusting ``X-Forwarded-For`` only from
    ``forwarded_allow_ips`` (comma-separated addresses or networks; by default from
    nobody, not even loopback)."""
    trusted = [address.strip() for address in forwarded_allow_ips.split(",") if address.strip()]
    return {
        "http": guarded_protocol(limits),
        "timeout_keep_alive": limits.keep_alive_timeout,
        "proxy_headers": bool(trusted),
        "forwarded_allow_ips": trusted or None,
    }
