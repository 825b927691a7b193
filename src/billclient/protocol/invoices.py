"""Invoices (postpaid accounts) and statements (prepaid ones).

An invoice covers a calendar month in the plan's time zone. Its ``total`` is
exactly ``subtotal + tax``; ``subtotal`` is the sum of the ``usage`` and
``adjustment`` lines (the month's CDR charges and support adjustments); ``tax``
is the sum of the ``tax`` lines, one per plan (tax exclusive, on that plan's
part of the subtotal, rounded half-up to the currency's minor unit). Payments
received in the month are listed for information and do not change the total.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from .common import Request, Response, Timestamp
from .money import Money

__all__ = [
    "Invoice",
    "InvoiceKind",
    "InvoiceLine",
    "InvoiceLineKind",
    "InvoicePayment",
    "InvoicePaymentRequest",
    "InvoiceState",
    "PaymentLine",
]


class InvoiceState(StrEnum):
    """Where an invoice stands: drafts are not yet sent, overdue ones are past due."""

    DRAFT = "draft"
    ISSUED = "issued"
    PAID = "paid"
    OVERDUE = "overdue"


class InvoiceKind(StrEnum):
    """``invoice`` (postpaid: money is due) or ``statement`` (prepaid: already paid)."""

    INVOICE = "invoice"
    STATEMENT = "statement"


class InvoiceLineKind(StrEnum):
    """What a line counts."""

    USAGE = "usage"
    ADJUSTMENT = "adjustment"
    TAX = "tax"


class InvoiceLine(Response):
    """One line: a service's usage of one account, an adjustment, or a plan's tax."""

    kind: InvoiceLineKind
    description: str
    account_id: str
    plan_id: str | None = None
    service_id: str | None = None
    quantity: int = Field(description="records (usage), 1 otherwise")
    units: int = Field(description="billed units (usage), 0 otherwise")
    amount: Money
    tax_rate: str | None = Field(default=None, description='tax lines: the rate, "0.19" = 19 %')


class PaymentLine(Response):
    """A top-up or invoice payment received in the period (informational)."""

    topup_id: str | None
    at: Timestamp
    description: str
    amount: Money


class Invoice(Response):
    """An invoice or statement with its lines."""

    invoice_id: str
    account_id: str
    kind: InvoiceKind
    state: InvoiceState
    period: str = Field(description="YYYY-MM, a calendar month in the plan's time zone")
    period_start: Timestamp
    period_end: Timestamp
    timezone: str
    currency: str
    lines: list[InvoiceLine]
    payments: list[PaymentLine]
    subtotal: Money
    tax: Money
    total: Money
    issued_at: Timestamp | None
    due_at: Timestamp | None
    paid_at: Timestamp | None
    pdf_url: str


class InvoicePaymentRequest(Request):
    """``POST /v1/invoices/{id}/payments``: pay the invoice's total by card."""

    card_token: str = Field(min_length=1, max_length=128)


class InvoicePayment(Response):
    """How an invoice payment went; ``invoice`` is the invoice after it."""

    topup_id: str
    status: str
    reason: str | None
    invoice: Invoice
