"""``GET /v1/services`` and ``POST /v1/quotes``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import Connection, select

from billclient.protocol import ErrorCode, Quote, QuoteRequest, Service
from billclient.rating import charge, max_affordable_units

from .. import db
from ..accounts import read_account, read_payer
from ..clock import from_us, now_us
from ..db import AnyRow
from ..ledger import Actor, LimitState, spendable
from ..plans import current_plan_version, rate_of
from ..tables import services
from ..web import ApiError, Caller, Ctx, problems

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["catalogue"])

_LARGEST_AMOUNT = 2**63 - 1  # micro-units: a 64-bit integer, the ledger's columns


def _account_and_plan(conn: Connection, caller: Actor) -> tuple[AnyRow, AnyRow | None]:
    account = read_account(conn, caller.account_id) if caller.account_id else None
    if account is None:
        raise ApiError(ErrorCode.NOT_FOUND, f"the {caller.role.value} login has no account")
    return account, current_plan_version(conn, account.plan_id)


@router.get("/services", response_model=list[Service], responses=problems(404))
def list_services(caller: Caller, ctx: Ctx) -> list[dict[str, Any]]:
    """The services of the caller's plan, with everything needed to rate them."""
    with db.read(ctx.engine) as conn:
        _account, plan = _account_and_plan(conn, caller)
        rows = conn.execute(
            select(services).where(services.c.retired.is_(False)).order_by(services.c.service_id)
        ).all()
    offered = []
    for row in rows:
        rate = rate_of(plan, row.service_id) if plan is not None else None
        if rate is None:
            continue
        offered.append(
            {
                "service_id": row.service_id,
                "name": row.name,
                "unit": row.unit,
                "media": row.media,
                "update_interval": row.update_interval,
                "grant": row.grant_units,
                "rate": rate.to_text(),
            }
        )
    order = list(plan.rates) if plan is not None else []
    offered.sort(key=lambda s: order.index(s["service_id"]))
    return offered


@router.post("/quotes", response_model=Quote, responses=problems(403, 404))
def quote(body: QuoteRequest, caller: Caller, ctx: Ctx) -> Quote:
    """Advice of charge: the price of ``units`` now, and how many units the balance buys
    (the paying account's balance, for a member spending from a shared balance)."""
    with db.read(ctx.engine) as conn:
        account, plan = _account_and_plan(conn, caller)
        payer = read_payer(conn, account)
        offered = conn.execute(
            select(services.c.service_id).where(
                services.c.service_id == body.service_id, services.c.retired.is_(False)
            )
        ).scalar_one_or_none()
    rate = rate_of(plan, body.service_id) if plan is not None and offered else None
    if rate is None:
        raise ApiError(
            ErrorCode.SERVICE_NOT_IN_PLAN, f"the account's plan does not offer {body.service_id!r}"
        )
    now = now_us()
    start = from_us(now)
    try:
        price = charge(rate, start, body.units)
    except ValueError as error:  # beyond what the rating rules can price (ten years of seconds)
        raise ApiError(ErrorCode.VALIDATION_ERROR, f"units: {error}") from None
    if price > _LARGEST_AMOUNT:  # no ledger, database or client could hold the charge
        raise ApiError(
            ErrorCode.VALIDATION_ERROR,
            f"units: {body.units} units would cost more than the largest amount there is",
        )
    return Quote(
        service_id=body.service_id,
        units=body.units,
        charge=price,
        # what the paying account has, within what the caller's spending limits leave
        max_units=max_affordable_units(
            rate, start, spendable(payer, LimitState.of(account), now=now)
        ),
    )
