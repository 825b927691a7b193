"""Spending limits in plain words, for both front ends (pure, no Qt): what a limit has
left (``3.20 EUR of 5.00 today, resets at midnight``), which one is nearest, and the
``limit`` notices at 80 % and 100 %."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo

from babel.dates import format_date
from babel.dates import format_time as _babel_time
from babel.numbers import format_decimal

from .formats import current_locale, minor_units
from .translation import fill, translate

__all__ = ["LimitLine", "limit_notice_text", "limit_text", "nearest_limit", "resets_text"]


@dataclass(frozen=True, slots=True)
class LimitLine:
    """One limit in force, as the client shows it."""

    period: str  # daily | monthly
    amount: int
    spent: int
    resets_at: datetime

    @property
    def left(self) -> int:
        """What is left to spend (never negative)."""
        return max(0, self.amount - self.spent)

    @property
    def percent(self) -> int:
        """How much of the limit is spent, 0..100."""
        return min(100, self.spent * 100 // self.amount) if self.amount > 0 else 100


def _clock(moment: datetime) -> str:
    return str(_babel_time(moment, format="short", locale=current_locale()))


def resets_text(resets_at: datetime, now: datetime, tz: tzinfo | None = None) -> str:
    """When a limit resets, from ``now``: ``at midnight``, ``tomorrow at 01:00``,
    ``at 23:00`` or ``on 1 January`` (local time, or ``tz``)."""
    local, today = resets_at.astimezone(tz), now.astimezone(tz).date()
    midnight = local.time() == time(0)
    if local.date() == today + timedelta(days=1):
        if midnight:
            return translate("limits", "at midnight")
        return fill(translate("limits", "tomorrow at %1"), _clock(local))
    if local.date() == today:
        return fill(translate("limits", "at %1"), _clock(local))
    day = str(format_date(local, format="d MMMM", locale=current_locale()))
    if midnight:
        return fill(translate("limits", "on %1"), day)
    return fill(translate("limits", "on %1 at %2"), day, _clock(local))


def _figure(micro: int, currency: str) -> str:
    """An amount in the currency's minor units, written as the locale writes numbers
    (``6.19`` in English, ``6,19`` in German), beside the currency's code."""
    value = minor_units(micro, currency)
    places = -int(value.as_tuple().exponent)
    pattern = "#,##0." + "0" * places if places > 0 else "#,##0"
    return str(format_decimal(value, format=pattern, locale=current_locale()))


def _amounts(line: LimitLine, currency: str) -> tuple[str, str]:
    return _figure(line.spent, currency), _figure(line.amount, currency)


def limit_text(line: LimitLine, currency: str, now: datetime, tz: tzinfo | None = None) -> str:
    """``3.20 EUR of 5.00 today, resets at midnight`` (``this month`` for a monthly one)."""
    spent, amount = _amounts(line, currency)
    when = resets_text(line.resets_at, now, tz)
    if line.period == "daily":
        template = translate("limits", "%1 %2 of %3 today, resets %4")
    else:
        template = translate("limits", "%1 %2 of %3 this month, resets %4")
    return fill(template, spent, currency, amount, when)


def nearest_limit(lines: Sequence[LimitLine]) -> LimitLine | None:
    """The limit with the least left (the daily one on a tie), or None without limits."""
    return min(lines, key=lambda line: (line.left, line.period != "daily"), default=None)


def limit_notice_text(
    line: LimitLine, level: int, currency: str, now: datetime, tz: tzinfo | None = None
) -> str:
    """The sentence of a ``limit`` notice: 80 % spent, or the limit reached."""
    spent, amount = _amounts(line, currency)
    when = resets_text(line.resets_at, now, tz)
    name = (
        translate("limits", "daily") if line.period == "daily" else translate("limits", "monthly")
    )
    if level >= 100:
        return fill(
            translate(
                "limits",
                "Your %1 spending limit of %2 %3 is reached: services stop until it resets %4.",
            ),
            name, amount, currency, when,
        )  # fmt: skip
    return fill(
        translate("limits", "You have spent %1 %2 of your %3 limit of %4 (%5 %); it resets %6."),
        spent, currency, name, amount, str(level), when,
    )  # fmt: skip
