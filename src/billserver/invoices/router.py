"""``/v1/invoices``: list, read, PDF, and pay by card.

A ``user`` sees the documents of its own account and of the accounts below it
(an organisation's members); ``support`` and ``operator`` see every document
(``?account=`` narrows the list). Anything else answers 404.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import Connection, and_, or_, select, update

from billclient.protocol import ErrorCode, Role
from billclient.protocol.invoices import (
    Invoice,
    InvoicePayment,
    InvoicePaymentRequest,
    InvoiceState,
)

from .. import db
from ..accounts import lock_account, refuse_if_retired
from ..ledger import Actor
from ..tables import invoices
from ..topups import charge_card, make_provider, payment_ref, record_card
from ..web import (
    ApiError,
    Caller,
    Ctx,
    IdempotencyKey,
    PageParams,
    idempotent_response,
    page_response,
    problems,
)
from . import gather
from .service import invoice_view

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["invoices"])

_PAY_ENDPOINT = "POST /v1/invoices/{id}/payments"


def _visible(conn: Connection, caller: Actor) -> list[str] | None:
    """The accounts whose documents ``caller`` may read; None means every account."""
    if caller.role in (Role.SUPPORT, Role.OPERATOR):
        return None
    if caller.role is not Role.USER or caller.account_id is None:
        return []
    hierarchy = gather.load_hierarchy(conn)
    if caller.account_id not in hierarchy.rows:
        return []
    return [caller.account_id, *hierarchy.descendants(caller.account_id)]


def _read(conn: Connection, caller: Actor, invoice_id: str) -> Any:
    row = conn.execute(select(invoices).where(invoices.c.invoice_id == invoice_id)).one_or_none()
    visible = _visible(conn, caller)
    if row is None or (visible is not None and row.account_id not in visible):
        raise ApiError(ErrorCode.NOT_FOUND, f"no invoice {invoice_id}")
    return row


@router.get("/invoices", response_model=list[Invoice], responses=problems())
def list_invoices(
    request: Request,
    caller: Caller,
    ctx: Ctx,
    page: PageParams,
    account: Annotated[str | None, Query(max_length=64)] = None,
) -> JSONResponse:
    """Invoices and statements, newest period first."""
    key = page.key(str, str)
    with db.read(ctx.engine) as conn:
        visible = _visible(conn, caller)
        query = select(invoices)
        if visible is not None:
            query = query.where(invoices.c.account_id.in_(visible))
        if account is not None:
            query = query.where(invoices.c.account_id == account)
        if key is not None:
            query = query.where(
                or_(
                    invoices.c.period < key[0],
                    and_(invoices.c.period == key[0], invoices.c.invoice_id < key[1]),
                )
            )
        rows = conn.execute(
            query.order_by(invoices.c.period.desc(), invoices.c.invoice_id.desc()).limit(page.limit)
        ).all()
    items = [invoice_view(row).model_dump(mode="json") for row in rows]
    last = [rows[-1].period, rows[-1].invoice_id] if rows else None
    return page_response(request, items, page, last)


@router.get("/invoices/{invoice_id}", response_model=Invoice, responses=problems(404))
def get_invoice(invoice_id: str, caller: Caller, ctx: Ctx) -> Invoice:
    """One invoice or statement with its lines."""
    with db.read(ctx.engine) as conn:
        return invoice_view(_read(conn, caller, invoice_id))


@router.get(
    "/invoices/{invoice_id}/pdf",
    response_class=Response,
    responses={
        200: {
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            "description": "The invoice as PDF",
        },
        **problems(404),
    },
)
def get_invoice_pdf(invoice_id: str, caller: Caller, ctx: Ctx) -> Response:
    """The invoice rendered as PDF."""
    from .pdf import render_pdf  # fpdf2 takes a second to import: only when a PDF is asked for

    with db.read(ctx.engine) as conn:
        row = _read(conn, caller, invoice_id)
    invoice = invoice_view(row)
    name = str(dict(row.document).get("name", row.account_id))
    return Response(
        render_pdf(invoice, name),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="invoice-{invoice.period}.pdf"'},
    )


@router.post(
    "/invoices/{invoice_id}/payments",
    status_code=201,
    response_model=InvoicePayment,
    responses=problems(404, 409),
)
def pay_invoice(
    invoice_id: str, body: InvoicePaymentRequest, key: IdempotencyKey, caller: Caller, ctx: Ctx
) -> JSONResponse:
    """Pay an issued (or overdue) invoice's total by card through the payment provider.

    Only a user of the invoiced account pays it. An invoice that is a draft, a
    statement, already paid, or has nothing to pay is 422. A declined card
    answers 201 with status ``declined`` and leaves the invoice unpaid; a card
    without an answer yet is ``pending`` and the invoice becomes paid when the
    payment settles.
    """
    with db.read(ctx.engine) as conn:
        row = _read(conn, caller, invoice_id)
    if caller.role is not Role.USER or caller.account_id != row.account_id:
        raise ApiError(ErrorCode.NOT_FOUND, f"no invoice {invoice_id} of this account to pay")
    provider = make_provider(ctx.settings)
    reference = payment_ref(caller, f"invoice:{invoice_id}:{key}")

    def operation(conn: Connection, now: int) -> tuple[int, dict[str, Any]]:
        account = lock_account(conn, row.account_id)  # before the invoice: the run's order
        if account is not None:  # a retired account's card is never charged
            refuse_if_retired(account, "takes no payments")
        current = conn.execute(
            select(invoices).where(invoices.c.invoice_id == invoice_id).with_for_update()
        ).one()
        if current.kind != "invoice" or current.state not in (
            InvoiceState.ISSUED.value,
            InvoiceState.OVERDUE.value,
        ):
            raise ApiError(
                ErrorCode.VALIDATION_ERROR,
                f"the invoice is a {current.state} {current.kind}; only issued or overdue "
                "invoices are paid",
            )
        if int(current.total) <= 0:
            raise ApiError(ErrorCode.VALIDATION_ERROR, "the invoice has nothing to pay")
        result = charge_card(
            provider, body.card_token, int(current.total), current.currency, reference
        )
        topup = record_card(
            conn,
            caller,
            current.account_id,
            amount=int(current.total),
            token=body.card_token,
            result=result,
            now=now,
        )
        values: dict[str, Any] = {}
        if topup["status"] != "declined":
            values["payment_topup_id"] = topup["topup_id"]
        if topup["status"] == "succeeded":
            values |= {"state": InvoiceState.PAID.value, "paid_at": now}
        if values:
            conn.execute(
                update(invoices).where(invoices.c.invoice_id == invoice_id).values(**values)
            )
        after = conn.execute(select(invoices).where(invoices.c.invoice_id == invoice_id)).one()
        answer = InvoicePayment(
            topup_id=topup["topup_id"],
            status=topup["status"],
            reason=topup["reason"],
            invoice=invoice_view(after),
        )
        return 201, answer.model_dump(mode="json")

    return idempotent_response(
        ctx.engine,
        caller,
        _PAY_ENDPOINT,
        key,
        {"invoice_id": invoice_id, **body.model_dump(mode="json")},
        operation,
    )
