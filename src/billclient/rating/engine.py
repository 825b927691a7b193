"""The rating rules of CATALOG.md ("Rating a usage record") as pure functions.

All arithmetic is on integers. Prices are pico-units per ``per`` units, so the
exact usage of ``n`` billed units is ``sum(price_k) / (per * 10**12)`` currency;
the engine keeps the numerator ``sum(price_k)`` and adds money (micro-units) scaled
by ``per * 10**6``, then rounds once, half up, to micro-units.

Prices of ``second`` units are found run by run (see ``_walk``): a ten-hour call
costs a few steps, not 36,000. For a rate whose price varies by time of day the
walk is bounded to :data:`TIMED_UNITS_LIMIT` seconds (about ten years): charging
more raises ValueError, and :func:`max_affordable_units` reports "unlimited" (None)
beyond it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from billclient.protocol.money import MICRO

from ._walk import TIMED_UNITS_LIMIT, Run, constant_price, price_at, runs, timed_runs
from .rate import Rate

__all__ = [
    "TIMED_UNITS_LIMIT",
    "Segment",
    "billed_units",
    "charge",
    "max_affordable_units",
    "price_segments",
]


@dataclass(frozen=True, slots=True)
class Segment:
    """Billed units ``first_unit .. first_unit + count - 1``, all at one price.

    ``price`` is pico-units per the rate's ``per`` units; ``window`` indexes
    ``rate.windows`` (None: the base price).
    """

    first_unit: int
    count: int
    price: int
    window: int | None


def _check_start(start: datetime) -> None:
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError(f"start must be timezone-aware, got {start.isoformat()}")


def _check_units(units: int, name: str = "units") -> None:
    if not isinstance(units, int) or isinstance(units, bool) or units < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {units!r}")


def billed_units(rate: Rate, units: int) -> int:
    """Units billed for ``units`` used (CATALOG step 2): first block, then whole increments.

    ``0`` bills ``0``.
    """
    _check_units(units)
    if units == 0:
        return 0
    first, step = rate.first_increment, rate.increment
    if units <= first:
        return first
    return first + -(-(units - first) // step) * step


def _flat_price(rate: Rate, start: datetime) -> int | None:
    """The price of every billed unit when it does not depend on time, else None."""
    if constant_price(rate):
        return price_at(rate, start)[0] if rate.windows else rate.price
    if all(window.price == rate.price for window in rate.windows):
        return rate.price
    return None


def _runs_checked(rate: Rate, start: datetime, billed: int) -> list[Run]:
    if not constant_price(rate) and billed > TIMED_UNITS_LIMIT:
        raise ValueError(
            f"cannot rate {billed} seconds by time of day: at most {TIMED_UNITS_LIMIT} "
            "(about ten years)"
        )
    try:
        return list(runs(rate, start, billed))
    except OverflowError:
        raise ValueError("the usage extends beyond the supported date range") from None


def _usage(rate: Rate, start: datetime, billed: int) -> int:
    """Sum of the prices of billed units ``0 .. billed - 1`` (pico-units per ``per``)."""
    price = _flat_price(rate, start)
    if price is not None:
        return price * billed
    return sum(count * price for _, count, price, _ in _runs_checked(rate, start, billed))


def charge(rate: Rate, start: datetime, units: int) -> int:
    """The charge in micro-units for ``units`` used from the aware instant ``start``.

    CATALOG steps 1-5: nothing for no units; otherwise the exact sum of the billed
    units' prices plus the setup fee, at least the minimum charge, rounded half up
    to micro-units once. ValueError for a naive ``start`` or negative ``units``.
    """
    _check_start(start)
    billed = billed_units(rate, units)
    if billed == 0:
        return 0
    scale = rate.per * MICRO  # one micro-unit, in pico-units-per-`per`
    total = max(rate.min_charge * scale, rate.setup_fee * scale + _usage(rate, start, billed))
    whole, rest = divmod(total, scale)
    return whole + 1 if 2 * rest >= scale else whole


def price_segments(rate: Rate, start: datetime, units: int) -> list[Segment]:
    """The billed units of ``units`` used from ``start``, grouped by price and window.

    Adjacent groups with the same price and window are merged; the counts add up to
    :func:`billed_units`. Explains a charge: which windows the usage crossed.
    """
    _check_start(start)
    segments: list[Segment] = []
    for first, count, price, window in _runs_checked(rate, start, billed_units(rate, units)):
        if segments and segments[-1].price == price and segments[-1].window == window:
            previous = segments[-1]
            segments[-1] = Segment(previous.first_unit, previous.count + count, price, window)
        else:
            segments.append(Segment(first, count, price, window))
    return segments


def _max_prefix(rate: Rate, start: datetime, allowance: int, end: int | None) -> int | None:
    """The most billed units (at most ``end``) whose prices sum to at most ``allowance``.

    None when the sum never exceeds ``allowance`` (no ``end``) or the time-of-day
    walk reaches :data:`TIMED_UNITS_LIMIT` without ``end``.
    """
    price = _flat_price(rate, start)
    if price is not None:
        if price == 0:
            return end
        return allowance // price if end is None else min(end, allowance // price)
    stop = TIMED_UNITS_LIMIT if end is None else min(end, TIMED_UNITS_LIMIT)
    spent = 0
    try:
        for first, count, price, _ in timed_runs(rate, start, stop):
            if spent + count * price > allowance:
                return first + (allowance - spent) // price
            spent += count * price
    except OverflowError:
        raise ValueError("the usage extends beyond the supported date range") from None
    return None if end is None else stop


def max_affordable_units(
    rate: Rate, start: datetime, budget: int, limit: int | None = None
) -> int | None:
    """The most units usable from ``start`` whose :func:`charge` stays within ``budget``.

    Returns the largest ``n`` (``0 <= n``, and ``n <= limit`` when a limit is given)
    with ``charge(rate, start, n) <= budget`` (micro-units); ``0`` when not even one
    unit is affordable (or ``budget`` is negative). Without a ``limit`` it returns
    None when the charge never exceeds the budget (a free service) or when a
    time-of-day rate would stay affordable for :data:`TIMED_UNITS_LIMIT` seconds;
    with a ``limit`` beyond that bound the answer is the (conservative) count found
    within it. Found by direct arithmetic on runs of constant price: charges only
    change at billed-unit boundaries, so the answer is ``limit`` or the largest
    affordable billed count.
    """
    _check_start(start)
    if limit is not None:
        _check_units(limit, "limit")
    if budget < 0 or limit == 0:
        return 0
    scale = rate.per * MICRO
    # charge <= budget  <=>  exact total < (budget + 1/2) micro-units
    most = (scale * (2 * budget + 1) - 1) // 2
    if rate.min_charge * scale > most:
        return 0
    allowance = most - rate.setup_fee * scale
    if allowance < 0:
        return 0
    end = None if limit is None else billed_units(rate, limit)
    prefix = _max_prefix(rate, start, allowance, end)
    if prefix is None:
        return None
    first, step = rate.first_increment, rate.increment
    if prefix < first:
        return 0
    affordable = first + (prefix - first) // step * step
    return affordable if limit is None else min(limit, affordable)
