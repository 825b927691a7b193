"""Rendering an invoice as PDF (fpdf2), from its wire form only."""

from __future__ import annotations

from fpdf import FPDF

from billclient.protocol.invoices import Invoice, InvoiceKind
from billclient.protocol.money import format_money

__all__ = ["render_pdf"]


def _text(value: str) -> str:
    """Core PDF fonts speak Latin-1; anything else is replaced, never an error."""
    return value.encode("latin-1", "replace").decode("latin-1")


def _money(amount: int, currency: str) -> str:
    return f"{format_money(amount)} {currency}"


def render_pdf(invoice: Invoice, account_name: str) -> bytes:
    """The invoice as a one-or-more page A4 PDF: header, lines, payments, totals."""
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    title = "Invoice" if invoice.kind is InvoiceKind.INVOICE else "Statement"
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, _text(f"{title} {invoice.period}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    head = [
        f"Account: {account_name} ({invoice.account_id})",
        f"Document: {invoice.invoice_id}",
        f"Period: {invoice.period_start.isoformat()} to {invoice.period_end.isoformat()} "
        f"({invoice.timezone})",
        f"State: {invoice.state.value}",
    ]
    if invoice.due_at is not None:
        head.append(f"Due: {invoice.due_at.date().isoformat()}")
    for line in head:
        pdf.cell(0, 6, _text(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    widths = (80, 35, 20, 25, 30)
    pdf.set_font("Helvetica", "B", 10)
    for width, label in zip(
        widths, ("Description", "Account", "Records", "Units", "Amount"), strict=True
    ):
        pdf.cell(width, 7, label, border="B", align="R" if label == "Amount" else "L")
    pdf.ln()
    pdf.set_font("Helvetica", size=9)
    for item in invoice.lines:
        cells = (
            item.description[:48],
            item.account_id[:20],
            str(item.quantity),
            str(item.units),
            format_money(item.amount),
        )
        for width, value in zip(widths, cells, strict=True):
            pdf.cell(width, 6, _text(value), align="R" if width == 30 else "L")
        pdf.ln()
    if invoice.payments:
        pdf.ln(3)
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(0, 7, "Payments received (not part of the total)", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=9)
        for payment in invoice.payments:
            pdf.cell(160, 6, _text(f"{payment.at.date().isoformat()} {payment.description}"[:90]))
            pdf.cell(30, 6, format_money(payment.amount), align="R")
            pdf.ln()
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 11)
    for label, amount in (
        ("Subtotal", invoice.subtotal),
        ("Tax", invoice.tax),
        ("Total", invoice.total),
    ):
        pdf.cell(130, 7, "")
        pdf.cell(30, 7, label)
        pdf.cell(30, 7, _text(_money(amount, invoice.currency)), align="R")
        pdf.ln()
    return bytes(pdf.output())
