"""``billclient topup``: a voucher, or a card payment."""

from __future__ import annotations

from billclient.core.api import new_idempotency_key
from billclient.protocol.money import parse_money

from ..context import Context
from ..exits import OK, REFUSED, USAGE, CliError
from ..output import money

__all__ = ["parse_amount", "run_topup"]


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
    status = topup.status.value
    if ctx.out.as_json:
        ctx.out.json(topup)
        return REFUSED if status == "declined" else OK
    cur = account.currency
    added = money(topup.amount, cur)
    if status == "declined":
        why = f" ({topup.reason})" if topup.reason else ""
        raise CliError(f"the card was declined{why}: nothing was charged or added", REFUSED)
    if status == "pending":
        ctx.out.text(
            f"The bank has not answered yet: the top-up of {added} is pending (top-up "
            f"{topup.topup_id}); billclient watch shows when it settles."
        )
        return OK
    how = f"voucher {args.voucher.strip()}" if args.voucher is not None else "card"
    ctx.out.text(
        f"Added {added} by {how}; available now {money(topup.available, cur)} "
        f"(top-up {topup.topup_id})."
    )
    return OK
