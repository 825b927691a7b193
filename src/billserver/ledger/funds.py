"""What an account may spend: ``available``, the floor under it, and their SQL twins.

The one place that knows the rule (TigerBeetle's lesson: the ledger enforces its own
limits, nobody else recomputes them)::

    floor     = -credit_limit  for a postpaid account, 0 for a prepaid one
    available = balance - reserved - floor

A money move that lowers ``available`` must leave it at or above zero (invoiced tax
aside, see :class:`~billserver.ledger.operations.TransferKind`); one that raises it or
leaves it alone is always allowed, so an account below its floor can still be credited,
post from its holds and release them. :func:`spendable` is what a new reservation may
take: ``available``, and no more than is left under the spending account's limits
(:mod:`~.limits`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import ColumnElement, case, select

from billclient.protocol import AccountKind

from ..tables import accounts, plan_versions
from .errors import Refusal, Refused
from .limits import LimitState, Period

__all__ = [
    "AVAILABLE",
    "FLOOR",
    "LIMIT_COLUMNS",
    "AccountFigures",
    "Headroom",
    "available",
    "available_of",
    "floor",
    "headroom",
    "limit_columns",
    "spendable",
]


class AccountFigures(Protocol):
    """Anything carrying an account's money columns (a row of ``accounts``, a state)."""

    @property
    def kind(self) -> Any: ...
    @property
    def balance(self) -> Any: ...
    @property
    def reserved(self) -> Any: ...
    @property
    def credit_limit(self) -> Any: ...


def floor(kind: str, credit_limit: int) -> int:
    """The lowest ``balance - reserved`` an account of ``kind`` may reach by spending."""
    return -credit_limit if kind == AccountKind.POSTPAID else 0


def available_of(kind: str, balance: int, reserved: int, credit_limit: int) -> int:
    """``balance - reserved - floor``, micro-units."""
    return balance - reserved - floor(kind, credit_limit)


def available(account: AccountFigures) -> int:
    """The account's ``available`` (see the module)."""
    return available_of(
        str(account.kind), int(account.balance), int(account.reserved), int(account.credit_limit)
    )


@dataclass(frozen=True, slots=True)
class Headroom:
    """What a new reservation or charge may take now, and what bounds it."""

    amount: int
    """``min(available, left under the limits)``, never negative."""
    available: int
    limits: LimitState | None
    """The spending account's limits as of now (None: not concerned)."""

    @property
    def period(self) -> Period | None:
        """The limit that bounds :attr:`amount` (None when ``available`` does)."""
        if self.limits is None:
            return None
        left = self.limits.left()
        return self.limits.binding() if left is not None and left < self.available else None

    def refused(self, account_id: str, needed: int) -> Refused:
        """The refusal of a move needing ``needed``: ``spending_limit`` when a limit
        bounds it, else ``insufficient_funds``."""
        period = self.period
        if period is None or self.limits is None:
            return Refused(
                Refusal.INSUFFICIENT_FUNDS,
                account_id=account_id,
                available=self.available,
                needed=needed,
            )
        return Refused(
            Refusal.SPENDING_LIMIT,
            account_id=account_id,
            available=self.amount,
            needed=needed,
            period=period.value,
            limit=self.limits.limit(period),
            resets_at=self.limits.resets_at(period),
        )


def headroom(
    account: AccountFigures, limits: LimitState | None = None, *, now: int = 0
) -> Headroom:
    """What a new reservation or charge may take now: the paying ``account``'s
    available money, and no more than is left under ``limits`` (the spending
    account's, as read under lock; ``now`` rolls their periods over)."""
    funds = max(0, available(account))
    current = None if limits is None else limits.at(now)
    left = None if current is None else current.left()
    amount = funds if left is None else min(funds, left)
    return Headroom(amount, funds, current)


def spendable(account: AccountFigures, limits: LimitState | None = None, *, now: int = 0) -> int:
    """:attr:`Headroom.amount` of :func:`headroom` (never negative)."""
    return headroom(account, limits, now=now).amount


FLOOR: ColumnElement[int] = case(
    (accounts.c.kind == AccountKind.POSTPAID.value, -accounts.c.credit_limit), else_=0
)
"""SQL: :func:`floor` of an ``accounts`` row."""

AVAILABLE: ColumnElement[int] = accounts.c.balance - accounts.c.reserved - FLOOR
"""SQL: :func:`available` of an ``accounts`` row."""


def limit_columns(table: Any) -> tuple[ColumnElement[Any], ...]:
    """What :meth:`~.limits.LimitState.of` reads of an ``accounts`` row, for the
    ``accounts`` table or an alias of it (with ``limits_tz``, its plan's time zone)."""
    plan = plan_versions.alias("limits_plan")  # a query may join plan_versions itself
    tz = (
        select(plan.c.timezone)
        .where(plan.c.plan_id == table.c.plan_id, plan.c.current.is_(True))
        .correlate(table)
        .limit(1)
        .scalar_subquery()
    )
    names = ("limit_daily", "limit_monthly", "parent_limit_daily", "parent_limit_monthly",
             *LimitState.COLUMNS)  # fmt: skip
    return (*(table.c[name] for name in names), tz.label("limits_tz"))


LIMIT_COLUMNS = limit_columns(accounts)
"""What :meth:`~.limits.LimitState.of` reads of an ``accounts`` row."""
