"""An account's money figures and the row lock around changing them."""

from __future__ import annotations

from sqlalchemy import Connection, select

from billclient.protocol import Account, AccountKind, AccountStatus

from ..db import AnyRow
from ..tables import accounts

__all__ = ["account_view", "available", "lock_account", "read_account"]


def available(row: AnyRow) -> int:
    """``balance - reserved`` (+ ``credit_limit`` when postpaid), micro-units."""
    extra = int(row.credit_limit) if row.kind == AccountKind.POSTPAID.value else 0
    return int(row.balance) - int(row.reserved) + extra


def lock_account(conn: Connection, account_id: str) -> AnyRow | None:
    """Read the account row, locked for this transaction (``FOR UPDATE``; SQLite's
    ``BEGIN IMMEDIATE`` already holds the write lock)."""
    return conn.execute(
        select(accounts).where(accounts.c.account_id == account_id).with_for_update()
    ).one_or_none()


def read_account(conn: Connection, account_id: str) -> AnyRow | None:
    """Read the account row without locking it."""
    return conn.execute(select(accounts).where(accounts.c.account_id == account_id)).one_or_none()


def account_view(row: AnyRow) -> Account:
    """The wire form of an account row."""
    status = AccountStatus.INACTIVE if row.retired else AccountStatus(row.status)
    return Account(
        account_id=row.account_id,
        name=row.name,
        status=status,
        kind=AccountKind(row.kind),
        currency=row.currency,
        plan_id=row.plan_id,
        balance=int(row.balance),
        reserved=int(row.reserved),
        available=available(row),
        credit_limit=int(row.credit_limit),
        low_balance_threshold=row.low_balance_threshold,
    )
