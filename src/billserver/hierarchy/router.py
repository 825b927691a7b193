"""``/v1/account/children`` and ``/v1/accounts/{id}[/cdrs]``: a parent's view of its members.

A ``user`` of an account reads every account below it (children, grandchildren)
and their charge records; any other account answers 404, as PROTOCOL.md asks.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Connection, and_, or_, select

from billclient.protocol import Account, Cdr, ErrorCode, Role

from .. import db
from ..accounts import account_view, read_account
from ..cdrs import cdr_view
from ..invoices import load_hierarchy
from ..ledger import Actor
from ..tables import cdrs
from ..web import ApiError, Caller, Ctx, PageParams, WindowParams, page_response, problems

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["account"])


def _below(conn: Connection, caller: Actor) -> list[str]:
    if caller.role is not Role.USER or caller.account_id is None:
        raise ApiError(ErrorCode.NOT_FOUND, f"the {caller.role.value} login has no account")
    hierarchy = load_hierarchy(conn)
    if caller.account_id not in hierarchy.rows:
        return []
    return hierarchy.descendants(caller.account_id)


def _member(conn: Connection, caller: Actor, account_id: str) -> None:
    if account_id != caller.account_id and account_id not in _below(conn, caller):
        raise ApiError(ErrorCode.NOT_FOUND, f"no account {account_id}")


@router.get("/account/children", response_model=list[Account], responses=problems(404))
def list_children(caller: Caller, ctx: Ctx) -> list[Account]:
    """Every account below the caller's, with its figures."""
    with db.read(ctx.engine) as conn:
        result = []
        for account_id in _below(conn, caller):
            row = read_account(conn, account_id)
            if row is not None:
                result.append(account_view(row))
        return result


@router.get("/accounts/{account_id}", response_model=Account, responses=problems(404))
def get_member(account_id: str, caller: Caller, ctx: Ctx) -> Account:
    """The caller's account or one below it."""
    with db.read(ctx.engine) as conn:
        _member(conn, caller, account_id)
        row = read_account(conn, account_id)
    if row is None:
        raise ApiError(ErrorCode.NOT_FOUND, f"no account {account_id}")
    return account_view(row)


@router.get("/accounts/{account_id}/cdrs", response_model=list[Cdr], responses=problems(404))
def member_cdrs(
    request: Request,
    account_id: str,
    caller: Caller,
    ctx: Ctx,
    page: PageParams,
    window: WindowParams,
) -> JSONResponse:
    """The charge records of the caller's account or one below it, by ``ended_at``."""
    key = page.key(int, str)
    with db.read(ctx.engine) as conn:
        _member(conn, caller, account_id)
        query = select(cdrs).where(cdrs.c.account_id == account_id)
        if window.start is not None:
            query = query.where(cdrs.c.ended_at >= window.start)
        if window.end is not None:
            query = query.where(cdrs.c.ended_at < window.end)
        if key is not None:
            query = query.where(
                or_(
                    cdrs.c.ended_at > key[0],
                    and_(cdrs.c.ended_at == key[0], cdrs.c.cdr_id > key[1]),
                )
            )
        rows = conn.execute(query.order_by(cdrs.c.ended_at, cdrs.c.cdr_id).limit(page.limit)).all()
    items = [cdr_view(row).model_dump(mode="json") for row in rows]
    last = [int(rows[-1].ended_at), rows[-1].cdr_id] if rows else None
    return page_response(request, items, page, last)
