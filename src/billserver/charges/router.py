"""``/v1/charges``: application billing for ``service`` logins (PROTOCOL.md conventions)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from sqlalchemy import Connection, select

from billclient.protocol import ErrorCode, Role
from billclient.protocol.charges import Charge, ChargeCommit, ChargeRequest

from .. import db
from ..clock import now_us
from ..ledger import Actor
from ..tables import app_charges
from ..web import (
    ApiError,
    Ctx,
    IdempotencyKey,
    idempotent_response,
    problems,
    require_role,
)
from .service import cancel, charge_view, commit, reserve

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["charges"])
ServiceLogin = Annotated[Actor, Depends(require_role(Role.SERVICE))]

_ENDPOINT = "POST /v1/charges"


@router.post(
    "/charges", status_code=201, response_model=Charge, responses=problems(402, 403, 404, 409)
)
def create_charge(
    body: ChargeRequest, key: IdempotencyKey, caller: ServiceLogin, ctx: Ctx
) -> JSONResponse:
    """Reserve the price of one operation and answer with its advice of charge.

    402 when the account cannot afford it, 403 ``account_inactive`` or
    ``service_not_in_plan``, 404 for an account this login may not charge.
    """
    ttl_us = int(ctx.settings.charge_ttl * 1_000_000)

    def operation(conn: Connection, now: int) -> tuple[int, dict[str, Any]]:
        return 201, reserve(conn, caller, body, now=now, ttl_us=ttl_us)

    return idempotent_response(
        ctx.engine, caller, _ENDPOINT, key, body.model_dump(mode="json"), operation
    )


@router.post(
    "/charges/{charge_id}/commit", response_model=Charge, responses=problems(403, 404, 409)
)
def commit_charge(charge_id: str, body: ChargeCommit, caller: ServiceLogin, ctx: Ctx) -> Charge:
    """Charge the units actually used (at most those reserved) and release the rest.

    With ``outcome: failed`` nothing is charged and the CDR records the error.
    Repeating the same commit replays the answer; 409 if the charge was closed otherwise.
    """
    with db.write(ctx.engine) as conn:
        answer = commit(
            conn, caller, charge_id, body, now=now_us(), server_id=ctx.settings.effective_server_id
        )
    return Charge.model_validate(answer)


@router.post(
    "/charges/{charge_id}/cancel", response_model=Charge, responses=problems(403, 404, 409)
)
def cancel_charge(charge_id: str, caller: ServiceLogin, ctx: Ctx) -> Charge:
    """Release the whole reservation (the operation did not take place)."""
    with db.write(ctx.engine) as conn:
        answer = cancel(conn, caller, charge_id, now=now_us())
    return Charge.model_validate(answer)


@router.get("/charges/{charge_id}", response_model=Charge, responses=problems(403, 404))
def get_charge(charge_id: str, caller: ServiceLogin, ctx: Ctx) -> Charge:
    """One of the caller's charges."""
    with db.read(ctx.engine) as conn:
        row = conn.execute(
            select(app_charges).where(
                app_charges.c.charge_id == charge_id, app_charges.c.login == caller.login
            )
        ).one_or_none()
        if row is None:
            raise ApiError(ErrorCode.NOT_FOUND, f"no charge {charge_id}")
        return charge_view(conn, row)
