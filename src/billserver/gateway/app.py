"""The gateway's ASGI application: ``create_gateway_app(settings)``.

Routes (a client presents its session gateway token as ``Authorization: Bearer
<token>`` or ``?token=``):

- ``GET /v1/stream``: the session's stream, paced at the service's bitrate;
- ``GET /v1/files/{name}``: a file of the download directory, with ``Range`` support;
- ``POST /v1/messages`` ``{"text"}``: one message, one event (echoed back);
- ``GET /v1/health``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from billclient.protocol import ErrorCode
from billclient.protocol.gateway import GatewayKind

from ..web.failures import FailureAnswers
from ..web.limits import MAX_PATH_ID, BodyLimits
from ..web.problems import problem_response
from .billing import BillingClient, BillingRefused, BillingUnavailable
from .meter import Meter, Metered, Verdict
from .ranges import Coverage, RangeNotSatisfiable, parse_range
from .settings import GatewaySettings
from .tokens import session_of

__all__ = ["create_gateway_app"]

_TICK = 0.1  # seconds per stream chunk
_CHUNK = 64 * 1024  # bytes per download chunk
_MESSAGE_WAIT = 2.0  # seconds a message waits for a grant before 429
_MAX_MESSAGE = 4096


class _Refusal(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


def create_gateway_app(settings: GatewaySettings) -> Starlette:
    """Build the gateway; it starts polling and reporting when it starts serving."""
    billing = BillingClient(settings.billing, settings.secret, timeout=settings.request_timeout)
    meter = Meter(
        billing,
        gateway_id=settings.effective_id,
        poll_interval=settings.poll_interval,
        report_interval=settings.report_interval,
        stall_factor=settings.stall_factor,
    )
    files = settings.files.resolve() if settings.files is not None else None

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        meter.start()
        try:
            yield
        finally:
            await meter.stop()
            await billing.close()

    async def health(_request: Request) -> Response:
        return JSONResponse({"status": "ok", "gateway_id": settings.effective_id})

    async def stream(request: Request) -> Response:
        try:
            metered = await _admit(meter, settings.secret, request, GatewayKind.STREAM)
        except _Refusal as refusal:
            return refusal.response
        if metered.status.unit not in ("second", "byte"):
            return problem_response(ErrorCode.FORBIDDEN, "a stream counts seconds or bytes")
        if request.method == "HEAD":
            return Response(media_type="application/octet-stream")
        return StreamingResponse(_paced(meter, metered), media_type="application/octet-stream")

    async def download(request: Request) -> Response:
        name = request.path_params["name"]
        path = _file(files, name)
        if path is None:
            shown = repr(name) if len(name) <= MAX_PATH_ID else "of that name"
            return problem_response(ErrorCode.NOT_FOUND, f"no file {shown}")
        try:
            metered = await _admit(meter, settings.secret, request, GatewayKind.DOWNLOAD)
        except _Refusal as refusal:
            return refusal.response
        if metered.status.unit != "byte":
            return problem_response(ErrorCode.FORBIDDEN, "a download counts bytes")
        size = path.stat().st_size
        try:
            wanted = parse_range(request.headers.get("range"), size)
        except RangeNotSatisfiable as error:
            return problem_response(
                ErrorCode.RANGE_NOT_SATISFIABLE, str(error), {"Content-Range": f"bytes */{size}"}
            )
        start, end = wanted or (0, size)
        headers = {"Accept-Ranges": "bytes", "Content-Length": str(end - start)}
        if wanted is not None:
            headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
        if request.method == "HEAD":  # the size and range support; nothing served or counted
            return Response(status_code=206 if wanted else 200, headers=headers)
        cover = metered.files.setdefault(str(path), Coverage())
        return StreamingResponse(
            _file_bytes(meter, metered, path, cover, start, end),
            status_code=206 if wanted is not None else 200,
            headers=headers,
            media_type="application/octet-stream",
        )

    async def message(request: Request) -> Response:
        try:
            metered = await _admit(meter, settings.secret, request, GatewayKind.MESSAGE)
            text = _message_text(await request.body())
        except _Refusal as refusal:
            return refusal.response
        deadline = time.monotonic() + _MESSAGE_WAIT
        while (verdict := metered.verdict()) is Verdict.PAUSE and time.monotonic() < deadline:
            await meter.wait(_TICK)
        if verdict is Verdict.STOP:
            return _stopped(metered)
        if verdict is Verdict.PAUSE:
            return problem_response(
                ErrorCode.RATE_LIMITED,
                "no grant covers another message yet; report usage and retry",
                {"Retry-After": "1"},
            )
        metered.events += 1
        meter.served_some(metered)
        return JSONResponse(
            {"session_id": metered.status.session_id, "event": metered.served, "text": text}
        )

    app = Starlette(
        routes=[
            Route("/v1/health", health),
            Route("/v1/stream", stream),
            Route("/v1/files/{name:path}", download),
            Route("/v1/messages", message, methods=["POST"]),
        ],
        lifespan=lifespan,
        exception_handlers={404: _not_found, 405: _not_allowed},
    )
    app.add_middleware(FailureAnswers)  # a bug answers 500 once, logged once
    app.add_middleware(BodyLimits, max_bytes=settings.max_body_bytes, timeout=settings.body_timeout)
    app.state.meter = meter
    return app


async def _not_found(_request: Request, _exc: Exception) -> Response:
    return problem_response(ErrorCode.NOT_FOUND, "no such gateway route or file")


async def _not_allowed(_request: Request, _exc: Exception) -> Response:
    return problem_response(ErrorCode.METHOD_NOT_ALLOWED, "this route does not take that method")


async def _admit(meter: Meter, secret: str, request: Request, kind: GatewayKind) -> Metered:
    """The session of the request's gateway token, admitted; else a refusal.

    The token's signature is checked here first: a made-up or damaged token is
    refused (401) without a call to the billing servers.
    """
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip() if scheme.lower() == "bearer" else ""
    token = token or request.query_params.get("token", "")
    if not token:
        raise _Refusal(
            problem_response(
                ErrorCode.UNAUTHORIZED,
                "send the session's gateway token: 'Authorization: Bearer <token>'",
                {"WWW-Authenticate": "Bearer"},
            )
        )
    if session_of(secret, token) is None:
        raise _Refusal(_invalid_token())
    try:
        metered = await meter.admit(token)
    except BillingUnavailable:
        raise _Refusal(
            problem_response(
                ErrorCode.UNAVAILABLE, "the billing servers cannot be reached", {"Retry-After": "1"}
            )
        ) from None
    except BillingRefused as refused:
        raise _Refusal(_refused(refused)) from None
    if metered.status.kind is not kind:
        raise _Refusal(
            problem_response(
                ErrorCode.FORBIDDEN,
                f"this session's service is a {metered.status.kind.value}, not a {kind.value}",
            )
        )
    if metered.verdict() is Verdict.STOP:
        raise _Refusal(_stopped(metered))
    return metered


def _refused(refused: BillingRefused) -> Response:
    if refused.status == 409:
        return problem_response(
            ErrorCode.SESSION_ENDED, "the session has ended; its gateway token has expired"
        )
    if refused.status in (401, 403, 422):
        if refused.status == 401:  # the gateway's own secret: an operator's problem
            return problem_response(
                ErrorCode.UNAVAILABLE, "the gateway is not accepted by the billing server"
            )
        return _invalid_token()
    return problem_response(ErrorCode.UNAVAILABLE, "the billing server refused the admission")


def _invalid_token() -> Response:
    return problem_response(
        ErrorCode.UNAUTHORIZED, "the gateway token is not valid", {"WWW-Authenticate": "Bearer"}
    )


def _stopped(metered: Metered) -> Response:
    if metered.status.final and metered.exhausted:
        return problem_response(
            ErrorCode.INSUFFICIENT_FUNDS, "the session's final grant is used up; top up"
        )
    return problem_response(ErrorCode.SESSION_ENDED, "the session has ended")


def _message_text(body: bytes) -> str:
    try:
        data: Any = json.loads(body)
    except ValueError:
        data = None
    text = data.get("text") if isinstance(data, dict) else None
    if not isinstance(text, str) or not text or len(text) > _MAX_MESSAGE or "\x00" in text:
        raise _Refusal(
            problem_response(
                ErrorCode.VALIDATION_ERROR,
                f'send {{"text": "..."}} with 1 to {_MAX_MESSAGE} characters',
            )
        )
    return text


def _file(root: Path | None, name: str) -> Path | None:
    """The file ``name`` names inside ``root``, or None (no directory, escape, not a file)."""
    if root is None or "\x00" in name:
        return None
    path = (root / name).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return path


async def _paced(meter: Meter, metered: Metered) -> AsyncIterator[bytes]:
    """Stream bytes at the service's bitrate while the session allows."""
    metered.connections += 1
    try:
        rate = metered.bytes_per_second
        per_tick = max(1, int(rate * _TICK))
        next_at = time.monotonic()
        while True:
            verdict = metered.verdict()
            if verdict is Verdict.STOP or meter.closing:
                return
            if verdict is Verdict.PAUSE:
                await meter.wait(_TICK)
                next_at = time.monotonic()
                continue
            size = min(per_tick, metered.stream_limit - metered.stream_bytes)
            if size <= 0:
                await meter.wait(_TICK)
                continue
            metered.stream_bytes += size
            meter.served_some(metered)
            yield bytes(size)
            next_at += _TICK
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
    finally:
        meter.released(metered)


async def _file_bytes(
    meter: Meter, metered: Metered, path: Path, cover: Coverage, start: int, end: int
) -> AsyncIterator[bytes]:
    """The file's bytes ``[start, end)``; bytes this session was served before are free."""
    metered.connections += 1
    try:
        with path.open("rb") as handle:
            handle.seek(start)
            position = start
            while position < end:
                verdict = metered.verdict()
                if verdict is Verdict.STOP or meter.closing:
                    return
                run = cover.run_from(position)  # already served to this session: free
                allowance = metered.allowance if verdict is Verdict.SERVE else 0
                size = min(_CHUNK, end - position, run + allowance)
                if size <= 0:
                    await meter.wait(_TICK)
                    continue
                data = await asyncio.to_thread(handle.read, size)
                if not data:
                    return
                cover.add(position, position + len(data))
                position += len(data)
                meter.served_some(metered)
                yield data
    finally:
        meter.released(metered)
