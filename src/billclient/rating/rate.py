"""Rates and time-of-day windows: the values the rating rules of CATALOG.md act on.

Prices are integer pico-units (10**-12 of the currency) per ``per`` units; money
(``setup_fee``, ``min_charge``) is integer micro-units. ``from_text`` builds a value
from the catalogue's strings and raises ValueError with a message that starts with
the offending key (``"price: ..."``, ``"windows[1].end: ..."``); ``to_text`` gives
the wire form back.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from billclient.protocol.money import format_decimal, parse_decimal

__all__ = ["DAY_NAMES", "MINUTES_PER_DAY", "PRICE_PLACES", "Rate", "Unit", "Window", "zone"]

PRICE_PLACES = 12
"""Fractional digits of a price: prices are integer pico-units."""
MONEY_PLACES = 6
MINUTES_PER_DAY = 1440
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Day names in ``datetime.weekday()`` order."""

_TIME = re.compile(r"^([0-9]{2}):([0-9]{2})$")
_WINDOW_KEYS = frozenset({"days", "start", "end", "price"})


class Unit(StrEnum):
    """What a service counts."""

    SECOND = "second"
    BYTE = "byte"
    EVENT = "event"


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name`` (cached); ValueError when it does not exist."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"unknown time zone {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def _parse_time(key: str, text: object, *, allow_24: bool) -> int:
    if not isinstance(text, str):
        raise ValueError(f'{key}: must be a time string "HH:MM", got {text!r}')
    match = _TIME.match(text)
    if match is not None:
        hours, minutes = int(match.group(1)), int(match.group(2))
        if hours < 24 and minutes < 60:
            return hours * 60 + minutes
        if allow_24 and hours == 24 and minutes == 0:
            return MINUTES_PER_DAY
    allowed = '"00:00" to "24:00"' if allow_24 else '"00:00" to "23:59"'
    raise ValueError(f"{key}: must be a time {allowed}, got {text!r}")


def _format_time(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _parse_amount(key: str, text: object, places: int) -> int:
    if not isinstance(text, str):
        raise ValueError(f'{key}: must be a decimal string such as "0.02", got {text!r}')
    try:
        value = parse_decimal(text, places)
    except ValueError:
        raise ValueError(
            f"{key}: must be a decimal number with at most {places} decimal places, got {text!r}"
        ) from None
    if value < 0:
        raise ValueError(f"{key}: must not be negative, got {text!r}")
    return value


def _parse_count(key: str, value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{key}: must be an integer >= 1, got {value!r}")
    return value


def _parse_days(days: Iterable[str] | None) -> frozenset[int]:
    if days is None:
        return frozenset(range(7))
    if isinstance(days, str) or not isinstance(days, Iterable):
        raise ValueError(f'days: must be a list of day names such as ["mon", "tue"], got {days!r}')
    result: set[int] = set()
    for day in days:
        if day not in DAY_NAMES:
            raise ValueError(f"days: {day!r} is not one of {', '.join(DAY_NAMES)}")
        index = DAY_NAMES.index(day)
        if index in result:
            raise ValueError(f"days: {day!r} is listed twice")
        result.add(index)
    if not result:
        raise ValueError("days: must name at least one day (leave it out for all seven)")
    return frozenset(result)


@dataclass(frozen=True, slots=True)
class Window:
    """A time-of-day price in the plan's time zone.

    Covers ``[start, end)`` (minutes after local midnight) on each day in ``days``
    (0 = Monday); when ``end < start`` it wraps past midnight, covering
    ``[start, 24:00)`` on each listed day and ``[00:00, end)`` on the day after.
    ``price`` (pico-units per the rate's ``per`` units) replaces the base price there.
    """

    days: frozenset[int]
    start: int
    end: int
    price: int

    def __post_init__(self) -> None:
        if not self.days or not self.days <= frozenset(range(7)):
            raise ValueError(f"days: must be a non-empty subset of 0..6, got {set(self.days)}")
        if not 0 <= self.start < MINUTES_PER_DAY:
            raise ValueError(f"start: must be 0..1439 minutes, got {self.start}")
        if not 0 <= self.end <= MINUTES_PER_DAY:
            raise ValueError(f"end: must be 0..1440 minutes, got {self.end}")
        if self.end == self.start:
            raise ValueError("end: must differ from start")
        if self.price < 0:
            raise ValueError(f"price: must not be negative, got {self.price}")

    @classmethod
    def from_text(
        cls, *, days: Iterable[str] | None = None, start: str, end: str, price: str
    ) -> Window:
        """Build a window from catalogue text.

        ``days`` are names ``"mon"`` .. ``"sun"`` (None: all seven), ``start`` and
        ``end`` are ``"HH:MM"`` (``end`` may be ``"24:00"``) and ``price`` is a
        non-negative decimal string with at most 12 places. ValueError otherwise.
        """
        start_minute = _parse_time("start", start, allow_24=False)
        end_minute = _parse_time("end", end, allow_24=True)
        if start_minute == end_minute:
            raise ValueError(f"end: must differ from start ({start!r})")
        return cls(
            days=_parse_days(days),
            start=start_minute,
            end=end_minute,
            price=_parse_amount("price", price, PRICE_PLACES),
        )

    def to_text(self) -> dict[str, object]:
        """The catalogue/wire form: day names in week order, "HH:MM" times, decimal price."""
        return {
            "days": [DAY_NAMES[day] for day in sorted(self.days)],
            "start": _format_time(self.start),
            "end": _format_time(self.end),
            "price": format_decimal(self.price, PRICE_PLACES),
        }

    def contains(self, weekday: int, minute: int) -> bool:
        """Whether local ``minute`` (0..1439) of a day with ``weekday`` lies in the window."""
        if self.start < self.end:
            return weekday in self.days and self.start <= minute < self.end
        if minute >= self.start:
            return weekday in self.days
        return minute < self.end and (weekday - 1) % 7 in self.days


def _parse_window(index: int, row: Mapping[str, Any]) -> Window:
    prefix = f"windows[{index}]"
    if not isinstance(row, Mapping):
        raise ValueError(f"{prefix}: must be a table, got {row!r}")
    unknown = sorted(str(key) for key in row if key not in _WINDOW_KEYS)
    if unknown:
        raise ValueError(f"{prefix}.{unknown[0]}: unknown key")
    for key in ("start", "end", "price"):
        if key not in row:
            raise ValueError(f"{prefix}.{key}: missing")
    try:
        return Window.from_text(
            days=row.get("days"), start=row["start"], end=row["end"], price=row["price"]
        )
    except ValueError as exc:
        raise ValueError(f"{prefix}.{exc}") from None


@dataclass(frozen=True, slots=True)
class Rate:
    """How one plan charges one service (CATALOG.md, "Rating a usage record").

    ``price`` and window prices are pico-units per ``per`` units; ``setup_fee`` and
    ``min_charge`` are micro-units; ``timezone`` is the plan's IANA zone, in which
    windows are read.
    """

    unit: Unit
    timezone: str
    price: int
    per: int = 1
    increment: int = 1
    first_increment: int = 1
    setup_fee: int = 0
    min_charge: int = 0
    windows: tuple[Window, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.unit, Unit):
            raise ValueError(f"unit: must be a Unit, got {self.unit!r}")
        try:
            zone(self.timezone)
        except ValueError as exc:
            raise ValueError(f"timezone: {exc}") from None
        for key in ("per", "increment", "first_increment"):
            _parse_count(key, getattr(self, key))
        for key in ("price", "setup_fee", "min_charge"):
            value = getattr(self, key)
            if not isinstance(value, int) or value < 0:
                raise ValueError(f"{key}: must be a non-negative integer, got {value!r}")
        if not isinstance(self.windows, tuple) or not all(
            isinstance(window, Window) for window in self.windows
        ):
            raise ValueError("windows: must be a tuple of Window")

    @classmethod
    def from_text(
        cls,
        *,
        unit: str,
        timezone: str = "UTC",
        price: str,
        per: int = 1,
        increment: int = 1,
        first_increment: int | None = None,
        setup_fee: str = "0",
        min_charge: str = "0",
        windows: Sequence[Mapping[str, Any]] = (),
    ) -> Rate:
        """Build and check a rate from catalogue text.

        Prices are non-negative decimal strings with at most 12 places, money at most
        6; ``per``, ``increment`` and ``first_increment`` (default: ``increment``) are
        integers >= 1; ``timezone`` must be a known IANA name; each window is a
        mapping with ``days`` (optional), ``start``, ``end`` and ``price``. Raises
        ValueError with a message starting with the bad key.
        """
        try:
            unit_value = Unit(unit)
        except ValueError:
            names = ", ".join(member.value for member in Unit)
            raise ValueError(f"unit: must be one of {names}, got {unit!r}") from None
        try:
            zone(timezone)
        except ValueError as exc:
            raise ValueError(f"timezone: {exc}") from None
        increment_value = _parse_count("increment", increment)
        if first_increment is None:
            first_increment = increment_value
        if isinstance(windows, str | bytes | Mapping) or not isinstance(windows, Sequence):
            raise ValueError(f"windows: must be a list of tables, got {windows!r}")
        return cls(
            unit=unit_value,
            timezone=timezone,
            price=_parse_amount("price", price, PRICE_PLACES),
            per=_parse_count("per", per),
            increment=increment_value,
            first_increment=_parse_count("first_increment", first_increment),
            setup_fee=_parse_amount("setup_fee", setup_fee, MONEY_PLACES),
            min_charge=_parse_amount("min_charge", min_charge, MONEY_PLACES),
            windows=tuple(_parse_window(index, row) for index, row in enumerate(windows)),
        )

    def to_text(self) -> dict[str, object]:
        """The wire form (``RateInfo``): decimal strings for prices and money, no unit."""
        return {
            "timezone": self.timezone,
            "price": format_decimal(self.price, PRICE_PLACES),
            "per": self.per,
            "increment": self.increment,
            "first_increment": self.first_increment,
            "setup_fee": format_decimal(self.setup_fee, MONEY_PLACES),
            "min_charge": format_decimal(self.min_charge, MONEY_PLACES),
            "windows": [window.to_text() for window in self.windows],
        }
