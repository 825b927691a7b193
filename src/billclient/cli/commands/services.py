"""Commands about the catalogue: services (prices in words) and quote (advice of charge)."""

from __future__ import annotations

from billclient.core.words.formats import format_units
from billclient.core.words.prices import describe_rate
from billclient.protocol import Service

from ..context import Context
from ..exits import OK
from ..output import money

__all__ = ["quote_line", "run_quote", "run_services"]


async def run_services(ctx: Context) -> int:
    """The services of the plan, with their prices in the GUI's words."""
    client = await ctx.client()
    services = await client.api.services()
    if ctx.out.as_json:
        ctx.out.json(services)
        return OK
    currency = await _currency(ctx)
    ctx.out.table(
        ["service", "name", "counts", "price", "updates"],
        [
            [
                s.service_id,
                s.name,
                f"{s.unit.value}s",
                describe_rate(s, currency),
                f"every {format_units(s.update_interval, 'second')}",
            ]
            for s in services
        ],
    )
    return OK


async def _currency(ctx: Context) -> str:
    """The account's currency (support and operator logins have none: "")."""
    from billclient.core.errors import NotFound

    try:
        return (await (await ctx.client()).api.account()).currency
    except NotFound:
        return ""


async def run_quote(ctx: Context) -> int:
    """Advice of charge."""
    client = await ctx.client()
    runner = await ctx.runner()
    service = await runner.service(ctx.args.service)
    quote = await runner.quote(service.service_id, ctx.args.units)
    if ctx.out.as_json:
        ctx.out.json(quote)
        return OK
    currency = (await client.api.account()).currency
    ctx.out.text(quote_line(service, quote.units, quote.charge, quote.max_units, currency))
    return OK


def quote_line(
    service: Service, units: int, charge: int, max_units: int | None, currency: str
) -> str:
    """``"Voice call: 1 min 30 s cost 0.15 EUR now; your balance covers 1 h 50 min."``"""
    unit = service.unit.value
    covers = "any amount (it is free)" if max_units is None else format_units(max_units, unit)
    return (
        f"{service.name}: {format_units(units, unit)} cost {money(charge, currency)} now "
        f"({describe_rate(service, currency)}); your balance covers {covers}."
    )
