"""uvicorn's fast HTTP/1.1 protocol (httptools) with read deadlines, and the uvicorn
settings to use it.

uvicorn times out idle keep-alive connections, but not a client that stops half-way
through a request: a socket that sent part of a request line or of its headers (a
"slowloris" client), or a body shorter than its ``Content-Length``, held its
connection (and a file descriptor) for as long as the client liked. An ASGI layer
cannot help with headers (the application is called only once they are complete),
so the deadline lives here, in a subclass of uvicorn's httptools protocol, driven by
the parser's own callbacks:

- while a request's headers are awaited (from the moment the connection opens, or
  from the first byte of the next request on a keep-alive connection) they must be
  complete within ``header_timeout``, and stay under :data:`MAX_HEADER_BYTES`
  (httptools has no limit of its own; h11 refused 16 KiB still incomplete, but let a
  longer head through when it arrived at once): a larger request line and headers
  are answered 400 and the connection closed;
- once they are, the body must be complete within ``body_timeout`` plus a second
  (:class:`billserver.web.limits.BodyLimits` answers 408 at ``body_timeout`` when the
  route is reading it; this closes the connection when no route reads it);
- between requests uvicorn's own keep-alive timer applies.

A connection that misses a deadline is closed without an answer (its request is
incomplete, so there is nothing to answer yet). The event loop is uvloop's
(``uvicorn[standard]``), the same whether or not the metrics listener runs.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from ..config import HttpLimits

__all__ = ["MAX_HEADER_BYTES", "guarded_protocol", "uvicorn_options"]

MAX_HEADER_BYTES = 64 * 1024
"""Largest request line plus headers, bytes."""

_BODY_GRACE = 1.0  # seconds: BodyLimits answers 408 first when a route reads the body


class _Guarded(HttpToolsProtocol):
    """httptools with a header deadline, a header size cap and a body deadline (class
    attributes, in seconds)."""

    header_timeout = 10.0
    body_timeout = 30.0

    _deadline: asyncio.TimerHandle | None = None
    _waiting_for: str = ""
    _header_bytes = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._expect("headers", self.header_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_watch()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:  # the first byte of a request
        super().on_message_begin()
        self._header_bytes = 0
        self._expect("headers", self.header_timeout)

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value))
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._expect("body", self.body_timeout + _BODY_GRACE)  # ended by the message's end
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._stop_watch()  # a whole request is in: the route, then keep-alive, take over
        super().on_message_complete()

    def _count(self, size: int) -> None:
        self._header_bytes += size
        if self._header_bytes > MAX_HEADER_BYTES:
            # raised inside a parser callback: uvicorn answers 400 and closes
            raise httptools.HttpParserError("request headers too large")

    def _expect(self, what: str, seconds: float) -> None:
        if self._waiting_for == what:
            return  # the deadline runs from the start of the wait, not the last byte
        self._stop_watch()
        if self.transport.is_closing():
            return
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


def guarded_protocol(limits: HttpLimits) -> type[HttpToolsProtocol]:
    """uvicorn's httptools protocol with the header and body deadlines of ``limits``."""
    return type(
        "GuardedHttpToolsProtocol",
        (_Guarded,),
        {"header_timeout": limits.header_timeout, "body_timeout": limits.body_timeout},
    )


def uvicorn_options(limits: HttpLimits, *, forwarded_allow_ips: str = "") -> dict[str, Any]:
    """The ``uvicorn.Config`` options enforcing ``limits`` (the guarded protocol, the
    keep-alive timeout), running on uvloop, and trusting ``X-Forwarded-For`` only from
    ``forwarded_allow_ips`` (comma-separated addresses or networks; by default from
    nobody, not even loopback)."""
    trusted = [address.strip() for address in forwarded_allow_ips.split(",") if address.strip()]
    return {
        "http": guarded_protocol(limits),
        "loop": "uvloop",
        "timeout_keep_alive": limits.keep_alive_timeout,
        "proxy_headers": bool(trusted),
        "forwarded_allow_ips": trusted or None,
    }
