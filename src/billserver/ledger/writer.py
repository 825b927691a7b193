"""The one writer of the ledger's rows: a batch in a handful of statements.

Each kind of row is written by one statement run for all the batch's rows at once
(``executemany`` on the driver's cursor, :mod:`billserver.db.driver`): new holds,
hold changes and closes, account figures, transfers, entries and audit rows. Hold
and account changes are conditional on what the batch was built from (a pending hold
with the remaining amount read, an account with the figures read), so a stale read
fails loudly instead of corrupting the books.

Inside a transaction that defers its writes (:mod:`billserver.db.deferred`, the
group commit of usage reports) a batch of hold changes, account figures and
transfers is not run at once: its rows join the transaction's, one account's
changes merge into one ``UPDATE`` (conditional on the figures first read, setting
the last ones) and one hold's likewise, and :func:`pending_figures` tells later
readers in the transaction what the account's row will hold.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import BigInteger, Connection, bindparam, func, insert, update

from ..db.deferred import Deferred, deferred
from ..db.driver import run
from ..tables import accounts, audit_log, holds, ledger_entries, ledger_transfers
from .errors import LedgerError
from .limits import LimitState
from .rows import Batch
from .state import PENDING, RELEASED

__all__ = ["pending_figures", "write"]

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


_COUNTERS = tuple(zip(LimitState.COLUMNS, LimitState.BINDS, strict=True))
"""Each spending-limit counter's ``accounts`` column and bind name."""


def write(conn: Connection, batch: Batch) -> None:
    """Write ``batch`` in the caller's transaction (or defer it, see the module)."""
    later = deferred(conn)
    if later is not None and later.writing and not (batch.new_holds or batch.hold_closes):
        _defer(later, batch)
        return
    if later is not None:  # what is pending comes first (this batch read it)
        later.flush(conn)
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


def _defer(later: Deferred, batch: Batch) -> None:
    for change in batch.hold_changes:
        later.add(_CHANGE_HOLD, change, key=change["b_hold"], merge=_merged_hold,
                  check=_counted("a hold is closed or changed"))  # fmt: skip
    for change in batch.account_changes:
        later.add(_CHANGE_ACCOUNT, change, key=change["b_account"], merge=_merged_account,
                  check=_counted("an account's figures changed"))  # fmt: skip
    for row in batch.transfers:
        later.add(_INSERT_TRANSFERS, row)
    for row in batch.entries:
        later.add(_INSERT_ENTRIES, row)
    for row in batch.audits:
        later.add(_INSERT_AUDIT, row)


def pending_figures(conn: Connection, account_id: str) -> dict[str, Any] | None:
    """The ``accounts`` columns the transaction's pending writes will give
    ``account_id`` (balance, reserved, and the spending-limit counters it changed);
    None when none are pending."""
    later = deferred(conn)
    change = None if later is None else later.pending(_CHANGE_ACCOUNT, account_id)
    if change is None:
        return None
    columns = {"balance": change["b_balance"], "reserved": change["b_reserved"]}
    for name, bound in _COUNTERS:
        value = change[bound]
        if value is not None:
            columns[name] = value
    return columns


def _merged_hold(earlier: dict[str, Any], later: dict[str, Any]) -> dict[str, Any]:
    """One hold's two changes as one: from what was first read, to what is left last."""
    if later["b_before"] != earlier["b_remaining"]:
        raise LedgerError(f"hold {later['b_hold']} changed under the caller (a stale read)")
    return {
        **earlier,
        "b_remaining": later["b_remaining"],
        **{name: earlier[name] + later[name] for name in ("b_posted", "b_grown", "b_released")},
    }


def _merged_account(earlier: dict[str, Any], later: dict[str, Any]) -> dict[str, Any]:
    """One account's two changes as one: conditional on the figures first read, setting
    the last figures and every counter either changed (the later change's first)."""
    if (later["b_old_balance"], later["b_old_reserved"]) != (
        earlier["b_balance"],
        earlier["b_reserved"],
    ):
        raise LedgerError(f"account {later['b_account']!r} changed under the caller (a stale read)")
    merged = {
        **earlier,
        "b_balance": later["b_balance"],
        "b_reserved": later["b_reserved"],
    }
    for bound in LimitState.BINDS:
        if later[bound] is not None:
            merged[bound] = later[bound]
    return merged


def _counted(what: str) -> Callable[[int, int], None]:
    def check(changed: int, rows: int) -> None:
        if changed != rows:
            raise LedgerError(f"{what} under the caller (a stale read); nothing was moved")

    return check


def _changed(conn: Connection, statement: Any, rows: list[dict[str, Any]], what: str) -> None:
    _counted(what)(run(conn, statement, rows).rowcount, len(rows))
