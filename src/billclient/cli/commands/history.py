"""``billclient history``: charge records or the statement, newest first, paged; and
``history show RECORD``: how one record was rated, step by step (as the GUI's detail).
"""

from __future__ import annotations

import re
from datetime import datetime, time
from decimal import Decimal

from billclient.core.words.formats import format_units
from billclient.core.words.prices import billing_steps, days_text, describe_rate, per_text
from billclient.core.words.rating import CdrExplanation, cause_text, explain_cdr, record_summary
from billclient.protocol import Cdr, ListOrder, Service

from ..context import Context
from ..exits import OK, USAGE, CliError
from ..output import exact_money, money, when

__all__ = ["parse_before", "run_history"]

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")

_WHY = {
    "user": "you stopped it",
    "service_done": "done",
    "credit_exhausted": "balance ran out",
    "spending_limit": "spending limit reached",
    "gateway_closed": "gateway closed it",
    "client_error": "ended by the app",
    "update_timeout": "no updates: timed out",
    "account_inactive": "account suspended",
    "support": "support ended it",
    "operation_failed": "failed, not charged",
}


def parse_before(text: str) -> datetime | str:
    """``--before``: a date or time (records before it; a date means its local midnight,
    a time without offset is local), or the id of a record (records older than it)."""
    value = text.strip()
    if not _DATE.match(value):
        if not value:
            raise CliError("--before needs a date, a time or a record id", USAGE)
        return value
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise CliError(
            f"--before {text!r}: give a date (2026-11-20), a time (2026-11-20T14:00) or a "
            "record id",
            USAGE,
        ) from None
    if len(value) == 10:
        moment = datetime.combine(moment.date(), time())
    return moment if moment.tzinfo is not None else moment.astimezone()


async def run_history(ctx: Context) -> int:
    """Charge records (or the statement), newest first unless ``--oldest-first``."""
    if getattr(ctx.args, "action", None) == "show":
        return await _show(ctx)
    args = ctx.args
    before = parse_before(args.before) if args.before else None
    order = ListOrder.ASC if args.oldest_first else ListOrder.DESC
    moment = before if isinstance(before, datetime) else None
    record = before if isinstance(before, str) else None
    if args.statement:
        last = await _statement(ctx, order, moment, _entry(record))
    else:
        last = await _records(ctx, order, moment, record)
    if last is not None:
        _more(ctx, last, oldest_first=args.oldest_first)
    return OK


async def _records(
    ctx: Context, order: ListOrder, moment: datetime | None, record: str | None
) -> str | None:
    """Print a page of charge records; the last one's id when more follow."""
    client = await ctx.client()
    page = await client.api.cdrs(to=moment, limit=ctx.args.limit, order=order, before=record)
    if ctx.out.as_json:
        for cdr in page.items:
            ctx.out.json(cdr)
    else:
        services = {s.service_id: s for s in await client.api.services()}
        currency = await _currency(ctx)
        ctx.out.table(
            ["ended", "service", "used", "charged", "why it ended", "record"],
            [_cdr_row(c, services.get(c.service_id), currency) for c in page.items],
        )
    return page.items[-1].cdr_id if page.next_cursor and page.items else None


async def _statement(
    ctx: Context, order: ListOrder, moment: datetime | None, entry: int | None
) -> str | None:
    """Print a page of statement lines; the last one's number when more follow."""
    client = await ctx.client()
    page = await client.api.statement(to=moment, limit=ctx.args.limit, order=order, before=entry)
    if ctx.out.as_json:
        for line in page.items:
            ctx.out.json(line)
    else:
        cur = await _currency(ctx)
        ctx.out.table(
            ["when", "what", "amount", "balance after", "line"],
            [
                [when(s.at), s.description, money(s.amount, cur), money(s.balance, cur), s.entry_id]
                for s in page.items
            ],
        )
    return page.items[-1].entry_id if page.next_cursor and page.items else None


def _entry(record: str | None) -> int | None:
    if record is None:
        return None
    if not record.isdigit():
        raise CliError(f"--before {record!r}: a statement line is named by its number", USAGE)
    return int(record)


def _more(ctx: Context, last: str, *, oldest_first: bool) -> None:
    statement = " --statement" if ctx.args.statement else ""
    if oldest_first:
        ctx.out.note(f"more follow: raise --limit (now {ctx.args.limit}) to see them")
    else:
        ctx.out.note(f"older ones: billclient history{statement} --before {last}")


async def _currency(ctx: Context) -> str:
    return (await (await ctx.client()).api.account()).currency


def _cdr_row(cdr: Cdr, service: Service | None, currency: str) -> list[str]:
    unit = service.unit.value if service is not None else ""
    used = format_units(cdr.used_units, unit) if unit else str(cdr.used_units)
    if cdr.used_units == 0:
        used = "nothing"
    record = cdr.cdr_id + (f" (corrects {cdr.supersedes})" if cdr.supersedes else "")
    return [
        when(cdr.ended_at),
        service.name if service is not None else cdr.service_id,
        used,
        money(cdr.charged, currency),
        _WHY.get(cdr.cause.value, cdr.cause.value),
        record,
    ]


# -- one record, explained --------------------------------------------------------------


async def _show(ctx: Context) -> int:
    client = await ctx.client()
    cdr = await client.api.cdr(ctx.args.record)
    services = {s.service_id: s for s in await client.api.services()}
    service = services.get(cdr.service_id)
    currency = await _currency(ctx)
    explanation = explain_cdr(cdr, service) if service is not None else None
    if ctx.out.as_json:
        ctx.out.json({"cdr": cdr, "explanation": explanation})
        return OK
    out = ctx.out
    out.fields(_record_fields(cdr, service, currency), title=f"Charge record {cdr.cdr_id}")
    if service is None or explanation is None:
        out.text(
            f"Your plan no longer offers {cdr.service_id}, so the rating steps cannot be shown; "
            f"the record says {money(cdr.charged, currency)}."
        )
        return OK
    out.fields(_steps(cdr, service, explanation, currency), title="How it was rated")
    if explanation.segments:
        out.table(
            ["billed units", "price", "when", "amount"],
            [
                [
                    f"{format_units(line.count, service.unit.value)} "
                    f"(units {line.first_unit + 1}-{line.first_unit + line.count})",
                    _price(line.price, service, currency),
                    "base price"
                    if line.window is None
                    else f"{days_text(line.window.days)} {line.window.start}-{line.window.end}",
                    f"{_decimal(line.amount)} {currency}",
                ]
                for line in explanation.segments
            ],
        )
    if not explanation.matches:
        out.text(
            "The plan's prices changed since this record was rated: the steps use today's "
            f"prices ({exact_money(explanation.charge, currency)}); the record's charge stands."
        )
    return OK


def _record_fields(cdr: Cdr, service: Service | None, currency: str) -> list[tuple[str, str]]:
    unit = service.unit.value if service is not None else ""
    rows = [
        ("Service", f"{service.name if service else cdr.service_id} ({cdr.service_id})"),
        ("Plan", f"{cdr.plan_id}, version {cdr.plan_version}"),
        ("Started", when(cdr.started_at)),
        ("Ended", f"{when(cdr.ended_at)}: {cause_text(cdr.cause.value)}"),
        ("Used", format_units(cdr.used_units, unit) if unit else str(cdr.used_units)),
    ]
    if cdr.unbilled_units:
        rows.append(
            (
                "Not charged",
                f"{format_units(cdr.unbilled_units, unit) if unit else cdr.unbilled_units} "
                "(beyond what the balance covered)",
            )
        )
    rows.append(("Charged", money(cdr.charged, currency)))
    if cdr.supersedes:
        rows.append(("Corrects", f"record {cdr.supersedes} (late usage reached the server)"))
    summary = record_summary(cdr.used_units, cdr.charged, cdr.cause.value)
    if summary:
        rows.append(("Note", summary))
    return rows


def _steps(
    cdr: Cdr, service: Service, explanation: CdrExplanation, currency: str
) -> list[tuple[str, str]]:
    unit = service.unit.value
    rate = service.rate
    steps = billing_steps(service.unit, rate.first_increment, rate.increment)
    billed = format_units(explanation.billed_units, unit)
    rows = [
        ("Prices", describe_rate(service, currency)),
        ("Billed", f"{billed} ({steps})" if steps else billed),
        ("Usage", f"{_decimal(explanation.usage)} {currency}"),
        ("Setup fee", exact_money(explanation.setup_fee, currency)),
    ]
    if explanation.min_charge:
        applied = "applied" if explanation.minimum_applied else "not reached, so not applied"
        rows.append(
            ("Minimum charge", f"{exact_money(explanation.min_charge, currency)}, {applied}")
        )
    rows.append(
        ("Total", f"{exact_money(explanation.charge, currency)} (rounded to 6 places once)")
    )
    return rows


def _price(price: Decimal, service: Service, currency: str) -> str:
    return f"{_decimal(price)} {currency}{per_text(service.unit, service.rate.per)}"


def _decimal(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    whole, _, fraction = text.partition(".")
    return f"{whole}.{fraction.ljust(2, '0')}"
