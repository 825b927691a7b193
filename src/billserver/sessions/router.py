"""``/v1/sessions``: open, update, end and read credit-control sessions."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import Connection, and_, or_, select

from billclient.protocol import (
    ErrorCode,
    SessionCreate,
    SessionCreated,
    SessionEnd,
    SessionResource,
    SessionState,
    SessionUpdate,
    UpdateResult,
)

from .. import db
from ..accounts.payer import lock_key
from ..accounts.tokens import token_hash
from ..clock import now_us
from ..gateway.billing_side.access import gateway_access
from ..tables import holds, sessions
from ..web import (
    BearerToken,
    Caller,
    Context,
    PageParams,
    actor_for_token,
    context,
    page_response,
    paged,
    problems,
)
from ..web.idempotent import run_idempotent
from ..web.problems import ApiError
from .group_commit import GroupCommitter
from .service import Report, open_session, report_usage
from .views import session_view

__all__ = ["router"]

router = APIRouter(prefix="/v1/sessions", tags=["sessions"])
Ctx = Annotated[Context, Depends(context)]
IdempotencyKey = Annotated[str, Header(alias="Idempotency-Key", min_length=1, max_length=255)]


@router.post(
    "",
    status_code=201,
    response_model=SessionCreated,
    responses=problems(402, 403, 404, 409),
)
def create(body: SessionCreate, key: IdempotencyKey, caller: Caller, ctx: Ctx) -> JSONResponse:
    """Open a session: checks funds and plan, reserves the first grant."""
    outcome = run_idempotent(
        ctx.engine,
        caller,
        endpoint="POST /v1/sessions",
        key=key,
        body=body.model_dump(mode="json"),
        operation=lambda conn, now: (
            201,
            open_session(conn, caller, body.service_id, now=now, policy=ctx.policy),
        ),
    )
    media = "application/problem+json" if outcome.is_problem else "application/json"
    answer = with_gateway(ctx, outcome.body) if outcome.status == 201 else outcome.body
    return JSONResponse(answer, status_code=outcome.status, media_type=media)


@router.post(
    "/{session_id}/updates",
    response_model=UpdateResult,
    responses=problems(404, 409, session=True),
)
async def post_update(
    request: Request, session_id: str, body: SessionUpdate, token: BearerToken, ctx: Ctx
) -> Response:
    """Report cumulative usage; the answer carries the next grant and the action."""
    report = Report(body.seq, body.used_units, None, body.measured_at)
    return await _report(request, ctx, token, session_id, report)


@router.post(
    "/{session_id}/end",
    response_model=SessionResource,
    responses=problems(404, 409, session=True),
)
async def post_end(
    request: Request, session_id: str, body: SessionEnd, token: BearerToken, ctx: Ctx
) -> Response:
    """End the session with its final usage; releases the residual hold, writes the CDR."""
    report = Report(body.seq, body.used_units, body.cause)
    return await _report(request, ctx, token, session_id, report)


async def _report(
    request: Request, ctx: Context, token: str, session_id: str, report: Report
) -> Response:
    """Usage reports of all sessions go through the process's group commit (one durable
    commit for all the reports that arrive while the previous one is being written); the
    caller is authenticated in that same transaction."""
    committer: GroupCommitter = request.app.state.group_commit
    policy = ctx.policy

    def operation(conn: Connection) -> dict[str, Any]:
        caller = actor_for_token(conn, token, policy.server_id)
        if caller.account_id is not None:
            _remember_account(digest, lock_key(caller.account_id))
        return report_usage(conn, caller, session_id, report, now=now_us(), policy=policy)

    digest = token_hash(token)
    answer = await committer.run(operation, lock_key=_TOKEN_ACCOUNTS.get(digest, ""))
    return Response(orjson.dumps(answer), media_type="application/json")


# Access token (its hash) -> its account's lock key (billserver.accounts.payer.lock_key:
# the account, or its paying account and the account for a shared balance), as last
# authenticated here: used only for the order in which a batch takes account locks
# (GroupCommitter's lock_key), never for who the caller is. A
# missing or stale entry can at worst make two processes' batches deadlock on
# PostgreSQL, which the database resolves by failing one update (the client retries).
_TOKEN_ACCOUNTS: dict[str, str] = {}
_TOKEN_ACCOUNTS_MAX = 100_000


def _remember_account(digest: str, account_id: str) -> None:
    if _TOKEN_ACCOUNTS.get(digest) != account_id:
        if len(_TOKEN_ACCOUNTS) >= _TOKEN_ACCOUNTS_MAX:
            _TOKEN_ACCOUNTS.clear()
        _TOKEN_ACCOUNTS[digest] = account_id


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
            select(sessions, holds.c.remaining)
            .join(holds, holds.c.hold_id == sessions.c.hold_id)
            .where(sessions.c.session_id == session_id)
        ).one_or_none()
    if row is None or caller.account_id is None or row.account_id != caller.account_id:
        raise ApiError(ErrorCode.NOT_FOUND, f"no session {session_id}")
    return session_view(row, int(row.remaining)).model_dump(mode="json")


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
        select(sessions, holds.c.remaining)
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
    items = [session_view(r, int(r.remaining)).model_dump(mode="json") for r in rows]
    last = [rows[-1].started_at, rows[-1].session_id] if rows else None
    return page_response(request, items, page, last)
