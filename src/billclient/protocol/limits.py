"""Spending limits: ``/v1/account/limits`` (and a parent's and support's twins) and
the ``limit`` event of the live stream."""

from __future__ import annotations

from enum import StrEnum

from .common import Request, Response, Timestamp
from .money import Money, MoneyIn

__all__ = [
    "AccountLimits",
    "LimitEvent",
    "LimitFigure",
    "LimitPeriod",
    "LimitSetter",
    "LimitsUpdate",
]


class LimitPeriod(StrEnum):
    """The two limits an account may have: the calendar day and month of its plan's
    time zone."""

    DAILY = "daily"
    MONTHLY = "monthly"


class LimitSetter(StrEnum):
    """Who set a limit: the account's own user, its parent's user, or the operator
    (the catalogue's default for new accounts)."""

    SELF = "self"
    PARENT = "parent"
    OPERATOR = "operator"


class LimitFigure(Response):
    """One limit in force: its ``amount``, what the account ``spent`` so far in the
    period, and when the period ends (``resets_at``)."""

    amount: Money
    spent: Money
    resets_at: Timestamp
    set_by: LimitSetter


class AccountLimits(Response):
    """``GET /v1/account/limits``: each limit in force, or null when there is none.
    ``set_by`` is who set the tightest one (``parent`` when a parent's limit binds)."""

    daily: LimitFigure | None
    monthly: LimitFigure | None
    set_by: LimitSetter


class LimitsUpdate(Request):
    """``PUT /v1/account/limits``: the limits wanted, a decimal string or null (no
    limit). A PUT replaces both: a member left out is null."""

    daily: MoneyIn | None = None
    monthly: MoneyIn | None = None


class LimitEvent(Response):
    """The ``limit`` event: the account's spending reached ``level`` percent (80, then
    100) of a limit, sent once per period and limit."""

    limit: LimitPeriod
    level: int
    amount: Money
    spent: Money
    resets_at: Timestamp
