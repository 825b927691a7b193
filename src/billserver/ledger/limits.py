"""Spending limits: the daily and monthly caps an account spends under (pure, no I/O).

An account may have a daily and a monthly limit (the smaller of its own and the one
its parent set, :func:`effective`). Its row carries what it spent in the current
calendar day and month of its plan's time zone and what its pending holds keep
reserved against the limits (``limit_held``); the ledger keeps those figures in the
same statement that moves the money. What is left under the limits::

    left = min over the set limits of (limit - spent in the period - held)

and what a new hold or charge of the account may take is ``min(available, left)``
(:func:`billserver.ledger.funds.spendable`). A period ends at the next local midnight
(the first of the next month for the monthly one); a figure read after its period
ended counts as zero (:meth:`LimitState.at`). Money posted from a hold counts in the
period it is posted in.

Notices: at 80 % and at 100 % of each set limit, once per period
(:meth:`LimitState.crossings`); a change of the limit in force starts its count again
(``billserver.spending.service``). A limit that stops spending short of its amount (the
next increment would pass it) counts as reached: its 100 % notice is due then
(:meth:`LimitState.stopped`), with what was really spent.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

__all__ = [
    "NOTICE_LEVELS",
    "LimitNotice",
    "LimitState",
    "Period",
    "effective",
    "period_bounds",
]

_US = 1_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

NOTICE_LEVELS = (80, 100)
"""The percentages of a limit at which the account is told, once per period."""


class Period(StrEnum):
    """The two limits an account may have."""

    DAILY = "daily"
    MONTHLY = "monthly"


_PERIODS = tuple(Period)
"""The periods, in order (iterating the enum itself is slow on the update path)."""


@lru_cache(maxsize=256)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _local_midnight(day: date, zone: ZoneInfo) -> int:
    """Microseconds since the epoch of the first instant of ``day`` in ``zone``."""
    start = datetime.combine(day, time(0), tzinfo=zone)
    delta = start - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * _US + delta.microseconds


def period_bounds(period: Period, now: int, timezone: str) -> tuple[int, int]:
    """``(since, until)``: the calendar day or month of ``timezone`` holding ``now``,
    as microseconds since the epoch (``until`` excluded). A day is 23 or 25 hours
    long when the clocks change."""
    zone = _zone(timezone)
    local = (_EPOCH + timedelta(microseconds=now)).astimezone(zone)
    if period is Period.DAILY:
        first = local.date()
        following = first + timedelta(days=1)
    else:
        first = local.date().replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
    return _local_midnight(first, zone), _local_midnight(following, zone)


def effective(own: int | None, parent: int | None) -> int | None:
    """The limit in force: the smaller of the account's own and its parent's (None: none)."""
    if own is None:
        return parent
    return own if parent is None else min(own, parent)


@dataclass(frozen=True, slots=True)
class LimitNotice:
    """A limit the account's spending just reached ``level`` percent of."""

    account_id: str
    period: Period
    level: int
    amount: int
    spent: int
    resets_at: int


@dataclass(frozen=True, slots=True)
class LimitState:
    """An account's limits and what counts against them, as read under its row lock."""

    daily: int | None
    monthly: int | None
    spent_daily: int
    spent_monthly: int
    daily_since: int
    daily_until: int
    monthly_since: int
    monthly_until: int
    held: int
    daily_noticed: int
    monthly_noticed: int
    timezone: str

    @classmethod
    def of(cls, row: Any) -> LimitState:
        """From an ``accounts`` row read with the time zone of its plan (``limits_tz``)."""
        return cls(
            daily=effective(row.limit_daily, row.parent_limit_daily),
            monthly=effective(row.limit_monthly, row.parent_limit_monthly),
            spent_daily=int(row.spent_daily),
            spent_monthly=int(row.spent_monthly),
            daily_since=int(row.daily_since),
            daily_until=int(row.daily_until),
            monthly_since=int(row.monthly_since),
            monthly_until=int(row.monthly_until),
            held=int(row.limit_held),
            daily_noticed=int(row.daily_noticed),
            monthly_noticed=int(row.monthly_noticed),
            timezone=str(row.limits_tz or "UTC"),
        )

    def at(self, now: int) -> LimitState:
        """This state at ``now``: a period that has ended starts again from zero."""
        state = self
        if now >= state.daily_until or now < state.daily_since:
            since, until = period_bounds(Period.DAILY, now, self.timezone)
            state = dataclasses.replace(
                state, spent_daily=0, daily_since=since, daily_until=until, daily_noticed=0
            )
        if now >= state.monthly_until or now < state.monthly_since:
            since, until = period_bounds(Period.MONTHLY, now, self.timezone)
            state = dataclasses.replace(
                state, spent_monthly=0, monthly_since=since, monthly_until=until, monthly_noticed=0
            )
        return state

    def limit(self, period: Period) -> int | None:
        """The limit of ``period`` in force (None: no limit)."""
        return self.daily if period is Period.DAILY else self.monthly

    def spent(self, period: Period) -> int:
        """What the account spent in the current ``period`` (as of :meth:`at`)."""
        return self.spent_daily if period is Period.DAILY else self.spent_monthly

    def resets_at(self, period: Period) -> int:
        """When the current ``period`` ends."""
        return self.daily_until if period is Period.DAILY else self.monthly_until

    def left_under(self, period: Period) -> int | None:
        """What is left under the limit of ``period`` (never negative; None: no limit)."""
        amount = self.limit(period)
        if amount is None:
            return None
        return max(0, amount - self.spent(period) - self.held)

    def binding(self) -> Period | None:
        """The limit that leaves the least (None when no limit is set)."""
        if self.daily is None and self.monthly is None:
            return None
        found: Period | None = None
        least = 0
        for period in _PERIODS:
            left = self.left_under(period)
            if left is not None and (found is None or left < least):
                found, least = period, left
        return found

    def left(self) -> int | None:
        """What the account may still reserve or spend under its limits (None: no limit)."""
        period = self.binding()
        return None if period is None else self.left_under(period)

    def moved(self, *, held: int = 0, spent: int = 0) -> LimitState:
        """The state after holds grew by ``held`` (negative: released or posted) and the
        account spent ``spent`` more in both periods."""
        return LimitState(  # not dataclasses.replace(): this runs for every update
            self.daily,
            self.monthly,
            self.spent_daily + spent,
            self.spent_monthly + spent,
            self.daily_since,
            self.daily_until,
            self.monthly_since,
            self.monthly_until,
            self.held + held,
            self.daily_noticed,
            self.monthly_noticed,
            self.timezone,
        )

    def noticed(self, period: Period) -> int:
        """The highest notice level already sent for the current ``period`` (0: none)."""
        return self.daily_noticed if period is Period.DAILY else self.monthly_noticed

    def _notify(
        self, account_id: str, period: Period, level: int
    ) -> tuple[LimitState, list[LimitNotice]]:
        """The notice of ``period`` at ``level`` if a lower one was sent so far, and the
        state that remembers it (no notice, and this state, otherwise)."""
        amount = self.limit(period)
        if not amount or level <= self.noticed(period):
            return self, []
        notice = LimitNotice(
            account_id, period, level, amount, self.spent(period), self.resets_at(period)
        )
        if period is Period.DAILY:
            return dataclasses.replace(self, daily_noticed=level), [notice]
        return dataclasses.replace(self, monthly_noticed=level), [notice]

    def crossings(self, account_id: str) -> tuple[LimitState, list[LimitNotice]]:
        """The notices due (a limit reached 80 % or 100 % for the first time this
        period) and the state that remembers them."""
        if self.daily is None and self.monthly is None:
            return self, []  # no limit: no notice
        state, notices = self, []
        for period in _PERIODS:
            amount = state.limit(period) or 0
            spent = state.spent(period)
            reached = max((lvl for lvl in NOTICE_LEVELS if spent * 100 >= amount * lvl), default=0)
            state, due = state._notify(account_id, period, reached)
            notices += due
        return state, notices

    def stopped(self, account_id: str, period: Period) -> tuple[LimitState, list[LimitNotice]]:
        """The limit of ``period`` stopped spending (a session cut, a charge refused) a
        little short of its amount, since the next increment would have passed it:
        its 100 % notice is due now unless it was sent this period. Its ``spent`` is
        what was really spent."""
        return self._notify(account_id, period, NOTICE_LEVELS[-1])

    COLUMNS: ClassVar[tuple[str, ...]] = (
        "spent_daily",
        "spent_monthly",
        "daily_since",
        "daily_until",
        "monthly_since",
        "monthly_until",
        "limit_held",
        "daily_noticed",
        "monthly_noticed",
    )
    """The ``accounts`` columns of the counters (:meth:`bound_columns`)."""
    BINDS: ClassVar[tuple[str, ...]] = tuple(f"b_{name}" for name in COLUMNS)
    """The ledger writer's bind names of :attr:`COLUMNS` (``b_<column>``)."""

    def bound_columns(self) -> dict[str, int]:
        """The counters as ``accounts`` column values (what the ledger writes back),
        under the ledger writer's bind names (:attr:`BINDS`)."""
        return dict(zip(self.BINDS, self._counters(), strict=True))

    def _counters(self) -> tuple[int, ...]:
        """The counters in the order of :attr:`COLUMNS`."""
        return (
            self.spent_daily,
            self.spent_monthly,
            self.daily_since,
            self.daily_until,
            self.monthly_since,
            self.monthly_until,
            self.held,
            self.daily_noticed,
            self.monthly_noticed,
        )

    def with_columns(self, columns: Mapping[str, int]) -> LimitState:
        """These counters with the ``accounts`` column values in ``columns`` (the names
        of :attr:`COLUMNS`; other keys are ignored) in place of their own."""
        fields: dict[str, Any] = {
            ("held" if name == "limit_held" else name): columns[name]
            for name in self.COLUMNS
            if name in columns
        }
        return dataclasses.replace(self, **fields) if fields else self
