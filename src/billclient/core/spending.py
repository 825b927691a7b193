"""Spending limits as the front ends show them: the wire's limits and ``limit`` events
turned into :class:`~billclient.core.words.limits.LimitLine` (their words live there)."""

from __future__ import annotations

from datetime import datetime

from billclient.protocol import AccountLimits, LimitEvent, LimitFigure

from .words.limits import LimitLine, limit_notice_text

__all__ = ["limit_event_text", "limit_lines", "line_of"]


def line_of(period: str, figure: LimitFigure) -> LimitLine:
    """One limit of ``GET /v1/account/limits``."""
    return LimitLine(period, figure.amount, figure.spent, figure.resets_at)


def limit_lines(limits: AccountLimits) -> list[LimitLine]:
    """The limits in force, daily first."""
    pairs = (("daily", limits.daily), ("monthly", limits.monthly))
    return [line_of(period, figure) for period, figure in pairs if figure is not None]


def limit_event_text(event: LimitEvent, currency: str, now: datetime | None = None) -> str:
    """The sentence of a ``limit`` event (80 % spent, or the limit reached)."""
    line = LimitLine(event.limit.value, event.amount, event.spent, event.resets_at)
    return limit_notice_text(line, event.level, currency, now or datetime.now().astimezone())
