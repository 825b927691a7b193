"""``/v1/integration/...``: the billing web-service interface for the operator role.

Mapped onto the existing model: a rate package is a plan, a subscription is an
account's plan assignment, a service instance is a service its plan offers.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import AwareDatetime
from sqlalchemy import select

from billclient.protocol import Account, AccountStatus, ErrorCode, Role
from billclient.protocol.integration import (
    AccountCreate,
    AccountStatusInfo,
    AccountStatusSet,
    BatchResult,
    EventBatch,
    InvoiceLineRequest,
    PlanInfo,
    RatedLine,
    RegisteredService,
    ServiceInstance,
    ServiceRegistration,
    Subscription,
)
from billclient.protocol.invoices import Invoice, InvoiceKind, InvoiceState
from billclient.rating import billed_units, charge

from .. import db
from ..accounts import account_view, read_account
from ..admin import change_status
from ..clock import now_us, to_us
from ..db import AnyRow
from ..invoices import compute_document, load_hierarchy
from ..ledger import Actor
from ..plans import current_plan_version, rate_of
from ..sessions import Policy
from ..tables import plan_versions, services
from ..web import ApiError, Context, Ctx, problems, require_role
from .events import process_batch
from .service import create_account, register_service, retire_account, set_plan

__all__ = ["router"]

router = APIRouter(prefix="/v1/integration", tags=["integration"])
Operator = Annotated[Actor, Depends(require_role(Role.OPERATOR))]


def _status_info(row: AnyRow) -> AccountStatusInfo:
    status = AccountStatus.INACTIVE if row.retired else AccountStatus(row.status)
    return AccountStatusInfo(account_id=row.account_id, status=status, plan_id=row.plan_id or None)


def _account(ctx: Context, account_id: str) -> AnyRow:
    with db.read(ctx.engine) as conn:
        row = read_account(conn, account_id)
    if row is None or row.retired:
        raise ApiError(ErrorCode.NOT_FOUND, f"no account {account_id!r}")
    return row


@router.post("/accounts", status_code=201, response_model=Account, responses=problems(403))
def create(body: AccountCreate, caller: Operator, ctx: Ctx) -> Account:
    """Create an account (balance 0); 422 if the id exists or the plan is unknown."""
    with db.write(ctx.engine) as conn:
        return account_view(create_account(conn, caller, body, now=now_us()))


@router.delete(
    "/accounts/{account_id}",
    status_code=204,
    response_class=Response,
    responses=problems(403, 404),
)
def delete(account_id: str, caller: Operator, ctx: Ctx) -> Response:
    """Delete (retire) an account; its records stay. 422 while money is reserved."""
    with db.write(ctx.engine) as conn:
        retire_account(conn, caller, account_id, now=now_us())
    return Response(status_code=204)


@router.get(
    "/accounts/{account_id}/status", response_model=AccountStatusInfo, responses=problems(403, 404)
)
def get_status(account_id: str, caller: Operator, ctx: Ctx) -> AccountStatusInfo:
    """The account's status and plan."""
    del caller
    return _status_info(_account(ctx, account_id))


@router.put(
    "/accounts/{account_id}/status", response_model=AccountStatusInfo, responses=problems(403, 404)
)
def put_status(
    account_id: str, body: AccountStatusSet, caller: Operator, ctx: Ctx, policy: Policy
) -> AccountStatusInfo:
    """Set the status; any status but ``active`` ends the account's live sessions."""
    _account(ctx, account_id)
    with db.write(ctx.engine) as conn:
        change_status(conn, caller, account_id, body.status, now=now_us(), policy=policy)
        row = read_account(conn, account_id)
    assert row is not None
    return _status_info(row)


@router.put(
    "/accounts/{account_id}/subscription",
    response_model=AccountStatusInfo,
    responses=problems(403, 404),
)
def subscribe(account_id: str, body: Subscription, caller: Operator, ctx: Ctx) -> AccountStatusInfo:
    """Subscribe the account to a rate package (plan), effective for new sessions."""
    with db.write(ctx.engine) as conn:
        return _status_info(set_plan(conn, caller, account_id, body.plan_id, now=now_us()))


@router.delete(
    "/accounts/{account_id}/subscription",
    response_model=AccountStatusInfo,
    responses=problems(403, 404),
)
def unsubscribe(account_id: str, caller: Operator, ctx: Ctx) -> AccountStatusInfo:
    """Unsubscribe: the account keeps its records but is offered no service."""
    with db.write(ctx.engine) as conn:
        return _status_info(set_plan(conn, caller, account_id, None, now=now_us()))


@router.get(
    "/accounts/{account_id}/services",
    response_model=list[ServiceInstance],
    responses=problems(403, 404),
)
def service_instances(account_id: str, caller: Operator, ctx: Ctx) -> list[ServiceInstance]:
    """The services the account's plan offers."""
    del caller
    row = _account(ctx, account_id)
    with db.read(ctx.engine) as conn:
        plan = current_plan_version(conn, row.plan_id) if row.plan_id else None
        if plan is None:
            return []
        offered = conn.execute(
            select(services)
            .where(services.c.service_id.in_(list(plan.rates)), services.c.retired.is_(False))
            .order_by(services.c.service_id)
        ).all()
    return [
        ServiceInstance(
            service_id=s.service_id, name=s.name, unit=s.unit, media=s.media, plan_id=plan.plan_id
        )
        for s in offered
    ]


@router.get("/accounts/{account_id}/invoice", response_model=Invoice, responses=problems(403, 404))
def invoice_for_range(
    account_id: str,
    caller: Operator,
    ctx: Ctx,
    start: Annotated[AwareDatetime, Query(alias="from")],
    end: Annotated[AwareDatetime, Query(alias="to")],
) -> Invoice:
    """The invoice (or statement) of an account for ``[from, to)``, computed now, not stored.

    It covers the account and the accounts billed through it, like a monthly invoice.
    """
    del caller
    if end <= start:
        raise ApiError(ErrorCode.VALIDATION_ERROR, "to: must be after from")
    _account(ctx, account_id)
    with db.read(ctx.engine) as conn:
        hierarchy = load_hierarchy(conn)
        document, subtotal, tax, total = compute_document(
            conn, hierarchy, account_id, to_us(start), to_us(end)
        )
        row = hierarchy.rows[account_id]
    return Invoice.model_validate(
        {
            "invoice_id": "range",
            "account_id": account_id,
            "kind": InvoiceKind(document["kind"]),
            "state": InvoiceState.DRAFT,
            "period": "range",
            "period_start": start,
            "period_end": end,
            "timezone": document["timezone"],
            "currency": row.currency,
            "lines": document["lines"],
            "payments": document["payments"],
            "subtotal": subtotal,
            "tax": tax,
            "total": total,
            "issued_at": None,
            "due_at": None,
            "paid_at": None,
            "pdf_url": "",
        }
    )


@router.post("/invoice-lines", response_model=RatedLine, responses=problems(403, 404))
def invoice_line(body: InvoiceLineRequest, caller: Operator, ctx: Ctx) -> RatedLine:
    """The invoice line one billing event makes (rated with the account's plan; nothing
    is charged)."""
    del caller
    row = _account(ctx, body.account_id)
    with db.read(ctx.engine) as conn:
        plan = current_plan_version(conn, row.plan_id) if row.plan_id else None
        rate = rate_of(plan, body.service_id) if plan is not None else None
        name = conn.execute(
            select(services.c.name).where(services.c.service_id == body.service_id)
        ).scalar_one_or_none()
    if plan is None or rate is None or name is None:
        raise ApiError(
            ErrorCode.SERVICE_NOT_IN_PLAN, f"the account's plan does not offer {body.service_id!r}"
        )
    try:
        amount = charge(rate, body.at, body.units)
    except (OverflowError, ValueError):
        raise ApiError(ErrorCode.VALIDATION_ERROR, "at: the instant is out of range") from None
    return RatedLine(
        account_id=row.account_id,
        plan_id=plan.plan_id,
        service_id=body.service_id,
        description=str(name),
        units=body.units,
        billed_units=billed_units(rate, body.units),
        amount=amount,
    )


@router.post(
    "/services", status_code=201, response_model=RegisteredService, responses=problems(403)
)
def register(body: ServiceRegistration, caller: Operator, ctx: Ctx) -> RegisteredService:
    """Register (or update) a billable service. Plans offer it once the catalogue rates it."""
    with db.write(ctx.engine) as conn:
        row = register_service(conn, caller, body, now=now_us())
    return RegisteredService(
        service_id=row.service_id,
        name=row.name,
        unit=row.unit,
        media=row.media,
        grant=int(row.grant_units),
        update_interval=int(row.update_interval),
    )


@router.get("/services/{service_id}/plans", response_model=list[PlanInfo], responses=problems(403))
def plans_offering(service_id: str, caller: Operator, ctx: Ctx) -> list[PlanInfo]:
    """The rate packages (current plan versions) that offer the service."""
    del caller
    with db.read(ctx.engine) as conn:
        rows = conn.execute(
            select(plan_versions)
            .where(plan_versions.c.current.is_(True), plan_versions.c.retired.is_(False))
            .order_by(plan_versions.c.plan_id)
        ).all()
    return [
        PlanInfo(
            plan_id=r.plan_id,
            name=r.name,
            version=int(r.version),
            timezone=r.timezone,
            tax_rate=r.tax_rate,
        )
        for r in rows
        if service_id in r.rates
    ]


@router.post("/events", response_model=BatchResult, responses=problems(403))
def events_batch(body: EventBatch, caller: Operator, ctx: Ctx) -> BatchResult:
    """Rate and charge a batch of billing events, each at most once (by ``event_id``).

    Rejected events are listed with the reason and recorded nowhere: they may be sent again.
    """
    with db.write(ctx.engine) as conn:
        outcome = process_batch(
            conn, caller, body.events, now=now_us(), server_id=ctx.settings.effective_server_id
        )
    return BatchResult(
        charged=outcome.charged,
        duplicates=outcome.duplicates,
        rejected=len(outcome.rejections),
        amount=outcome.amount,
        rejections=outcome.rejections,
    )
