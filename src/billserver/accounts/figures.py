"""An account row: reading it, locking it, and its wire form (``available`` is the
ledger's, :mod:`billserver.ledger.funds`)."""

from __future__ import annotations

from sqlalchemy import Connection, select

from billclient.protocol import Account, AccountKind, AccountStatus

from ..db import AnyRow
from ..ledger import LIMIT_COLUMNS, available
from ..tables import accounts

__all__ = ["account_view", "lock_account", "read_account"]


def lock_account(conn: Connection, account_id: str) -> AnyRow | None:
    """Read the account row, locked for this transaction (``FOR UPDATE``; SQLite's
    ``BEGIN IMMEDIATE`` already holds the write lock), with its plan's time zone
    (``limits_tz``): everything the ledger needs of its spending limits."""
    return conn.execute(
        select(accounts, *LIMIT_COLUMNS[-1:])
        .where(accounts.c.account_id == account_id)
        .with_for_update()
    ).one_or_none()


def read_account(conn: Connection, account_id: str) -> AnyRow | None:
    """Read the account row without locking it (with its plan's time zone, as
    :func:`lock_account`)."""
    return conn.execute(
        select(accounts, *LIMIT_COLUMNS[-1:]).where(accounts.c.account_id == account_id)
    ).one_or_none()


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
