"""``billclient invoices``: the account's invoices (postpaid) and statements (prepaid).

``invoices`` lists them, newest month first; ``invoices show ID`` shows one with its
lines; ``invoices pdf ID --output FILE`` saves its PDF; ``invoices pay ID --card
TOKEN`` pays an issued or overdue invoice by card (asked first; one idempotency key
per payment, so a retry can never pay twice).
"""

from __future__ import annotations

from pathlib import Path

from billclient.core.api import new_idempotency_key
from billclient.core.invoice_files import download_invoice_pdf
from billclient.protocol.invoices import Invoice, InvoiceLineKind, InvoiceState

from ..context import Context
from ..exits import OK, REFUSED, CliError
from ..output import money, when

__all__ = ["run_invoices"]

_STATE = {
    InvoiceState.DRAFT: "draft (the month has not ended)",
    InvoiceState.ISSUED: "issued",
    InvoiceState.PAID: "paid",
    InvoiceState.OVERDUE: "overdue",
}


async def run_invoices(ctx: Context) -> int:
    """Dispatch ``invoices [show|pdf|pay]``."""
    action = getattr(ctx.args, "action", None)
    if action == "show":
        return await _show(ctx)
    if action == "pdf":
        return await _pdf(ctx)
    if action == "pay":
        return await _pay(ctx)
    return await _list(ctx)


async def _list(ctx: Context) -> int:
    api = (await ctx.client()).api
    page = await api.invoices(account=ctx.args.account, limit=ctx.args.limit)
    if ctx.out.as_json:
        for invoice in page.items:
            ctx.out.json(invoice)
        return OK
    ctx.out.table(
        ["month", "account", "kind", "state", "total", "tax", "due", "invoice"],
        [
            [
                i.period,
                i.account_id,
                i.kind.value,
                _STATE[i.state],
                money(i.total, i.currency),
                money(i.tax, i.currency),
                when(i.due_at)[:10] if i.due_at else "-",
                i.invoice_id,
            ]
            for i in page.items
        ],
    )
    if not page.items:
        ctx.out.note("no invoices or statements yet: they are written once a month has ended")
    elif page.next_cursor:
        ctx.out.note(f"more, older ones follow: raise --limit (now {ctx.args.limit})")
    return OK


async def _show(ctx: Context) -> int:
    invoice = await (await ctx.client()).api.invoice(ctx.args.invoice_id)
    if ctx.out.as_json:
        ctx.out.json(invoice)
        return OK
    out, cur = ctx.out, invoice.currency
    rows = [
        ("Month", f"{invoice.period} ({invoice.timezone})"),
        ("Account", invoice.account_id),
        ("State", _STATE[invoice.state]),
    ]
    for label, moment in (("Issued", invoice.issued_at), ("Due", invoice.due_at)):
        if moment is not None:
            rows.append((label, when(moment)))
    if invoice.paid_at is not None:
        rows.append(("Paid", when(invoice.paid_at)))
    out.fields(rows, title=f"{invoice.kind.value.capitalize()} {invoice.invoice_id}")
    order = {InvoiceLineKind.USAGE: 0, InvoiceLineKind.ADJUSTMENT: 1, InvoiceLineKind.TAX: 2}
    out.table(
        ["line", "account", "records", "units", "amount"],
        [
            [
                line.description,
                line.account_id,
                str(line.quantity) if line.kind is InvoiceLineKind.USAGE else "",
                str(line.units) if line.kind is InvoiceLineKind.USAGE else "",
                money(line.amount, cur),
            ]
            for line in sorted(invoice.lines, key=lambda line: order[line.kind])
        ],
    )
    out.fields(
        [
            ("Subtotal", money(invoice.subtotal, cur)),
            ("Tax", money(invoice.tax, cur)),
            ("Total", money(invoice.total, cur)),
        ]
    )
    if invoice.payments:
        out.text("Payments received in the month (not part of the total):")
        out.table(
            ["when", "what", "amount"],
            [[when(p.at), p.description, money(p.amount, cur)] for p in invoice.payments],
        )
    return OK


async def _pdf(ctx: Context) -> int:
    api = (await ctx.client()).api
    target = Path(ctx.args.output).expanduser()
    if target.is_dir():
        raise CliError(f"--output {target} is a directory: name the file to write")
    size = await download_invoice_pdf(api, ctx.args.invoice_id, target)
    if ctx.out.as_json:
        ctx.out.json({"invoice_id": ctx.args.invoice_id, "path": str(target), "bytes": size})
    else:
        ctx.out.text(f"Saved the PDF of {ctx.args.invoice_id} to {target} ({size} bytes).")
    return OK


async def _pay(ctx: Context) -> int:
    api = (await ctx.client()).api
    invoice = await api.invoice(ctx.args.invoice_id)
    _payable(invoice)
    cur = invoice.currency
    ctx.confirm(
        f"Pay {invoice.kind.value} {invoice.period} ({invoice.invoice_id}): "
        f"{money(invoice.total, cur)}, tax {money(invoice.tax, cur)} included, by card "
        f"{ctx.args.card}?"
    )
    paid = await api.pay_invoice(
        invoice.invoice_id, ctx.args.card, idempotency_key=new_idempotency_key()
    )
    if ctx.out.as_json:
        ctx.out.json(paid)
        return REFUSED if paid.status == "declined" else OK
    if paid.status == "declined":
        why = f" ({paid.reason})" if paid.reason else ""
        raise CliError(f"the card was declined{why}: the invoice is not paid", REFUSED)
    if paid.status == "pending":
        ctx.out.text(
            f"The bank has not answered yet: the payment of {money(invoice.total, cur)} is "
            "pending; the invoice is marked paid once it settles."
        )
        return OK
    ctx.out.text(f"Paid {money(invoice.total, cur)}: invoice {invoice.period} is paid.")
    return OK


def _payable(invoice: Invoice) -> None:
    """Refuse (exit 7) what the server would refuse, before a card is charged."""
    if invoice.kind.value == "statement":
        raise CliError(f"{invoice.invoice_id} is a statement: it was paid as you went", REFUSED)
    if invoice.state is InvoiceState.PAID:
        raise CliError(f"invoice {invoice.period} is paid already", REFUSED)
    if invoice.state is InvoiceState.DRAFT:
        raise CliError(
            f"invoice {invoice.period} is a draft: it can be paid once the month has ended "
            "and it is issued",
            REFUSED,
        )
    if invoice.total <= 0:
        raise CliError(f"invoice {invoice.period} has nothing to pay", REFUSED)
