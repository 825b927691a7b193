"""The ledger's refusals.

Exception tree::

    LedgerError              a malformed or impossible move (a bug in the caller)
    +-- Refused              a move the account's funds do not allow; carries its reason

Both are raised before anything is written (the row builder is pure), except when
the database no longer holds what the caller read under lock (a stale read), which
the writer detects and reports as a ``LedgerError``.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["LedgerError", "Refusal", "Refused"]


class LedgerError(Exception):
    """A money move the ledger refuses because it would break an invariant."""


class Refusal(StrEnum):
    """Why the ledger refused a move the caller may retry later (with more money)."""

    INSUFFICIENT_FUNDS = "insufficient_funds"
    """It would take ``available`` below zero."""
    SPENDING_LIMIT = "spending_limit"
    """It would spend past one of the spending account's limits (``period``)."""
    ACCOUNT_RETIRED = "account_retired"
    """The account is retired (deleted by the operator): like a closed account in
    TigerBeetle it takes no transfer and no new reservation; only releasing what it
    still holds is allowed."""


class Refused(LedgerError):
    """The account does not allow the move: why, ``available`` before it (for
    :attr:`Refusal.SPENDING_LIMIT`, what was left under the limit), and what it needed.

    A spending-limit refusal also names the limit: its ``period`` (``daily`` or
    ``monthly``), its ``limit`` amount and when it ``resets_at`` (microseconds).
    """

    def __init__(
        self,
        reason: Refusal,
        *,
        account_id: str,
        available: int,
        needed: int,
        period: str | None = None,
        limit: int | None = None,
        resets_at: int | None = None,
    ) -> None:
        if reason is Refusal.ACCOUNT_RETIRED:
            message = f"{reason.value}: account {account_id!r} is retired; it moves no money"
        else:
            message = (
                f"{reason.value}: account {account_id!r} has {available} "
                f"{'left under its ' + str(period) + ' limit' if period else 'available'}, "
                f"the move needs {needed}"
            )
        super().__init__(message)
        self.reason = reason
        self.account_id = account_id
        self.available = available
        self.needed = needed
        self.period = period
        self.limit = limit
        self.resets_at = resets_at
