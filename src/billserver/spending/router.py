"""``/v1/account/limits``, ``/v1/account/children/{id}/limits`` and
``/v1/admin/accounts/{id}/limits``: an account's spending limits, read and set by its
own user, by the user of an account above it, and by support (who may only clear)."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import Connection, select

from billclient.protocol import AccountLimits, ErrorCode, LimitsUpdate, Role

from .. import db
from ..clock import now_us
from ..ledger import Actor
from ..tables import accounts
from ..web import ApiError, Caller, Ctx, Support, problems
from .service import Editor, read_limits, set_limits

__all__ = ["router"]

router = APIRouter(prefix="/v1")

_MAX_DEPTH = 32  # an imported hierarchy has no cycles; this only stops a corrupt one


def _own(caller: Actor) -> str:
    if caller.role is not Role.USER or caller.account_id is None:
        raise ApiError(ErrorCode.NOT_FOUND, f"the {caller.role.value} login has no account")
    return caller.account_id


def _member(conn: Connection, caller: Actor, account_id: str) -> str:
    """``account_id`` when it lies below the caller's account; 404 otherwise (as for any
    account the caller may not see)."""
    own = _own(caller)
    current: str | None = account_id
    for _ in range(_MAX_DEPTH):
        current = conn.execute(
            select(accounts.c.parent_id).where(accounts.c.account_id == current)
        ).scalar_one_or_none()
        if current is None:
            break
        if current == own:
            return account_id
    raise ApiError(ErrorCode.NOT_FOUND, f"no account {account_id} below this account")


@router.get(
    "/account/limits", response_model=AccountLimits, responses=problems(404), tags=["account"]
)
def get_own_limits(caller: Caller, ctx: Ctx) -> AccountLimits:
    """The account's spending limits, what it spent so far in each period and when
    the period resets; a limit is null when none is set."""
    with db.read(ctx.engine) as conn:
        return read_limits(conn, _own(caller), now=now_us())


@router.put(
    "/account/limits",
    response_model=AccountLimits,
    responses=problems(403, 404),
    tags=["account"],
)
def put_own_limits(body: LimitsUpdate, caller: Caller, ctx: Ctx) -> AccountLimits:
    """Set the account's daily and monthly limits (decimal strings; null: no limit).
    403 when a value would raise or remove a limit the parent account set."""
    with db.write(ctx.engine) as conn:
        return set_limits(conn, caller, _own(caller), body, editor=Editor.SELF, now=now_us())


@router.get(
    "/account/children/{account_id}/limits",
    response_model=AccountLimits,
    responses=problems(404),
    tags=["account"],
)
def get_member_limits(account_id: str, caller: Caller, ctx: Ctx) -> AccountLimits:
    """The spending limits of an account below the caller's."""
    with db.read(ctx.engine) as conn:
        return read_limits(conn, _member(conn, caller, account_id), now=now_us())


@router.put(
    "/account/children/{account_id}/limits",
    response_model=AccountLimits,
    responses=problems(404),
    tags=["account"],
)
def put_member_limits(
    account_id: str, body: LimitsUpdate, caller: Caller, ctx: Ctx
) -> AccountLimits:
    """Set the limits of an account below the caller's (``set_by: parent``): the
    member may lower them, never raise or remove them."""
    with db.write(ctx.engine) as conn:
        member = _member(conn, caller, account_id)
        return set_limits(conn, caller, member, body, editor=Editor.PARENT, now=now_us())


@router.get(
    "/admin/accounts/{account_id}/limits",
    response_model=AccountLimits,
    responses=problems(403, 404),
    tags=["support"],
)
def get_limits_for_support(account_id: str, caller: Support, ctx: Ctx) -> AccountLimits:
    """Any account's spending limits."""
    with db.read(ctx.engine) as conn:
        return read_limits(conn, account_id, now=now_us())


@router.put(
    "/admin/accounts/{account_id}/limits",
    response_model=AccountLimits,
    responses=problems(403, 404),
    tags=["support"],
)
def put_limits_for_support(
    account_id: str, body: LimitsUpdate, caller: Support, ctx: Ctx
) -> AccountLimits:
    """Clear an account's limits (null clears that limit, its own and its parent's;
    a value is 403: support clears limits, the account's users set them). Audited."""
    with db.write(ctx.engine) as conn:
        return set_limits(conn, caller, account_id, body, editor=Editor.SUPPORT, now=now_us())
