"""Commands about money: topup and history."""

from __future__ import annotations

from billclient.core.api import new_idempotency_key
from billclient.protocol.money import parse_money

from ..context import Context
from ..exits import FAILURE, OK, USAGE, CliError
from ..output import money

__all__ = ["parse_amount", "run_history", "run_topup"]


def parse_amount(text: str, *, allow_negative: bool = False) -> int:
    """A money amount from the command line (``20``, ``20.5``, ``-3.25``) in micro-units."""
    try:
        value = parse_money(text.strip())
    except ValueError as error:
        raise CliError(f"bad amount: {error}", USAGE) from None
    if value == 0 or (value < 0 and not allow_negative):
        raise CliError(f"bad amount {text!r}: it must be more than zero", USAGE)
    return value


async def run_topup(ctx: Context) -> int:
    """Redeem a voucher, or pay by card."""
    args = ctx.args
    client = await ctx.client()
    account = await client.api.account()
    if args.voucher is not None:
        if args.card:
            raise CliError("--card goes with --amount, not with --voucher", USAGE)
        topup = await client.api.topup_voucher(
            args.voucher.strip(), idempotency_key=new_idempotency_key()
        )
    else:
        if not args.card:
            raise CliError("a card payment needs --card TOKEN", USAGE)
        amount = parse_amount(args.amount)
        ctx.confirm(f"Charge {money(amount, account.currency)} to card {args.card}?")
        topup = await client.api.topup_card(
            amount, args.card, idempotency_key=new_idempotency_key()
        )
    if ctx.out.as_json:
        ctx.out.json(topup)
    else:
        cur = account.currency
        line = f"Top-up {topup.topup_id}: {topup.status.value}, {money(topup.amount, cur)}"
        if topup.reason:
            line += f" ({topup.reason})"
        ctx.out.text(line + f"; available {money(topup.available, account.currency)}")
        if topup.status.value == "pending":
            ctx.out.note("the payment provider has not answered yet; `billclient watch` shows it")
    return FAILURE if topup.status.value == "declined" else OK


async def run_history(ctx: Context) -> int:
    """Charge records, or the statement."""
    client = await ctx.client()
    limit = ctx.args.limit
    if ctx.args.statement:
        lines = (await client.api.statement(limit=limit)).items
        if ctx.out.as_json:
            for line in lines:
                ctx.out.json(line)
            return OK
        ctx.out.table(
            ["when", "kind", "description", "amount", "balance"],
            [
                [
                    s.at.isoformat(timespec="seconds"),
                    s.kind,
                    s.description,
                    money(s.amount),
                    money(s.balance),
                ]
                for s in lines
            ],
        )
        return OK
    cdrs = (await client.api.cdrs(limit=limit)).items
    if ctx.out.as_json:
        for cdr in cdrs:
            ctx.out.json(cdr)
        return OK
    ctx.out.table(
        ["ended", "service", "used", "charged", "cause", "record"],
        [
            [
                c.ended_at.isoformat(timespec="seconds"),
                c.service_id,
                str(c.used_units),
                money(c.charged),
                c.cause.value,
                c.cdr_id + (f" (corrects {c.supersedes})" if c.supersedes else ""),
            ]
            for c in cdrs
        ],
    )
    return OK
