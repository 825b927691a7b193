"""How a charge record was rated, step by step (pure functions, CATALOG.md's rules).

The record's usage (``used_units - unbilled_units``) is rounded up to the service's
increments (billed units), split into runs at one price (time-of-day windows crossed)
by :func:`billclient.rating.price_segments`, priced exactly, then the setup fee is
added and the minimum charge applied, rounded once to micro-units.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from billclient.protocol import Cdr, Service, WindowInfo
from billclient.protocol.money import MICRO
from billclient.rating import Rate, billed_units, charge, price_segments

__all__ = ["CdrExplanation", "SegmentLine", "explain_cdr", "rate_of"]

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
