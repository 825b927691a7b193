"""Money, dates, units and durations for people, in a locale (babel); pure, no Qt.

Money is shown in the currency's minor units (:func:`format_money`: 14.901 EUR is
``€14.90``), rounded half up as :func:`minor_units` does for both front ends; the one
exception is a running session's live meter, which moves by fractions of a cent and is
shown exactly (:func:`format_money_exact`: 0.0015 EUR is ``€0.0015``, never ``€0.00``),
as are the catalogue's prices (:func:`format_price`) and a record's rating explained.
The locale is the system's unless :func:`set_locale` chose another; the terminal client
chooses ``en_US``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal

from babel import Locale, UnknownLocaleError, default_locale
from babel.dates import format_datetime as _babel_datetime
from babel.dates import format_time as _babel_time
from babel.numbers import format_currency, format_decimal, get_currency_precision

from .translation import fill, translate

MICRO = 1_000_000
"""Micro-units per currency unit: :data:`billclient.protocol.money.MICRO`, not imported
from there because the protocol package loads pydantic, which the GUI's first window
(the cached balance) is painted without."""

__all__ = [
    "MICRO",
    "current_locale",
    "format_bytes",
    "format_datetime",
    "format_duration",
    "format_money",
    "format_money_exact",
    "format_price",
    "format_time",
    "format_units",
    "minor_units",
    "set_locale",
]

_locale: Locale | None = None


def set_locale(name: str | None) -> Locale:
    """Use ``name`` (``"de_DE"``, ``"en-US"``) for all formatting; ``None`` = the system's."""
    global _locale
    chosen = name or default_locale("LC_NUMERIC") or "en_US"
    if chosen.endswith("_POSIX"):  # the C locale: plain English formats, not POSIX quirks
        chosen = "en_US"
    try:
        _locale = Locale.parse(chosen.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        _locale = Locale.parse("en_US")
    return _locale


def current_locale() -> Locale:
    """The locale in use (the system's unless :func:`set_locale` chose another)."""
    return _locale if _locale is not None else set_locale(None)


def _decimal(micro: int) -> Decimal:
    return Decimal(micro) / MICRO


def minor_units(micro: int, currency: str | None) -> Decimal:
    """``micro`` in the currency's minor units (two places for an unknown or no
    currency), rounded half up: ``14_901_000, "EUR"`` -> ``Decimal("14.90")``,
    ``5_000`` -> ``0.01``, ``-5_000`` -> ``-0.01``; never a negative zero."""
    places = get_currency_precision(currency) if currency else 2
    rounded = _decimal(micro).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
    return abs(rounded) if rounded == 0 else rounded


def format_money(micro: int, currency: str) -> str:
    """Money in the currency's minor units: ``14_901_000, "EUR"`` -> ``"€14.90"`` (en) /
    ``"14,90 €"`` (de). Balances, charges, invoices, top-ups: everything but a running
    session's live meter (:func:`format_money_exact`)."""
    return str(
        format_currency(
            minor_units(micro, currency),
            currency,
            locale=current_locale(),
            decimal_quantization=False,
        )
    )


def format_money_exact(micro: int, currency: str) -> str:
    """Money to the micro-unit, with at least the currency's own digits:
    ``1_500, "EUR"`` -> ``"€0.0015"``. For a running session's live meter, a catalogue
    price and a record's rating explained; never rounded."""
    return str(
        format_currency(
            _decimal(micro), currency, locale=current_locale(), decimal_quantization=False
        )
    )


def format_price(price: str, currency: str) -> str:
    """A catalogue price (a decimal string, up to 12 places) as ``"0.09 EUR"``, exactly."""
    number = format_decimal(
        Decimal(price), format="#,##0.00####", locale=current_locale(), decimal_quantization=False
    )
    return f"{number} {currency}"


def _local(dt: datetime, tz: tzinfo | None) -> datetime:
    aware = dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)
    return aware.astimezone(tz)  # tz None -> the system's local zone


def format_datetime(dt: datetime, tz: tzinfo | None = None) -> str:
    """A date and time in the local zone (or ``tz``), medium: ``Nov 26, 2026, 2:05:09 PM``."""
    return str(_babel_datetime(_local(dt, tz), format="medium", locale=current_locale()))


def format_time(dt: datetime, tz: tzinfo | None = None) -> str:
    """A time of day in the local zone (or ``tz``): ``2:05:09 PM`` / ``14:05:09``."""
    return str(_babel_time(_local(dt, tz), format="medium", locale=current_locale()))


def format_duration(seconds: float | timedelta) -> str:
    """A span for people: ``45 s``, ``2 min 5 s``, ``1 h 5 min``, ``3 d 4 h``."""
    total = int(seconds.total_seconds() if isinstance(seconds, timedelta) else seconds)
    total = max(total, 0)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        text = translate("formatting", "%1 d %2 h") if hours else translate("formatting", "%1 d")
        return fill(text, str(days), str(hours))
    if hours:
        text = (
            translate("formatting", "%1 h %2 min") if minutes else translate("formatting", "%1 h")
        )
        return fill(text, str(hours), str(minutes))
    if minutes:
        text = translate("formatting", "%1 min %2 s") if secs else translate("formatting", "%1 min")
        return fill(text, str(minutes), str(secs))
    return fill(translate("formatting", "%1 s"), str(secs))


_BYTE_STEPS = ((10**12, "TB"), (10**9, "GB"), (10**6, "MB"), (10**3, "kB"))


def format_bytes(count: int) -> str:
    """Bytes in decimal (SI) multiples: ``1500000`` -> ``"1.5 MB"``."""
    for size, name in _BYTE_STEPS:
        if abs(count) >= size:
            value = Decimal(count) / size
            text = format_decimal(value, format="#,##0.#", locale=current_locale())
            return f"{text} {name}"
    if count == 1:
        return translate("formatting", "1 byte")
    return fill(translate("formatting", "%1 bytes"), str(count))


def format_units(n: int, unit: str) -> str:
    """A unit count of a service: seconds as a duration, bytes in SI multiples, events counted."""
    if unit == "second":
        return format_duration(n)
    if unit == "byte":
        return format_bytes(n)
    if n == 1:
        return translate("formatting", "1 event")
    return fill(
        translate("formatting", "%1 events"), str(format_decimal(n, locale=current_locale()))
    )
