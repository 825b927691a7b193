"""Invoice arithmetic: periods, lines, tax and totals. Pure functions, no I/O.

Rules (README, "Invoices"):

- a period is a calendar month ``YYYY-MM`` in the plan's time zone:
  ``[first day 00:00 local, first day of the next month 00:00 local)``;
- usage lines group a period's CDR charges by account and service; adjustments
  are one line each; amounts are exact micro-units (never rounded here);
- tax is exclusive and computed on each plan's part of the subtotal (usage of
  CDRs rated with that plan, plus adjustments booked to the plan of the account
  they were made on), rounded half-up (halves away from zero) to the currency's
  minor unit; a plan without a tax rate has no tax line;
- ``total = subtotal + tax`` exactly.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

__all__ = [
    "Adjustment",
    "Line",
    "Totals",
    "Usage",
    "compute",
    "month_bounds",
    "parse_tax_rate",
    "tax_amount",
]

TAX_PLACES = 6
"""A tax rate is a decimal fraction with at most this many places ("0.19" = 19 %)."""

_MICRO = 1_000_000
_PERIOD = re.compile(r"^([0-9]{4})-(0[1-9]|1[0-2])$")
_RATE = re.compile(r"^(0|1)(?:\.([0-9]{1,6}))?$")


def month_bounds(period: str, timezone: str) -> tuple[datetime, datetime]:
    """The instants (UTC) where month ``period`` (``YYYY-MM``) starts and ends locally.

    Raises ValueError for a malformed period.
    """
    match = _PERIOD.fullmatch(period)
    if match is None:
        raise ValueError(f"period {period!r} is not a month like 2026-11")
    year, month = int(match.group(1)), int(match.group(2))
    if year < 1971 or year > 9998:
        raise ValueError(f"period {period!r} is out of range")
    zone = ZoneInfo(timezone)
    start = datetime(year, month, 1, tzinfo=zone)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def parse_tax_rate(text: str) -> int:
    """A tax rate text ("0.19") as millionths (190000); ValueError unless 0 <= rate <= 1."""
    match = _RATE.fullmatch(text)
    if match is None:
        raise ValueError(f'must be a decimal fraction from "0" to "1" like "0.19", got {text!r}')
    value: int = int(match.group(1)) * _MICRO + int((match.group(2) or "").ljust(TAX_PLACES, "0"))
    if value > _MICRO:
        raise ValueError(f'must be a decimal fraction from "0" to "1" like "0.19", got {text!r}')
    return value


def tax_amount(base: int, rate_millionths: int, minor_places: int) -> int:
    """``base * rate`` (micro-units) rounded half-up (away from zero) to the minor unit."""
    step: int = 10 ** (TAX_PLACES - minor_places)  # micro-units per minor unit
    numerator = abs(base) * rate_millionths
    denominator = _MICRO * step
    units = (2 * numerator + denominator) // (2 * denominator)
    return (units if base >= 0 else -units) * step


@dataclass(frozen=True, slots=True)
class Usage:
    """One charge record (a CDR) of the period."""

    account_id: str
    plan_id: str
    service_id: str
    billed_units: int
    charged: int


@dataclass(frozen=True, slots=True)
class Adjustment:
    """A support adjustment of the period, signed as the customer sees it (debit > 0)."""

    account_id: str
    plan_id: str
    description: str
    amount: int


@dataclass(frozen=True, slots=True)
class Line:
    """An invoice line (see :class:`billclient.protocol.invoices.InvoiceLine`)."""

    kind: str
    description: str
    account_id: str
    plan_id: str | None
    service_id: str | None
    quantity: int
    units: int
    amount: int
    tax_rate: str | None = None


@dataclass(frozen=True, slots=True)
class Totals:
    """The lines and figures of an invoice."""

    lines: tuple[Line, ...]
    subtotal: int
    tax: int
    total: int


def compute(
    usage: Iterable[Usage],
    adjustments: Iterable[Adjustment],
    tax_rates: Mapping[str, str | None],
    *,
    bill_to: str,
    minor_places: int,
    service_names: Mapping[str, str] | None = None,
) -> Totals:
    """Group ``usage`` into lines, add ``adjustments``, tax each plan's part, total it.

    ``bill_to`` is the invoiced account (tax lines name it). ``tax_rates`` maps a plan
    id to its rate text (None or missing: no tax).
    Line order is deterministic: usage by account then service, adjustments in
    the given order, tax lines by plan id.
    """
    names = service_names or {}
    groups: dict[tuple[str, str, str], list[int]] = {}
    per_plan: dict[str, int] = {}
    for record in usage:
        key = (record.account_id, record.service_id, record.plan_id)
        figures = groups.setdefault(key, [0, 0, 0])
        figures[0] += 1
        figures[1] += record.billed_units
        figures[2] += record.charged
        per_plan[record.plan_id] = per_plan.get(record.plan_id, 0) + record.charged
    lines = [
        Line("usage", names.get(service, service), account, plan, service, n, units, amount)
        for (account, service, plan), (n, units, amount) in sorted(groups.items())
    ]
    for adjustment in adjustments:
        lines.append(
            Line(
                "adjustment",
                adjustment.description,
                adjustment.account_id,
                adjustment.plan_id,
                None,
                1,
                0,
                adjustment.amount,
            )
        )
        per_plan[adjustment.plan_id] = per_plan.get(adjustment.plan_id, 0) + adjustment.amount
    subtotal = sum(line.amount for line in lines)
    tax = 0
    for plan_id in sorted(per_plan):
        rate = tax_rates.get(plan_id)
        if rate is None:
            continue
        amount = tax_amount(per_plan[plan_id], parse_tax_rate(rate), minor_places)
        tax += amount
        lines.append(
            Line("tax", f"Tax {rate} on plan {plan_id}", bill_to, plan_id, None, 1, 0, amount, rate)
        )
    return Totals(tuple(lines), subtotal, tax, subtotal + tax)
