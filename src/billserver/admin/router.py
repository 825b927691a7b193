"""``/v1/admin``: the support API (PROTOCOL.md "Support").

Who may call it: ``support`` and ``operator`` logins alike (an operator runs the
deployment and can do whatever support can); a ``user`` gets 403 ``forbidden``
on every route. Every change is audited with the caller's login and device.

Lists are paginated (``?limit=&cursor=``, next page in ``Link``): accounts by id,
sessions oldest first, the audit trail newest first.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from billclient.protocol import (
    Account,
    AccountDetail,
    AccountSummary,
    Adjustment,
    AdjustmentResult,
    AuditEntry,
    LiveSession,
    SessionResource,
    SessionState,
    StatusChange,
    SupportEnd,
)

from .. import db
from ..clock import now_us
from ..gateway.billing_side import GatewayTolerance, flag_cdrs, flag_live
from ..sessions import Policy
from ..web import (
    Ctx,
    IdempotencyKey,
    PageParams,
    Support,
    idempotent_response,
    page_response,
    paged,
    problems,
)
from .service import adjust, change_status, end_session
from .views import (
    account_detail,
    audit_entries,
    checked_text,
    live_sessions,
    search_accounts,
)

__all__ = ["router"]

router = APIRouter(prefix="/v1/admin", tags=["support"])
Text = Annotated[str | None, Query(max_length=200)]


@router.get("/accounts", response_model=list[AccountSummary], responses=paged(403))
def search(
    request: Request, caller: Support, ctx: Ctx, page: PageParams, q: Text = None
) -> JSONResponse:
    """Accounts whose id, name or login contains ``q`` (case-insensitive), by account id."""
    with db.read(ctx.engine) as conn:
        items, last = search_accounts(conn, _text(q, "q"), page)
    return page_response(request, _dump(items), page, last)


@router.get("/accounts/{account_id}", response_model=AccountDetail, responses=problems(403, 404))
def get_account(
    account_id: str, caller: Support, ctx: Ctx, tolerance: GatewayTolerance
) -> dict[str, Any]:
    """Any account's figures, its active sessions and its last 20 CDRs (newest first)."""
    with db.read(ctx.engine) as conn:
        detail = account_detail(conn, checked_text(account_id, "the account id"))
        cdrs = flag_cdrs(conn, detail.last_cdrs, tolerance)
    return detail.model_copy(update={"last_cdrs": cdrs}).model_dump(mode="json")


@router.patch("/accounts/{account_id}", response_model=Account, responses=problems(403, 404))
def set_status(
    account_id: str, body: StatusChange, caller: Support, ctx: Ctx, policy: Policy
) -> dict[str, Any]:
    """Change the account's status; suspending (inactive or pending) ends its live
    sessions with cause ``account_inactive``. Answers the account afterwards."""
    with db.write(ctx.engine) as conn:
        account = change_status(
            conn,
            caller,
            checked_text(account_id, "the account id"),
            body.status,
            now=now_us(),
            policy=policy,
        )
    return account.model_dump(mode="json")


@router.post(
    "/accounts/{account_id}/adjustments",
    status_code=201,
    response_model=AdjustmentResult,
    responses=problems(402, 403, 404, 409),
)
def post_adjustment(
    account_id: str, body: Adjustment, key: IdempotencyKey, caller: Support, ctx: Ctx
) -> JSONResponse:
    """Credit (positive ``amount``) or debit (negative) an account, with a reason.

    A debit beyond the account's ``available`` is 402 ``insufficient_funds``.
    """
    checked_text(account_id, "the account id")
    return idempotent_response(
        ctx.engine,
        caller,
        "POST /v1/admin/adjustments",
        key,
        {"account_id": account_id, **body.model_dump(mode="json")},
        lambda conn, now: (201, adjust(conn, caller, account_id, body, now=now)),
    )


@router.get("/sessions", response_model=list[LiveSession], responses=paged(403))
def list_sessions(
    request: Request,
    caller: Support,
    ctx: Ctx,
    tolerance: GatewayTolerance,
    page: PageParams,
    state: Annotated[SessionState, Query()] = SessionState.ACTIVE,
    account: Text = None,
) -> JSONResponse:
    """The service manager: every account's sessions in ``state`` (default active),
    oldest first, with user, service, rate and usage; ``account`` narrows to one."""
    with db.read(ctx.engine) as conn:
        items, last = live_sessions(conn, state, _text(account, "account"), page)
        items = flag_live(conn, items, tolerance, ctx.settings.gateway_url)
    return page_response(request, _dump(items), page, last)


@router.post(
    "/sessions/{session_id}/end",
    response_model=SessionResource,
    responses=problems(403, 404, 409, session=True),
)
def post_end(
    session_id: str, body: SupportEnd, caller: Support, ctx: Ctx, policy: Policy
) -> dict[str, Any]:
    """End any active session now (cause ``support``), charged for its last reported
    usage; an ended session is 409 ``session_ended`` with the session in the problem."""
    with db.write(ctx.engine) as conn:
        return end_session(
            conn,
            caller,
            checked_text(session_id, "the session id"),
            body.reason,
            now=now_us(),
            policy=policy,
        )


@router.get("/audit", response_model=list[AuditEntry], responses=paged(403))
def list_audit(
    request: Request,
    caller: Support,
    ctx: Ctx,
    page: PageParams,
    account: Text = None,
    actor: Text = None,
) -> JSONResponse:
    """The audit trail, newest first: money moves and support and account actions, with
    the login, device and server of each; ``account`` and ``actor`` (a login) filter it."""
    with db.read(ctx.engine) as conn:
        items, last = audit_entries(conn, _text(account, "account"), _text(actor, "actor"), page)
    return page_response(request, _dump(items), page, last)


def _text(value: str | None, what: str) -> str | None:
    return None if value is None else checked_text(value, what)


def _dump(items: list[Any]) -> list[dict[str, Any]]:
    return [item.model_dump(mode="json") for item in items]
