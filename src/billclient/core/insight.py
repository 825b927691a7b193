"""Spending insight from the server's records: per day, per service, balance over time.

Pure: no I/O, no clock of its own. The records are the account's charge records (each
counts on the day it ended, in the person's time zone) and its statement lines (the
balance after each money movement). :func:`records_since` says from when the records
are needed; :func:`summarize` turns them into :class:`Spending`. Money in micro-units.

The balance over time is the statement's: the balance after each money movement, at
the moment the money moved (a billing event dated last week but charged today moves
the balance today, while its charge record counts on last week's day). Before the
account's opening line there is no balance at all, not a balance of 0.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Protocol

__all__ = [
    "DAYS",
    "OPENING",
    "BalancePoint",
    "ChargeRecord",
    "DaySpend",
    "Figure",
    "MoneyLine",
    "ServiceSpend",
    "Spending",
    "records_since",
    "summarize",
]

DAYS = 30
"""Days of daily spend, today included."""
OPENING = "opening"
"""The statement's kind for an account's first line, its opening balance."""


class ChargeRecord(Protocol):
    """What insight reads of a charge record (a protocol ``Cdr``)."""

    @property
    def ended_at(self) -> datetime: ...
    @property
    def service_id(self) -> str: ...
    @property
    def charged(self) -> int: ...


class MoneyLine(Protocol):
    """What insight reads of a statement line (a protocol ``StatementLine``)."""

    @property
    def at(self) -> datetime: ...
    @property
    def kind(self) -> str: ...
    @property
    def amount(self) -> int: ...
    @property
    def balance(self) -> int: ...


@dataclass(frozen=True, slots=True)
class DaySpend:
    """Money spent on one calendar day (local)."""

    day: date
    amount: int


@dataclass(frozen=True, slots=True)
class ServiceSpend:
    """Money spent on one service this month, and in how many charge records."""

    service_id: str
    amount: int
    records: int


@dataclass(frozen=True, slots=True)
class BalancePoint:
    """The balance from ``at`` on (until the next point)."""

    at: datetime
    balance: int


@dataclass(frozen=True, slots=True)
class Figure:
    """Balance and money spent since a range's start, at one moment (the balance None
    before the account opened)."""

    at: datetime
    balance: int | None
    spent: int


@dataclass(frozen=True)
class Spending:
    """What was spent, and how the balance went, up to ``now``."""

    now: datetime
    days: list[DaySpend]
    """The last :data:`DAYS` days, oldest first, today last (days without charges: 0)."""
    services: list[ServiceSpend]
    """This calendar month, largest amount first (then by service id)."""
    balance: list[BalancePoint]
    """Oldest first; the first point is the balance at the start of the records, or the
    account's opening when it opened since then."""
    charges: list[tuple[datetime, int]]
    """Every charge (end time, amount) since the records start, oldest first."""

    @property
    def last_days_total(self) -> int:
        """Spent in the last :data:`DAYS` days."""
        return sum(day.amount for day in self.days)

    @property
    def month_total(self) -> int:
        """Spent this calendar month."""
        return sum(service.amount for service in self.services)

    @property
    def days_start(self) -> datetime:
        """The start of the first of :attr:`days` (midnight, in ``now``'s zone)."""
        return _midnight(self.days[0].day, self.now)

    def balance_at(self, moment: datetime) -> int | None:
        """The balance at ``moment`` (None before the first point)."""
        found = None
        for point in self.balance:
            if point.at > moment:
                break
            found = point.balance
        return found

    def figures_since(self, start: datetime) -> list[Figure]:
        """Balance and cumulative spend from ``start`` to now: one figure at ``start``
        and one per change after it, oldest first; none when nothing is known. The
        balance is None until the account's opening when it opened after ``start``."""
        events: list[tuple[datetime, int | None, int]] = []
        events += [(point.at, point.balance, 0) for point in self.balance if point.at > start]
        events += [(at, None, amount) for at, amount in self.charges if at > start]
        events.sort(key=lambda event: (event[0], event[1] is None))
        balance = self.balance_at(start)
        if balance is None and not events:
            return []
        figures = [Figure(start, balance, 0)]
        spent = 0
        for at, new_balance, amount in events:
            spent += amount
            balance = new_balance if new_balance is not None else balance
            if figures[-1].at == at:
                figures[-1] = Figure(at, balance, spent)
            else:
                figures.append(Figure(at, balance, spent))
        return figures


def _midnight(day: date, now: datetime) -> datetime:
    assert now.tzinfo is not None
    return datetime.combine(day, time(0), now.tzinfo)


def records_since(now: datetime) -> datetime:
    """The earliest instant the records must reach back to for :func:`summarize` at ``now``
    (an aware time in the person's zone): the start of the first of the last
    :data:`DAYS` days, of this month, or ``DAYS`` x 24 hours ago, whichever is earliest."""
    today = now.date()
    first_day = today - timedelta(days=DAYS - 1)
    return min(_midnight(min(first_day, today.replace(day=1)), now), now - timedelta(days=DAYS))


def summarize(
    charges: Iterable[ChargeRecord],
    lines: Iterable[MoneyLine],
    now: datetime,
    *,
    balance_now: int | None = None,
) -> Spending:
    """The spending at ``now`` (aware, in the person's zone) from charge records and
    statement lines that reach back to :func:`records_since`.

    The balance before the first line is that line's balance less its amount, unless
    the line is the account's opening (:data:`OPENING`): then there was no account
    before it. ``balance_now`` (the account's balance) stands for the whole range when
    no money moved in it."""
    zone = now.tzinfo
    if zone is None:
        raise ValueError("now must carry a time zone")
    today = now.date()
    first_day = today - timedelta(days=DAYS - 1)
    since = records_since(now)
    per_day = {first_day + timedelta(days=n): 0 for n in range(DAYS)}
    per_service: dict[str, list[int]] = {}
    charge_list: list[tuple[datetime, int]] = []
    for record in charges:
        ended = record.ended_at.astimezone(zone)
        if ended < since or ended > now:
            continue
        charge_list.append((ended, record.charged))
        day = ended.date()
        if day in per_day:
            per_day[day] += record.charged
        if (day.year, day.month) == (today.year, today.month):
            entry = per_service.setdefault(record.service_id, [0, 0])
            entry[0] += record.charged
            entry[1] += 1
    ordered = sorted((line for line in lines), key=lambda line: line.at)
    balance: list[BalancePoint] = []
    for line in ordered:
        at = line.at.astimezone(zone)
        if at > now:
            continue
        if not balance and line.kind != OPENING:
            balance.append(BalancePoint(min(at, since), line.balance - line.amount))
        balance.append(BalancePoint(at, line.balance))
    if not balance and balance_now is not None:
        balance.append(BalancePoint(since, balance_now))
    services = [ServiceSpend(sid, amount, count) for sid, (amount, count) in per_service.items()]
    services.sort(key=lambda entry: (-entry.amount, entry.service_id))
    charge_list.sort(key=lambda entry: entry[0])
    return Spending(
        now=now,
        days=[DaySpend(day, amount) for day, amount in sorted(per_day.items())],
        services=services,
        balance=balance,
        charges=charge_list,
    )
