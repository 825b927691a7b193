"""Limits on what one HTTP request may cost: its body's size and the time it takes.

Two layers share these settings (:class:`billserver.config.HttpLimits`, a part of the
billing server's and the gateway's settings):

- :class:`BodyLimits`, an ASGI layer in front of every route: a body larger than
  ``max_body_bytes`` is refused with 413 ``content_too_large`` (at once when
  ``Content-Length`` says so, otherwise as soon as the bytes read pass the limit,
  so at most one limit's worth is ever held in memory), and a body that has not
  arrived ``body_timeout`` seconds after its headers is refused with 408
  ``request_timeout``. Both answers close the connection. The route sees the
  client as gone and stops.
- :mod:`billserver.web.guarded_http`, the HTTP protocol under uvicorn: it closes a
  connection whose request headers are not complete ``header_timeout`` seconds
  after their first byte (or after the connection opened), and one whose body is
  still unread by the route after ``body_timeout`` (plus a second's grace); uvicorn
  itself closes idle keep-alive connections after ``keep_alive_timeout``. An ASGI
  layer never sees a request before its headers are complete, so the header deadline
  has to live in the protocol.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Mapping

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from billclient.protocol import ErrorCode

from .problems import ApiError, problem_response

__all__ = ["MAX_PATH_ID", "BodyLimits", "refuse_long_id", "refuse_long_path_ids"]

MAX_PATH_ID = 200
"""Longest id a path may carry: longer than any id the server issues or stores."""


class _Refused(Exception):
    """The request broke a limit; ``response`` says which."""

    def __init__(self, code: ErrorCode, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


class BodyLimits:
    """ASGI middleware enforcing the body size and body time of :class:`HttpLimits`.

    ``larger`` names paths that may take a bigger body (a batch route), with their
    own limit.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int,
        timeout: float,
        larger: Mapping[str, int] | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.larger = dict(larger or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.larger.get(scope["path"], self.max_bytes)
        declared, chunked = _framing(scope)
        if declared is not None and declared > limit:
            await _refuse(scope, send, _too_large(limit))
            return
        if not declared and not chunked:  # no body can follow (HTTP/1.1 framing)
            await self.app(scope, receive, send)
            return
        state = _Request(limit, time.monotonic() + self.timeout)

        async def limited_receive() -> Message:
            if state.refused is not None:
                return {"type": "http.disconnect"}
            if state.complete:
                return await receive()
            try:
                return await state.read(receive)
            except _Refused as refusal:
                state.refused = refusal
                if not state.started:
                    await _refuse(scope, send, refusal)
                return {"type": "http.disconnect"}  # the route stops reading

        async def guarded_send(message: Message) -> None:
            if state.refused is not None and not state.started:
                return  # answered already: what the route sends after is dropped
            if message["type"] == "http.response.start":
                state.started = True
            await send(message)

        await self.app(scope, limited_receive, guarded_send)


class _Request:
    """How much of one request's body has arrived, and by when the rest must."""

    def __init__(self, limit: int, deadline: float) -> None:
        self.limit = limit
        self.deadline = deadline
        self.received = 0
        self.complete = False
        self.started = False
        self.refused: _Refused | None = None

    async def read(self, receive: Receive) -> Message:
        left = self.deadline - time.monotonic()
        message: Message | None = None
        if left > 0:
            # asyncio's own timeout: anyio's cancel scope costs twice as much, on every
            # request with a body (the server runs on asyncio only)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(left):
                    message = await receive()
        if message is None:
            raise _Refused(
                ErrorCode.REQUEST_TIMEOUT,
                "the request body did not arrive in time; send it in one go and retry",
            )
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                raise _too_large(self.limit)
            self.complete = not message.get("more_body", False)
        return message


def _too_large(limit: int) -> _Refused:
    return _Refused(ErrorCode.CONTENT_TOO_LARGE, f"the request body is larger than {limit} bytes")


async def refuse_long_path_ids(request: Request) -> None:
    """Every route's dependency: 422 for an id in the path longer than
    :data:`MAX_PATH_ID`, before any look-up (and before a "not found" could echo it)."""
    for name, value in request.path_params.items():
        if isinstance(value, str):
            refuse_long_id(name, value)


def refuse_long_id(name: str, value: str) -> None:
    """422 when ``value`` (id ``name``) is longer than :data:`MAX_PATH_ID`."""
    if len(value) > MAX_PATH_ID:
        raise ApiError(
            ErrorCode.VALIDATION_ERROR,
            f"{name}: at most {MAX_PATH_ID} characters (no such id is that long)",
        )


def _framing(scope: Scope) -> tuple[int | None, bool]:
    """The request's ``Content-Length`` (None without one) and whether it is chunked."""
    length, chunked = None, False
    for name, value in scope["headers"]:
        if name == b"content-length":
            with contextlib.suppress(ValueError):  # h11 refuses a malformed one anyway
                length = int(value)
        elif name == b"transfer-encoding":
            chunked = True
    return length, chunked


async def _refuse(scope: Scope, send: Send, refusal: _Refused) -> None:
    response = problem_response(refusal.code, refusal.detail, {"Connection": "close"})

    async def nothing() -> Message:
        return {"type": "http.disconnect"}

    await response(scope, nothing, send)
