"""What an account may spend: ``available``, the floor under it, and their SQL twins.

The one place that knows the rule (TigerBeetle's lesson: the ledger enforces its own
limits, nobody else recomputes them)::

    floor     = -credit_limit  for a postpaid account, 0 for a prepaid one
    available = balance - reserved - floor

A money move that lowers ``available`` must leave it at or above zero (invoiced tax
aside, see :class:`~billserver.ledger.operations.TransferKind`); one that raises it or
leaves it alone is always allowed, so an account below its floor can still be credited,
post from its holds and release them. :func:`spendable` is what a new reservation may
take: the place where spending limits (daily, monthly) will join ``available``.
"""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import ColumnElement, case

from billclient.protocol import AccountKind

from ..tables import accounts

__all__ = [
    "AVAILABLE",
    "FLOOR",
    "AccountFigures",
    "available",
    "available_of",
    "floor",
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


def spendable(account: AccountFigures) -> int:
    """What a new reservation or charge of this account may take now (never negative)."""
    return max(0, available(account))


FLOOR: ColumnElement[int] = case(
    (accounts.c.kind == AccountKind.POSTPAID.value, -accounts.c.credit_limit), else_=0
)
"""SQL: :func:`floor` of an ``accounts`` row."""

AVAILABLE: ColumnElement[int] = accounts.c.balance - accounts.c.reserved - FLOOR
"""SQL: :func:`available` of an ``accounts`` row."""
