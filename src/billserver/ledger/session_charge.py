"""A session's charge and its hold's new size, in one step: the hot path of updates.

What :func:`~billserver.ledger.holds.post_from_hold`, :func:`~billserver.ledger.transfer`
and :func:`~billserver.ledger.holds.resize_hold` do one after the other, with the
fewest statements: one conditional ``UPDATE`` of the hold, one ``UPDATE`` of the
account (balance and reserved together), one insert each for the transfers, their
entries and their audit rows. The ledger's rules are the same: every charge is a
transfer customer -> revenue with two entries that sum to zero, the part covered by
the hold is posted from it (never more than it has remaining), and the hold keeps
``reserved_total = posted + released + remaining``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, insert, update

from ..tables import accounts, audit_log, holds, ledger_entries, ledger_transfers
from .actor import Actor
from .audit import audit_row
from .books import SYS_REVENUE, customer_book
from .holds import HoldError

__all__ = ["Figures", "charge_session"]


@dataclass(frozen=True, slots=True)
class Figures:
    """An account's cached figures after a change."""

    balance: int
    reserved: int


_HOLD = (
    update(holds)
    .where(
        holds.c.hold_id == bindparam("b_hold"),
        holds.c.state == "pending",
        holds.c.remaining == bindparam("b_before"),
    )
    .values(
        posted=holds.c.posted + bindparam("b_posted"),
        remaining=bindparam("b_remaining"),
        reserved_total=holds.c.reserved_total + bindparam("b_grown"),
        released=holds.c.released + bindparam("b_released"),
    )
)

_INSERT_TRANSFERS = insert(ledger_transfers)
_INSERT_ENTRIES = insert(ledger_entries)
_INSERT_AUDIT = insert(audit_log)

_ACCOUNT = (
    update(accounts)
    .where(accounts.c.account_id == bindparam("b_account"))
    .values(
        balance=accounts.c.balance + bindparam("b_balance"),
        reserved=accounts.c.reserved + bindparam("b_reserved"),
    )
    .returning(accounts.c.balance, accounts.c.reserved)
)


def charge_session(
    conn: Connection,
    actor: Actor,
    *,
    account_id: str,
    session_id: str,
    hold_id: str,
    hold_remaining: int,
    from_hold: int,
    direct: int,
    keep: int,
    memo: str,
    now: int,
) -> Figures:
    """Charge ``from_hold`` out of the hold and ``direct`` from the balance, then make
    the hold keep ``keep``; returns the account's figures afterwards.

    ``hold_remaining`` is what the hold had remaining when the caller read it under
    the account's lock; the hold's update is conditional on it (and on the hold being
    pending), so a stale read fails loudly instead of corrupting the hold.
    """
    if min(from_hold, direct, keep) < 0 or from_hold > hold_remaining:
        raise HoldError(f"cannot post {from_hold} from a hold with {hold_remaining} remaining")
    after_post = hold_remaining - from_hold
    resized = keep - after_post
    if from_hold or resized:
        done = conn.execute(
            _HOLD,
            {
                "b_hold": hold_id,
                "b_before": hold_remaining,
                "b_posted": from_hold,
                "b_remaining": keep,
                "b_grown": max(resized, 0),
                "b_released": max(-resized, 0),
            },
        )
        if done.rowcount != 1:
            raise HoldError(f"hold {hold_id} is closed or changed under the caller")
    amount = from_hold + direct
    row = conn.execute(
        _ACCOUNT,
        {"b_account": account_id, "b_balance": -amount, "b_reserved": resized - from_hold},
    ).one_or_none()
    if row is None:
        raise HoldError(f"no account {account_id!r}")
    figures = Figures(int(row.balance), int(row.reserved))
    if amount:
        _write_transfers(
            conn,
            actor,
            account_id,
            session_id,
            hold_id,
            from_hold,
            direct,
            memo,
            now,
            figures.balance,
        )
    return figures


def _write_transfers(
    conn: Connection,
    actor: Actor,
    account_id: str,
    session_id: str,
    hold_id: str,
    from_hold: int,
    direct: int,
    memo: str,
    now: int,
    final_balance: int,
) -> None:
    """The transfers (hold part first), their entries and audit rows, one insert each."""
    book = customer_book(account_id)
    balance = final_balance + from_hold + direct
    transfers: list[dict[str, Any]] = []
    entries: list[dict[str, Any]] = []
    audits: list[dict[str, Any]] = []
    for amount, hold in ((from_hold, hold_id), (direct, None)):
        if not amount:
            continue
        transfer_id = str(uuid.uuid4())
        balance -= amount
        transfers.append(
            {
                "transfer_id": transfer_id,
                "kind": "charge",
                "account_id": account_id,
                "amount": amount,
                "hold_id": hold,
                "session_id": session_id,
                "memo": memo,
                "created_at": now,
            }
        )
        entries += [
            {
                "transfer_id": transfer_id,
                "ledger_id": book,
                "amount": -amount,
                "balance_after": balance,
            },
            {
                "transfer_id": transfer_id,
                "ledger_id": SYS_REVENUE,
                "amount": amount,
                "balance_after": None,
            },
        ]
        audits.append(
            audit_row(
                actor,
                "money.charge",
                account_id=account_id,
                now=now,
                transfer_id=transfer_id,
                amount=amount,
                debit=book,
                credit=SYS_REVENUE,
                session_id=session_id,
                memo=memo,
            )
        )
    conn.execute(_INSERT_TRANSFERS, transfers)
    conn.execute(_INSERT_ENTRIES, entries)
    conn.execute(_INSERT_AUDIT, audits)
