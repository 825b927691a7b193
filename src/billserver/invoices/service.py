"""Invoice runs, paying invoices, and the wire form of invoice rows.

A run for a period writes one document per bill-to account (an ``invoice`` for
postpaid, a ``statement`` for prepaid accounts), idempotently: one row per
(account, period, kind). A month that has not ended yet gets *drafts*, which a
later run recomputes; once the month has ended in the plan's time zone the run
issues the document: the invoice's tax is debited (customer -> ``sys:tax``)
in the same transaction, with its event and audit rows. Issued documents never
change again except for their state (issued -> paid, issued -> overdue -> paid).
Statements carry no tax (prepaid money was already taken) and are issued paid.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from babel.numbers import get_currency_precision
from sqlalchemy import Connection, Engine, insert, select, update

from billclient.protocol import AccountKind
from billclient.protocol.invoices import (
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceLineKind,
    InvoiceState,
    PaymentLine,
)

from .. import db
from ..accounts import lock_account
from ..clock import from_us, to_us
from ..db import AnyRow
from ..events import append_figures
from ..ledger import SYS_TAX, Actor, Transfer, TransferKind, apply, customer_book, record
from ..tables import invoices, plan_versions, topups
from . import gather
from .arithmetic import compute, month_bounds

__all__ = [
    "RunReport",
    "compute_document",
    "invoice_view",
    "mark_overdue",
    "run_period",
    "settle_payments",
]

_DAY_US = 86_400 * 1_000_000


@dataclass
class RunReport:
    """What an invoice run did, by account id."""

    issued: list[str] = field(default_factory=list)
    drafted: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def _timezone(conn: Connection, plan_id: str) -> str:
    row = conn.execute(
        select(plan_versions.c.timezone)
        .where(plan_versions.c.plan_id == plan_id)
        .order_by(plan_versions.c.current.desc(), plan_versions.c.version.desc())
        .limit(1)
    ).scalar_one_or_none()
    return str(row) if row is not None else "UTC"


def compute_document(
    conn: Connection, hierarchy: gather.Hierarchy, root: str, start: int, end: int
) -> tuple[dict[str, Any], int, int, int]:
    """The document (lines, payments) and (subtotal, tax, total) of ``root`` in
    ``[start, end)``."""
    row = hierarchy.rows[root]
    covered = hierarchy.covered(root)
    period = gather.Period(start, end)
    plans = {a: str(hierarchy.rows[a].plan_id) for a in covered}
    usage = gather.usage(conn, covered, period)
    adjustments = gather.adjustments(conn, covered, plans, period)
    kind = InvoiceKind.INVOICE if row.kind == AccountKind.POSTPAID else InvoiceKind.STATEMENT
    rates: dict[str, str | None] = {}
    if kind is InvoiceKind.INVOICE:
        rates = gather.tax_rates(
            conn, {u.plan_id for u in usage} | {a.plan_id for a in adjustments}
        )
    totals = compute(
        usage,
        adjustments,
        rates,
        bill_to=root,
        minor_places=get_currency_precision(row.currency),
        service_names=gather.service_names(conn),
    )
    lines = [
        InvoiceLine(
            kind=InvoiceLineKind(line.kind),
            description=line.description,
            account_id=line.account_id,
            plan_id=line.plan_id,
            service_id=line.service_id,
            quantity=line.quantity,
            units=line.units,
            amount=line.amount,
            tax_rate=line.tax_rate,
        ).model_dump(mode="json")
        for line in totals.lines
    ]
    payments = [
        PaymentLine(topup_id=t, at=from_us(at), description=memo, amount=amount).model_dump(
            mode="json"
        )
        for t, at, memo, amount in gather.payments(conn, covered, period)
    ]
    document = {
        "kind": kind.value,
        "name": row.name,
        "timezone": _timezone(conn, str(row.plan_id)),
        "lines": lines,
        "payments": payments,
        "covered": covered,
    }
    return document, totals.subtotal, totals.tax, totals.total


def run_period(
    engine: Engine, period: str, *, actor: Actor, now: int, due_days: int = 14
) -> RunReport:
    """Write the documents of ``period`` for every bill-to account; see the module doc.

    Raises ValueError for a malformed period. Each account is its own transaction,
    so a run interrupted half-way resumes where it stopped.
    """
    report = RunReport()
    with db.read(engine) as conn:
        known = gather.load_hierarchy(conn)
        settled = {
            (row.account_id, row.kind)
            for row in conn.execute(
                select(invoices.c.account_id, invoices.c.kind).where(
                    invoices.c.period == period, invoices.c.state != InvoiceState.DRAFT.value
                )
            )
        }
    for root in known.roots():
        kind = "invoice" if known.rows[root].kind == AccountKind.POSTPAID else "statement"
        if (root, kind) in settled:  # issued already: no write transaction needed
            report.unchanged.append(root)
            continue
        with db.write(engine) as conn:
            hierarchy = gather.load_hierarchy(conn)
            row = lock_account(conn, root)
            if row is None or row.retired:
                continue
            timezone = _timezone(conn, str(row.plan_id))
            first, last = month_bounds(period, timezone)
            start, end = to_us(first), to_us(last)
            kind = (
                InvoiceKind.INVOICE if row.kind == AccountKind.POSTPAID else InvoiceKind.STATEMENT
            )
            existing = conn.execute(
                select(invoices).where(
                    invoices.c.account_id == root,
                    invoices.c.period == period,
                    invoices.c.kind == kind.value,
                )
            ).one_or_none()
            if existing is not None and existing.state != InvoiceState.DRAFT.value:
                report.unchanged.append(root)
                continue
            document, subtotal, tax, total = compute_document(conn, hierarchy, root, start, end)
            document["timezone"] = timezone
            closed = end <= now
            values: dict[str, Any] = {
                "state": InvoiceState.DRAFT.value,
                "subtotal": subtotal,
                "tax": tax,
                "total": total,
                "document": document,
                "period_start": start,
                "period_end": end,
            }
            invoice_id = existing.invoice_id if existing is not None else str(uuid.uuid4())
            if closed:
                values |= _issue(conn, actor, row, invoice_id, kind, tax, now, due_days)
            if existing is None:
                conn.execute(
                    insert(invoices).values(
                        invoice_id=invoice_id,
                        account_id=root,
                        kind=kind.value,
                        period=period,
                        currency=row.currency,
                        created_at=now,
                        **values,
                    )
                )
            else:
                conn.execute(
                    update(invoices).where(invoices.c.invoice_id == invoice_id).values(**values)
                )
            (report.issued if closed else report.drafted).append(root)
            record(
                conn,
                actor,
                f"invoice.{'issue' if closed else 'draft'}",
                account_id=root,
                now=now,
                invoice_id=invoice_id,
                period=period,
                total=total,
            )
    return report


def _issue(
    conn: Connection,
    actor: Actor,
    account: AnyRow,
    invoice_id: str,
    kind: InvoiceKind,
    tax: int,
    now: int,
    due_days: int,
) -> dict[str, Any]:
    """Debit the tax (invoices) and give the issued state; the columns to set."""
    if kind is InvoiceKind.STATEMENT:
        return {"state": InvoiceState.PAID.value, "issued_at": now, "paid_at": now}
    transfer_id = None
    if tax:
        book = customer_book(account.account_id)
        debit, credit = (book, SYS_TAX) if tax > 0 else (SYS_TAX, book)
        move = Transfer(
            f"tax:{invoice_id}",
            TransferKind.TAX,
            debit,
            credit,
            abs(tax),
            f"tax of invoice {invoice_id}",
        )
        after = apply(conn, actor, [move], now=now).of(account.account_id)
        transfer_id = move.transfer_id
        append_figures(conn, account.account_id, after, now=now)
    return {
        "state": InvoiceState.ISSUED.value,
        "issued_at": now,
        "due_at": now + due_days * _DAY_US,
        "tax_transfer_id": transfer_id,
    }


def mark_overdue(conn: Connection, actor: Actor, now: int) -> int:
    """Issued invoices past their due date become overdue; returns how many."""
    rows = conn.execute(
        update(invoices)
        .where(invoices.c.state == InvoiceState.ISSUED.value, invoices.c.due_at < now)
        .values(state=InvoiceState.OVERDUE.value)
        .returning(invoices.c.invoice_id, invoices.c.account_id)
    ).all()
    for row in rows:
        record(
            conn,
            actor,
            "invoice.overdue",
            account_id=row.account_id,
            now=now,
            invoice_id=row.invoice_id,
        )
    return len(rows)


def settle_payments(conn: Connection, actor: Actor, now: int) -> int:
    """Invoices whose card payment settled later (a pending top-up that succeeded) are paid."""
    rows = conn.execute(
        select(invoices.c.invoice_id, invoices.c.account_id, topups.c.settled_at)
        .select_from(invoices.join(topups, topups.c.topup_id == invoices.c.payment_topup_id))
        .where(
            invoices.c.state.in_([InvoiceState.ISSUED.value, InvoiceState.OVERDUE.value]),
            topups.c.status == "succeeded",
        )
    ).all()
    for row in rows:
        conn.execute(
            update(invoices)
            .where(invoices.c.invoice_id == row.invoice_id)
            .values(state=InvoiceState.PAID.value, paid_at=row.settled_at or now)
        )
        record(
            conn,
            actor,
            "invoice.paid",
            account_id=row.account_id,
            now=now,
            invoice_id=row.invoice_id,
        )
    return len(rows)


def invoice_view(row: AnyRow) -> Invoice:
    """The wire form of an invoice row."""
    document = dict(row.document)

    def instant(value: Any) -> Any:
        return None if value is None else from_us(int(value))

    return Invoice(
        invoice_id=row.invoice_id,
        account_id=row.account_id,
        kind=InvoiceKind(row.kind),
        state=InvoiceState(row.state),
        period=row.period,
        period_start=from_us(int(row.period_start)),
        period_end=from_us(int(row.period_end)),
        timezone=document.get("timezone", "UTC"),
        currency=row.currency,
        lines=[InvoiceLine.model_validate(line) for line in document.get("lines", [])],
        payments=[PaymentLine.model_validate(p) for p in document.get("payments", [])],
        subtotal=int(row.subtotal),
        tax=int(row.tax),
        total=int(row.total),
        issued_at=instant(row.issued_at),
        due_at=instant(row.due_at),
        paid_at=instant(row.paid_at),
        pdf_url=f"/v1/invoices/{row.invoice_id}/pdf",
    )
