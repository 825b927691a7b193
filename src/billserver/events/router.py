"""``GET /v1/events``: the caller's account as a Server-Sent Events stream."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from billclient.protocol import ErrorCode, EventType, Role

from ..web import ApiError, BearerToken, Caller, Ctx, problems
from .guard import StreamGuard, StreamRegistry
from .stream import EventHub, StreamTiming, event_stream, open_feed

__all__ = ["EventStreamResponse", "router"]

router = APIRouter(prefix="/v1", tags=["events"])

_MAX_ID = 2**63 - 1
_ID_HELP = "Resume after this event id: every later event of the account follows"


class EventStreamResponse(StreamingResponse):
    """A ``text/event-stream`` answer; ``on_close`` runs when it ends, however it ends."""

    media_type = "text/event-stream"

    def __init__(
        self,
        content: Any,
        status_code: int = 200,  # FastAPI reads the default status from the signature
        headers: Mapping[str, str] | None = None,
        *,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(content, status_code, headers)
        self._on_close = on_close

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            if self._on_close is not None:
                self._on_close()


def _event_schema(kind: EventType, payload: str) -> dict[str, Any]:
    """One Server-Sent Event as read by a client: ``id``, ``event`` and JSON ``data``."""
    return {
        "type": "object",
        "required": ["id", "event", "data"],
        "properties": {
            "id": {"type": "string", "pattern": "^[0-9]+$"},
            "event": {"const": kind.value},
            "data": {
                "type": "string",
                "contentMediaType": "application/json",
                "contentSchema": {"$ref": f"#/components/schemas/{payload}"},
            },
        },
    }


_STREAM_DOC: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Server-Sent Events: `balance`, `session`, `notice` and `limit` events, "
        "each with `id` (the event id), `event` (the type) and one `data` line of JSON; "
        "`: heartbeat` comments between them. The schema describes one event.",
        "content": {
            "text/event-stream": {
                "schema": {
                    "type": "object",  # replaces FastAPI's default "string" of a raw response
                    "oneOf": [
                        _event_schema(EventType.BALANCE, "BalanceEvent"),
                        _event_schema(EventType.SESSION, "SessionEvent"),
                        _event_schema(EventType.NOTICE, "NoticeEvent"),
                        _event_schema(EventType.LIMIT, "LimitEvent"),
                    ],
                }
            }
        },
    },
}


@router.get(
    "/events",
    response_class=EventStreamResponse,
    responses={**_STREAM_DOC, **problems(404, 503)},
)
async def stream_events(
    request: Request,
    caller: Caller,
    token: BearerToken,
    ctx: Ctx,
    header_id: Annotated[
        int | None, Header(alias="Last-Event-ID", ge=0, le=_MAX_ID, description=_ID_HELP)
    ] = None,
    last_event_id: Annotated[
        int | None,
        Query(ge=0, le=_MAX_ID, description=_ID_HELP + " (when the header cannot be sent)"),
    ] = None,
) -> EventStreamResponse:
    """Live balance, session and notice events of the caller's account.

    Without ``Last-Event-ID`` the stream starts with the current ``balance``; with
    it, every event after that id follows first. Only a ``user`` login with an
    account has a stream. The stream ends (with an SSE comment saying why) once the
    access token is no longer valid, or when the login opens more streams than a
    server keeps for it (the oldest ends); a server holding all the streams it may
    answers 503.
    """
    if caller.role is not Role.USER or caller.account_id is None:
        raise ApiError(ErrorCode.NOT_FOUND, "this login has no account, so no event stream")
    resume_after = header_id if header_id is not None else last_event_id
    registry: StreamRegistry = request.app.state.event_streams
    ticket = registry.open(caller.login)
    try:
        start = await anyio.to_thread.run_sync(
            open_feed, ctx.engine, caller.account_id, resume_after
        )
        if start is None:
            raise ApiError(ErrorCode.NOT_FOUND, "this login's account does not exist")
    except BaseException:
        ticket.release()
        raise
    hub: EventHub = request.app.state.event_hub
    timing = StreamTiming(
        poll_interval=ctx.settings.events_poll_interval,
        heartbeat=ctx.settings.heartbeat_interval,
    )
    guard = StreamGuard(token, ticket, recheck_interval=ctx.settings.events_recheck_interval)
    body = event_stream(
        hub, ctx.engine, caller.account_id, start, timing, request.is_disconnected, guard
    )
    return EventStreamResponse(
        body,
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        on_close=ticket.release,
    )
