"""Invoices: the list a page at a time, one invoice, paying it, its PDF."""

from __future__ import annotations

from pathlib import Path

from billclient.core.api import Page
from billclient.core.client import BillingClient
from billclient.core.invoice_files import save_invoice_pdf
from billclient.protocol.invoices import Invoice, InvoicePayment

__all__ = ["invoice", "invoice_page", "invoice_pdf", "pay_invoice"]


async def invoice_page(client: BillingClient, *, limit: int, cursor: str | None) -> Page[Invoice]:
    """One page of the account's invoices, newest first."""
    return await client.api.invoices(limit=limit, cursor=cursor)


async def invoice(client: BillingClient, *, invoice_id: str) -> Invoice:
    """One invoice as the server has it now."""
    return await client.api.invoice(invoice_id)


async def pay_invoice(
    client: BillingClient, *, invoice_id: str, card_token: str, idempotency_key: str
) -> InvoicePayment:
    """Pay an invoice's open amount with a card."""
    return await client.api.pay_invoice(invoice_id, card_token, idempotency_key=idempotency_key)


async def invoice_pdf(client: BillingClient, *, invoice: Invoice) -> Path:
    """The invoice's PDF, downloaded into the profile's data directory (once)."""
    return await save_invoice_pdf(client.api, invoice, client.paths.data_dir)
