"""``/v1/sessions``: open, update, end and read credit-control sessions."""

from __future__ import annotations

from typing import Annotated, Any

import anyio
import orjson
from fastapi import APIRouter, Query, Request, Response
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
from ..clock import now_us
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
    actor_for_token,
    idempotent_response,
    page_response,
    paged,
    problems,
    token_hash,
)
from .group_commit import GroupCommitter
from .opening import open_session
from .policy import Policy, SessionPolicy
from .reports import Report
from .usage import report_usage
from .views import session_view

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
    """Usage reports of all sessions go through the process's group commit (one durable
    commit for all the reports that arrive while the previous one is being written); the
    caller is authenticated in that same transaction.

    Authentication before the writer: a token this process has not authenticated yet is
    checked first in a read transaction of its own (on a worker thread), so a request
    with a bad token never queues for the one writer nor takes the write lock (the body
    was validated before this runs). A token authenticated here before (and not refused
    since) skips that read: it is checked again, as ever, inside the writer's
    transaction, and forgotten when refused there: a token revoked meanwhile reaches the
    writer only with the calls already queued when it is first refused there (usually
    one), never afterwards.

    The batch takes account locks in the order of the token's account as last
    authenticated here (:class:`~billserver.accounts.LockOrder`), never trusting it for
    who the caller is: a missing or stale entry can at worst make two processes'
    batches deadlock on PostgreSQL, which the database resolves by failing one update
    (the client retries)."""
    committer: GroupCommitter = request.app.state.group_commit
    policy: SessionPolicy = request.app.state.session_policy  # the hot path: no dependency
    digest = token_hash(token)
    if not policy.order.knows_token(digest):
        await anyio.to_thread.run_sync(_authenticate, request, token, digest)

    def operation(conn: Connection) -> dict[str, Any]:
        try:
            caller = actor_for_token(conn, token, policy.server_id)
        except ApiError:
            policy.order.forget_token(digest)
            raise
        if caller.account_id is not None:
            policy.order.remember_token(digest, caller.account_id)
        return report_usage(conn, caller, session_id, report, now=now_us(), policy=policy)

    answer = await committer.run(operation, lock_key=policy.order.token_key(digest))
    return Response(orjson.dumps(answer), media_type="application/json")


def _authenticate(request: Request, token: str, digest: str) -> None:
    """Check ``token`` in a read transaction (401 :class:`ApiError` if it is not valid)
    and remember it for the lock order."""
    ctx: Context = request.app.state.context
    policy: SessionPolicy = request.app.state.session_policy
    with db.read(ctx.engine) as conn:
        caller = actor_for_token(conn, token, policy.server_id)
    if caller.account_id is not None:
        policy.order.remember_token(digest, caller.account_id)


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
    items = [session_view(r._mapping, int(r.remaining)).model_dump(mode="json") for r in rows]
    last = [rows[-1].started_at, rows[-1].session_id] if rows else None
    return page_response(request, items, page, last)
