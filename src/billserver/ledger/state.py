"""What the ledger reads before it moves money, and the figures it answers with."""

from __future__ import annotations

from dataclasses import dataclass

from ..db import AnyRow
from .funds import available_of
from .limits import LimitState

__all__ = ["PENDING", "RELEASED", "AccountState", "Figures", "HoldState"]

PENDING = "pending"
"""``holds.state`` of a hold that still reserves money."""
RELEASED = "released"
"""``holds.state`` of a closed hold."""


@dataclass(frozen=True, slots=True)
class AccountState:
    """An account's money columns (and whether it is retired) as read under its row lock."""

    account_id: str
    kind: str
    balance: int
    reserved: int
    credit_limit: int
    retired: bool = False
    """Deleted by the operator: the ledger moves no money into or out of it."""
    limits: LimitState | None = None
    """Its spending limits and their counters, when read (:data:`~.funds.LIMIT_COLUMNS`);
    the ledger reads them itself for an account a batch spends against."""

    @classmethod
    def of(cls, row: AnyRow) -> AccountState:
        """From a row with the ``accounts`` columns of the same names (and the limit
        columns, when the row has them)."""
        return cls(
            str(row.account_id),
            str(row.kind),
            int(row.balance),
            int(row.reserved),
            int(row.credit_limit),
            bool(row.retired),
            LimitState.of(row) if "limits_tz" in row._fields else None,
        )


@dataclass(frozen=True, slots=True)
class HoldState:
    """What the ledger needs of an existing hold, as read under lock."""

    hold_id: str
    account_id: str
    state: str  # pending | released
    remaining: int
    spender: str | None = None

    @classmethod
    def of(cls, row: AnyRow) -> HoldState:
        """From a row with the ``holds`` columns of the same names."""
        return cls(
            str(row.hold_id),
            str(row.account_id),
            str(row.state),
            int(row.remaining),
            None if row.spender_id is None else str(row.spender_id),
        )


@dataclass(frozen=True, slots=True)
class Figures:
    """An account's figures after a batch of operations."""

    balance: int
    reserved: int
    available: int

    @classmethod
    def of(cls, account: AccountState) -> Figures:
        """The figures of an account state."""
        return cls(
            account.balance,
            account.reserved,
            available_of(account.kind, account.balance, account.reserved, account.credit_limit),
        )
