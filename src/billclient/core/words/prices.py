"""A service's rate in plain words, from the catalogue the server sent (pure functions).

``describe_rate(service, "EUR")`` ->
``"0.09 EUR/min, billed per second after the first minute, 0.15 EUR/min weekdays 08-18"``.
Every phrase goes through :func:`~billclient.core.words.translation.translate`
(context ``"price"``). Both front ends show prices with these words.
"""

from __future__ import annotations

from decimal import Decimal

from babel.dates import get_day_names

from billclient.protocol.catalog import RateInfo, Service, ServiceUnit, WindowInfo

from .formats import current_locale, format_bytes, format_duration, format_price
from .translation import fill, translate

__all__ = ["billing_steps", "days_text", "describe_rate", "per_text", "window_text"]

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def per_text(unit: ServiceUnit, per: int) -> str:
    """What a price is for: ``"/min"``, ``"/MB"``, ``" each"``, ``" per 30 s"``."""
    if unit is ServiceUnit.SECOND:
        named = {
            1: "/s",
            60: translate("price", "/min"),
            3600: translate("price", "/h"),
            86400: translate("price", "/day"),
        }
        return named.get(per) or fill(translate("price", " per %1"), format_duration(per))
    if unit is ServiceUnit.BYTE:
        named = {
            1: translate("price", "/byte"),
            1000: "/kB",
            10**6: "/MB",
            10**9: "/GB",
            10**12: "/TB",
        }
        return named.get(per) or fill(translate("price", " per %1"), format_bytes(per))
    return (
        translate("price", " each")
        if per == 1
        else fill(translate("price", " per %1 events"), str(per))
    )


def _span(unit: ServiceUnit, count: int) -> str:
    if unit is ServiceUnit.SECOND:
        return format_duration(count)
    if unit is ServiceUnit.BYTE:
        return format_bytes(count)
    return fill(translate("price", "%1 events"), str(count))


def _first(unit: ServiceUnit, count: int) -> str:
    """What follows "after" in :func:`billing_steps` (its own strings: some languages
    inflect it there)."""
    if unit is ServiceUnit.SECOND and count in (60, 3600):
        return (
            translate("price", "the first minute")
            if count == 60
            else translate("price", "the first hour")
        )
    if unit is ServiceUnit.EVENT:
        return fill(translate("price", "the first %1 events"), str(count))
    return fill(translate("price", "the first %1"), _span(unit, count))


def _steps(unit: ServiceUnit, step: int) -> str:
    if unit is ServiceUnit.SECOND and step in (1, 60, 3600):
        return {
            1: translate("price", "per second"),
            60: translate("price", "per minute"),
            3600: translate("price", "per hour"),
        }[step]
    if step == 1:
        return (
            translate("price", "per byte")
            if unit is ServiceUnit.BYTE
            else translate("price", "per event")
        )
    return fill(translate("price", "in %1 steps"), _span(unit, step))


def billing_steps(unit: ServiceUnit, first_increment: int, increment: int) -> str:
    """How usage is rounded up: ``"billed per second after the first minute"``.

    Empty for byte and event services billed unit by unit (nothing to say there).
    """
    if first_increment == increment == 1 and unit is not ServiceUnit.SECOND:
        return ""
    steps = fill(translate("price", "billed %1"), _steps(unit, increment))
    if first_increment == increment:
        return steps
    return fill(translate("price", "%1 after %2"), steps, _first(unit, first_increment))


def _day_label(index: int) -> str:
    return str(get_day_names("abbreviated", locale=current_locale())[index])


def days_text(days: list[str]) -> str:
    """``["mon".."fri"]`` -> ``"weekdays"``; ``["sat", "sun"]`` -> ``"weekends"``;
    all seven -> ``"daily"``; a run of three or more -> ``"Mon-Thu"``; else ``"Mon, Wed"``."""
    indexes = sorted({_DAYS.index(day) for day in days if day in _DAYS})
    if not indexes or len(indexes) == 7:
        return translate("price", "daily")
    if indexes == [0, 1, 2, 3, 4]:
        return translate("price", "weekdays")
    if indexes == [5, 6]:
        return translate("price", "weekends")
    if len(indexes) >= 3 and indexes == list(range(indexes[0], indexes[-1] + 1)):
        return f"{_day_label(indexes[0])}-{_day_label(indexes[-1])}"
    return ", ".join(_day_label(index) for index in indexes)


def _clock(text: str) -> str:
    hours, _, minutes = text.partition(":")
    return hours if minutes in ("", "00") else text


def window_text(window: WindowInfo, unit: ServiceUnit, per: int, currency: str) -> str:
    """One time-of-day price: ``"0.15 EUR/min weekdays 08-18"``."""
    price = format_price(window.price, currency) + per_text(unit, per)
    hours = f"{_clock(window.start)}-{_clock(window.end)}"
    return f"{price} {days_text(window.days)} {hours}"


def _is_zero(amount: str | int) -> bool:
    return Decimal(amount) == 0


def describe_rate(service: Service, currency: str, *, local_timezone: str | None = None) -> str:
    """The whole rate of ``service`` in one line of plain words.

    ``local_timezone`` (an IANA name) is the person's zone: when the plan's windows
    are read in another zone the text says so.
    """
    rate: RateInfo = service.rate
    unit = service.unit
    if _is_zero(rate.price) and not rate.windows and rate.setup_fee == 0 and rate.min_charge == 0:
        return translate("price", "free")
    parts = [format_price(rate.price, currency) + per_text(unit, rate.per)]
    steps = billing_steps(unit, rate.first_increment, rate.increment)
    if steps:
        parts.append(steps)
    parts.extend(window_text(window, unit, rate.per, currency) for window in rate.windows)
    if rate.setup_fee:
        parts.append(
            fill(translate("price", "%1 setup fee"), format_price(_money(rate.setup_fee), currency))
        )
    if rate.min_charge:
        parts.append(
            fill(
                translate("price", "minimum charge %1"),
                format_price(_money(rate.min_charge), currency),
            )
        )
    if rate.windows and local_timezone is not None and local_timezone != rate.timezone:
        parts.append(fill(translate("price", "times in %1"), rate.timezone))
    return ", ".join(parts)


def _money(micro: int) -> str:
    return str(Decimal(micro) / 1_000_000)
