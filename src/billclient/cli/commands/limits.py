"""``billclient limits``: the account's spending limits, and setting or clearing them.

Without options it shows each limit, what was spent against it and when it resets.
``--daily X`` / ``--monthly Y`` set one (``none`` removes it) and keep the other;
``--clear`` removes both. A limit the parent account set can be lowered, not raised
or removed: the server refuses (exit 7) and says so.
"""

from __future__ import annotations

from datetime import UTC, datetime

from billclient.core.spending import line_of
from billclient.core.words.limits import limit_text
from billclient.protocol import AccountLimits, LimitFigure

from ..context import Context
from ..exits import OK, USAGE, CliError
from .funding import parse_amount

__all__ = ["run_limits"]

_WHO = {"self": "you", "parent": "your parent account", "operator": "the operator"}


def _wanted(text: str | None, current: LimitFigure | None) -> int | None:
    """The limit a ``--daily``/``--monthly`` option asks for (the current one when absent)."""
    if text is None:
        return None if current is None else current.amount
    if text.strip().lower() in ("none", "off", "no"):
        return None
    return parse_amount(text)


async def run_limits(ctx: Context) -> int:
    """Show, set or clear the spending limits."""
    args = ctx.args
    client = await ctx.client()
    account = await client.api.account()
    limits = await client.api.limits()
    changing = args.clear or args.daily is not None or args.monthly is not None
    if args.clear and (args.daily is not None or args.monthly is not None):
        raise CliError("--clear removes both limits; it goes without --daily and --monthly", USAGE)
    if changing:
        daily = None if args.clear else _wanted(args.daily, limits.daily)
        monthly = None if args.clear else _wanted(args.monthly, limits.monthly)
        limits = await client.api.set_limits(daily, monthly)
    if ctx.out.as_json:
        ctx.out.json(limits)
        return OK
    _show(ctx, limits, account.currency)
    return OK


def _show(ctx: Context, limits: AccountLimits, currency: str) -> None:
    now = datetime.now(UTC)
    rows = []
    for period, figure in (("daily", limits.daily), ("monthly", limits.monthly)):
        label = "Daily limit" if period == "daily" else "Monthly limit"
        if figure is None:
            rows.append((label, "none"))
            continue
        text = limit_text(line_of(period, figure), currency, now)
        rows.append((label, f"{text} (set by {_WHO[figure.set_by.value]})"))
    ctx.out.fields(rows)
