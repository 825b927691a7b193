"""How a session ended, how it was billed, and how a charge record was rated, in
plain words (pure functions, CATALOG.md's rules; both front ends use them).

A record's usage (``used_units - unbilled_units``) is rounded up to the service's
increments (billed units), split into runs at one price (time-of-day windows crossed)
by :func:`billclient.rating.price_segments`, priced exactly, then the setup fee is
added and the minimum charge applied, rounded once to micro-units
(:func:`explain_cdr`). Phrases go through
:func:`~billclient.core.words.translation.translate` (context ``"explain"``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from billclient.protocol import Cdr, Service, WindowInfo
from billclient.protocol.money import MICRO
from billclient.rating import Rate, billed_units, charge, price_segments

from .formats import format_money, format_units
from .prices import billing_steps
from .translation import fill, translate

__all__ = [
    "CdrExplanation",
    "SegmentLine",
    "billed_for",
    "cause_text",
    "end_summary",
    "explain_cdr",
    "final_grant_text",
    "rate_of",
    "record_summary",
]

PICO = 10**12


@dataclass(frozen=True)
class SegmentLine:
    """Billed units ``first_unit ..`` (``count`` of them) at ``price`` (currency per the
    rate's ``per`` units) inside ``window`` (None: the base price); ``amount`` is exact."""

    first_unit: int
    count: int
    price: Decimal
    window: WindowInfo | None
    amount: Decimal


@dataclass(frozen=True)
class CdrExplanation:
    """The steps from a record's usage to its charge."""

    rated_units: int
    """Units charged for: used minus unbilled (beyond what the balance covered)."""
    billed_units: int
    """``rated_units`` after the increments."""
    segments: list[SegmentLine]
    usage: Decimal
    """The exact price of the billed units (currency)."""
    setup_fee: int
    min_charge: int
    minimum_applied: bool
    """The minimum charge was more than setup fee plus usage."""
    charge: int
    """The charge these steps give, in micro-units."""
    matches: bool
    """Whether ``charge`` equals the record's (False: the plan changed since)."""


def rate_of(service: Service) -> Rate:
    """The rating engine's :class:`Rate` for a service of the catalogue."""
    return Rate.from_text(unit=service.unit.value, **service.rate.model_dump(mode="json"))


def explain_cdr(cdr: Cdr, service: Service) -> CdrExplanation:
    """Explain ``cdr`` with the rate ``service`` has now."""
    rate = rate_of(service)
    rated = max(cdr.used_units - cdr.unbilled_units, 0)
    billed = billed_units(rate, rated)
    scale = Decimal(rate.per) * PICO
    lines = [
        SegmentLine(
            segment.first_unit,
            segment.count,
            Decimal(segment.price) / PICO,
            None if segment.window is None else service.rate.windows[segment.window],
            Decimal(segment.count * segment.price) / scale,
        )
        for segment in price_segments(rate, cdr.started_at, rated)
    ]
    usage = sum((line.amount for line in lines), Decimal(0))
    total = charge(rate, cdr.started_at, rated)
    minimum_applied = billed > 0 and Decimal(rate.min_charge) > (
        Decimal(rate.setup_fee) + usage * MICRO
    )
    return CdrExplanation(
        rated_units=rated,
        billed_units=billed,
        segments=lines,
        usage=usage,
        setup_fee=rate.setup_fee,
        min_charge=rate.min_charge,
        minimum_applied=minimum_applied,
        charge=total,
        matches=total == cdr.charged,
    )


def cause_text(cause: str | None, reason: str | None = None) -> str:
    """Why a session ended, as a sentence."""
    texts = {
        "user": translate("explain", "You stopped it."),
        "service_done": translate("explain", "It finished: the requested amount was used."),
        "credit_exhausted": translate(
            "explain",
            "The balance ran out: the last units it could pay for were used, so it stopped.",
        ),
        "gateway_closed": translate(
            "explain", "The metering gateway closed or refused the service."
        ),
        "client_error": translate("explain", "This app could not continue it and ended it."),
        "update_timeout": translate(
            "explain",
            "The billing server heard nothing from this device for too long and ended it.",
        ),
        "account_inactive": translate(
            "explain", "The account was suspended, which ends running services."
        ),
        "support": translate("explain", "Support ended it."),
        "spending_limit": translate(
            "explain",
            "A spending limit was reached: it stopped at the limit set for this account.",
        ),
        "operation_failed": translate("explain", "The operation failed, so it was not charged."),
    }
    text = texts.get(cause or "", translate("explain", "It ended."))
    if reason and cause in ("client_error", None):
        text += " " + fill(translate("explain", "(%1)"), reason)
    return text


def record_summary(used_units: int, charged: int, cause: str | None) -> str | None:
    """A sentence for a record that would otherwise read as a silent zero (None else).

    A session that ended before anything was used (a download of a file the gateway
    does not have, a service stopped at once) still has its charge record.
    """
    if used_units > 0 or charged > 0:
        return None
    return fill(
        translate("explain", "Nothing was used, so nothing was charged. %1"), cause_text(cause)
    )


def billed_for(service: Service, used_units: int) -> int:
    """The units billed for ``used_units`` under the service's increments."""
    return billed_units(rate_of(service), used_units)


def end_summary(
    service: Service | None,
    used_units: int,
    charged: int,
    currency: str,
    unit: str = "",
    *,
    money: Callable[[int, str], str] = format_money,
) -> str:
    """``"Used 2 min 5 s, billed 2 min 5 s (billed per second after the first minute);
    charged €0.19."`` (``money`` formats the charge: the currency's minor units)."""
    unit_name = service.unit.value if service is not None else unit
    used = format_units(used_units, unit_name)
    amount = money(charged, currency)
    plain = fill(translate("explain", "Used %1; charged %2."), used, amount)
    if service is None:
        return plain
    billed = billed_for(service, used_units)
    steps = billing_steps(service.unit, service.rate.first_increment, service.rate.increment)
    if billed == used_units or not steps:
        return plain
    return fill(
        translate("explain", "Used %1, billed as %2 (%3); charged %4."),
        used,
        format_units(billed, unit_name),
        steps,
        amount,
    )


def final_grant_text(granted_units: int, unit: str) -> str:
    """What a final grant means for the person."""
    return fill(
        translate(
            "explain",
            "Final grant: the balance covers up to %1 in total; the service stops there.",
        ),
        format_units(granted_units, unit),
    )
