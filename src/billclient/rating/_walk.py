"""Walking billed units in runs of constant price (internal).

A run is ``(first_unit, count, price, window)``. For ``second`` units billed unit
``k`` is consumed at ``start + k`` seconds; its price is constant until the next
local wall-clock boundary (a window start or end, or midnight, when the weekday
changes) and until the next change of the zone's UTC offset. A run therefore
spans at most one local day, so an hour of usage takes a handful of steps, not
3600. Byte and event units all take the price that applies at ``start``.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, tzinfo

from .rate import MINUTES_PER_DAY, Rate, Unit, zone

__all__ = ["TIMED_UNITS_LIMIT", "Run", "constant_price", "price_at", "runs", "timed_runs"]

TIMED_UNITS_LIMIT = 10 * 366 * 86_400
"""Most seconds (about ten years) walked for a rate whose price varies by time."""

_US_PER_SECOND = 1_000_000
_US_PER_MINUTE = 60 * _US_PER_SECOND

Run = tuple[int, int, int, int | None]
"""``(first_unit, count, price, window index or None)``."""


def _window_at(rate: Rate, local: datetime) -> int | None:
    weekday, minute = local.weekday(), local.hour * 60 + local.minute
    for index, window in enumerate(rate.windows):
        if window.contains(weekday, minute):
            return index
    return None


def price_at(rate: Rate, instant: datetime) -> tuple[int, int | None]:
    """The price applying at an aware ``instant`` and the index of its window."""
    index = _window_at(rate, instant.astimezone(zone(rate.timezone)))
    return (rate.price, None) if index is None else (rate.windows[index].price, index)


def constant_price(rate: Rate) -> bool:
    """Whether every billed unit of this rate costs the same, whenever it is used."""
    return rate.unit is not Unit.SECOND or not rate.windows


def _boundaries(rate: Rate) -> list[int]:
    """Local times of day (microseconds) where the price may change, ending at 24:00."""
    minutes = {0, MINUTES_PER_DAY}
    for window in rate.windows:
        minutes.add(window.start)
        minutes.add(window.end % MINUTES_PER_DAY)
    return [minute * _US_PER_MINUTE for minute in sorted(minutes)]


def _first_offset_change(
    start: datetime, offset: timedelta | None, count: int, local_zone: tzinfo
) -> int:
    """The first unit in ``1..count-1`` whose UTC offset is not ``offset``, or ``count``.

    Assumes the offset changes at most once within ``count`` seconds (runs last at
    most a day; the tz database has no zone changing its offset twice in a day).
    """
    if count <= 1:
        return count
    last = (start + timedelta(seconds=count - 1)).astimezone(local_zone).utcoffset()
    if last == offset:
        return count
    same, different = 0, count - 1
    while different - same > 1:
        middle = (same + different) // 2
        probe = (start + timedelta(seconds=middle)).astimezone(local_zone).utcoffset()
        if probe == offset:
            same = middle
        else:
            different = middle
    return different


def timed_runs(rate: Rate, start: datetime, end: int | None) -> Iterator[Run]:
    """Runs covering ``second`` billed units ``0 .. end - 1`` of a rate with windows.

    ``start`` must be aware. With ``end=None`` the walk never ends: the caller stops
    it. Consecutive runs may share a price and window.
    """
    local_zone = zone(rate.timezone)
    boundaries = _boundaries(rate)
    origin = start.astimezone(UTC)
    first = 0
    while end is None or first < end:
        instant = origin + timedelta(seconds=first)
        local = instant.astimezone(local_zone)
        time_of_day = (
            (local.hour * 60 + local.minute) * 60 + local.second
        ) * _US_PER_SECOND + local.microsecond
        boundary = boundaries[bisect_right(boundaries, time_of_day)]
        count = -(-(boundary - time_of_day) // _US_PER_SECOND)  # units before the boundary
        if end is not None:
            count = min(count, end - first)
        count = _first_offset_change(instant, local.utcoffset(), count, local_zone)
        index = _window_at(rate, local)
        price = rate.price if index is None else rate.windows[index].price
        yield first, count, price, index
        first += count


def runs(rate: Rate, start: datetime, end: int) -> Iterator[Run]:
    """Runs of constant price covering billed units ``0 .. end - 1``; ``start`` aware."""
    if not constant_price(rate):
        yield from timed_runs(rate, start, end)
    elif end > 0:
        price, index = price_at(rate, start) if rate.windows else (rate.price, None)
        yield 0, end, price, index
