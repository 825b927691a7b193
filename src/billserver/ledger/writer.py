"""The one writer of the ledger's rows: a batch in a handful of statements.

Each kind of row is written by one statement run for all the batch's rows at once
(``executemany`` on the driver's cursor, :mod:`billserver.db.driver`): new holds,
hold changes and closes, account figures, transfers, entries and audit rows. Hold
and account changes are conditional on what the batch was built from (a pending hold
with the remaining amount read, an account with the figures read), so a stale read
fails loudly instead of corrupting the books.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Connection, bindparam, func, insert, update

from ..db.driver import run
from ..tables import accounts, audit_log, holds, ledger_entries, ledger_transfers
from .errors import LedgerError
from .limits import LimitState
from .rows import Batch
from .state import PENDING, RELEASED

__all__ = ["write"]

_INSERT_HOLDS = insert(holds)
_INSERT_TRANSFERS = insert(ledger_transfers)
_INSERT_ENTRIES = insert(ledger_entries)
_INSERT_AUDIT = insert(audit_log)

_PENDING_HOLD = (
    holds.c.hold_id == bindparam("b_hold"),
    holds.c.state == PENDING,
    holds.c.remaining == bindparam("b_before"),
)
_CHANGES = {
    "remaining": bindparam("b_remaining"),
    "posted": holds.c.posted + bindparam("b_posted"),
    "reserved_total": holds.c.reserved_total + bindparam("b_grown"),
    "released": holds.c.released + bindparam("b_released"),
}
_CHANGE_HOLD = update(holds).where(*_PENDING_HOLD).values(_CHANGES)
_CLOSE_HOLD = (
    update(holds)
    .where(*_PENDING_HOLD)
    .values({**_CHANGES, "state": RELEASED, "closed_at": bindparam("b_closed")})
)

_CHANGE_ACCOUNT = (
    update(accounts)
    .where(
        accounts.c.account_id == bindparam("b_account"),
        accounts.c.balance == bindparam("b_old_balance"),
        accounts.c.reserved == bindparam("b_old_reserved"),
    )
    .values(
        balance=bindparam("b_balance"),
        reserved=bindparam("b_reserved"),
        # the spending-limit counters, when the batch read them (else NULL: unchanged)
        **{
            name: func.coalesce(bindparam(f"b_{name}", type_=BigInteger), accounts.c[name])
            for name in LimitState.COLUMNS
        },
    )
)


def write(conn: Connection, batch: Batch) -> None:
    """Write ``batch`` in the caller's transaction."""
    if batch.new_holds:
        run(conn, _INSERT_HOLDS, batch.new_holds)
    if batch.hold_changes:
        _changed(conn, _CHANGE_HOLD, batch.hold_changes, "a hold is closed or changed")
    if batch.hold_closes:
        _changed(conn, _CLOSE_HOLD, batch.hold_closes, "a hold is closed or changed")
    if batch.account_changes:
        _changed(conn, _CHANGE_ACCOUNT, batch.account_changes, "an account's figures changed")
    if batch.transfers:
        run(conn, _INSERT_TRANSFERS, batch.transfers)
        run(conn, _INSERT_ENTRIES, batch.entries)
        run(conn, _INSERT_AUDIT, batch.audits)


def _changed(conn: Connection, statement: Any, rows: list[dict[str, Any]], what: str) -> None:
    done = run(conn, statement, rows).rowcount
    if done != len(rows):
        raise LedgerError(f"{what} under the caller (a stale read); nothing was moved")
