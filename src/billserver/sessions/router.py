"""``/v1/sessions``: open, update, end and read credit-control sessions."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import and_, or_, select

from billclient.protocol import (
    ErrorCode,
    ReportResults,
    SessionCreate,
    SessionCreated,
    SessionEnd,
    SessionResource,
    SessionState,
    SessionUpdate,
    UpdateResult,
)

from .. import db
from ..gateway.billing_side import gateway_access
from ..tables import holds, sessions
from ..web import (
    ApiError,
    BearerToken,
    Caller,
    Context,
    Ctx,
    IdempotencyKey,
    PageParams,
    idempotent_response,
    page_response,
    paged,
    problems,
)
from .opening import open_session
from .policy import Policy
from .reports import Report
from .submit import check_reports, count_accepted, submit_report, submit_reports
from .views import SESSION_COLUMNS, session_view

__all__ = ["router"]

router = APIRouter(prefix="/v1/sessions", tags=["sessions"])


@router.post(
    "",
    status_code=201,
    response_model=SessionCreated,
    responses=problems(402, 403, 404, 409),
)
def create(
    body: SessionCreate, key: IdempotencyKey, caller: Caller, ctx: Ctx, policy: Policy
) -> JSONResponse:
    """Open a session: checks funds and plan, reserves the first grant."""
    return idempotent_response(
        ctx.engine,
        caller,
        "POST /v1/sessions",
        key,
        body.model_dump(mode="json"),
        lambda conn, now: (
            201,
            open_session(conn, caller, body.service_id, now=now, policy=policy),
        ),
        decorate=lambda answer: with_gateway(ctx, answer),
    )


@router.post(
    "/{session_id}/updates",
    response_model=UpdateResult,
    responses=problems(404, 409, session=True),
)
async def post_update(
    request: Request, session_id: str, body: SessionUpdate, token: BearerToken
) -> Response:
    """Report cumulative usage; the answer carries the next grant and the action."""
    report = Report(body.seq, body.used_units, None, body.measured_at)
    return await _report(request, token, session_id, report)


@router.post(
    "/{session_id}/end",
    response_model=SessionResource,
    responses=problems(404, 409, session=True),
)
async def post_end(
    request: Request, session_id: str, body: SessionEnd, token: BearerToken
) -> Response:
    """End the session with its final usage; releases the residual hold, writes the CDR."""
    report = Report(body.seq, body.used_units, body.cause)
    return await _report(request, token, session_id, report)


async def _report(request: Request, token: str, session_id: str, report: Report) -> Response:
    """Usage reports of all sessions go through the process's group commit
    (:mod:`.submit`); the caller is authenticated in that same transaction."""
    state = request.app.state  # the hot path: no dependency
    answer = await submit_report(
        state.group_commit, state.session_policy, token, session_id, report
    )
    return Response(orjson.dumps(answer), media_type="application/json")


@router.post(
    "/updates",
    response_model=ReportResults,
    responses=problems(),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/SessionReports"}}
            },
        }
    },
)
async def post_updates(request: Request, token: BearerToken) -> Response:
    """Report the usage of several sessions at once (each at most once): each report is
    applied or refused on its own and gets what its single call would answer."""
    reports = check_reports(await request.body())
    state = request.app.state
    results = await submit_reports(state.group_commit, state.session_policy, token, reports)
    count_accepted(state, results)
    return Response(orjson.dumps({"results": results}), media_type="application/json")


def with_gateway(ctx: Context, body: Any) -> Any:
    """The ``POST /v1/sessions`` answer with its ``gateway`` member filled in.

    Added after the idempotent operation, so the stored answer (replayed for a
    repeated key) never holds the token; the signed token is the same every time.
    """
    with db.read(ctx.engine) as conn:
        access = gateway_access(
            conn,
            body["session_id"],
            url=ctx.settings.gateway_url,
            secret=ctx.settings.gateway_secret,
        )
    if access is None:
        return body
    return {**body, "gateway": access.model_dump(mode="json")}


@router.get("/{session_id}", response_model=SessionResource, responses=problems(404))
def get_session(session_id: str, caller: Caller, ctx: Ctx) -> dict[str, Any]:
    """One of the caller's sessions."""
    with db.read(ctx.engine) as conn:
        row = conn.execute(
            select(*SESSION_COLUMNS, holds.c.remaining)
            .join(holds, holds.c.hold_id == sessions.c.hold_id)
            .where(sessions.c.session_id == session_id)
        ).one_or_none()
    if row is None or caller.account_id is None or row.account_id != caller.account_id:
        raise ApiError(ErrorCode.NOT_FOUND, f"no session {session_id}")
    return session_view(row._mapping, int(row.remaining)).model_dump(mode="json")


@router.get("", response_model=list[SessionResource], responses=paged())
def list_sessions(
    request: Request,
    caller: Caller,
    ctx: Ctx,
    page: PageParams,
    state: Annotated[SessionState | None, Query()] = None,
) -> JSONResponse:
    """The caller's sessions, oldest first; ``state`` filters active or ended ones."""
    if caller.account_id is None:
        return page_response(request, [], page, None)
    query = (
        select(*SESSION_COLUMNS, holds.c.remaining)
        .join(holds, holds.c.hold_id == sessions.c.hold_id)
        .where(sessions.c.account_id == caller.account_id)
        .order_by(sessions.c.started_at, sessions.c.session_id)
        .limit(page.limit)
    )
    if state is not None:
        query = query.where(sessions.c.state == state.value)
    after = page.key(int, str)
    if after is not None:
        started, sid = after
        query = query.where(
            or_(
                sessions.c.started_at > started,
                and_(sessions.c.started_at == started, sessions.c.session_id > sid),
            )
        )
    with db.read(ctx.engine) as conn:
        rows = conn.execute(query).all()
    items = [session_view(r._mapping, int(r.remaining)).model_dump(mode="json") for r in rows]
    last = [rows[-1].started_at, rows[-1].session_id] if rows else None
    return page_response(request, items, page, last)
