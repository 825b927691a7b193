"""Posted transfers: one debit, one credit, equal amounts."""

from __future__ import annotations

import uuid

from sqlalchemy import Connection, insert, update

from ..tables import accounts, ledger_entries, ledger_transfers
from .actor import Actor
from .audit import record
from .books import CUSTOMER_PREFIX

__all__ = ["LedgerError", "transfer"]


class LedgerError(Exception):
    """A money move the ledger refuses (it would break an invariant)."""


def transfer(
    conn: Connection,
    actor: Actor,
    *,
    kind: str,
    debit: str,
    credit: str,
    amount: int,
    memo: str,
    now: int,
    session_id: str | None = None,
    hold_id: str | None = None,
) -> str:
    """Move ``amount`` micro-units from book ``debit`` to book ``credit``.

    A customer book's cached balance (``accounts.balance``) moves with it. Callers
    check affordability first; this only refuses malformed moves. Returns the
    transfer id.
    """
    if amount <= 0:
        raise LedgerError(f"a transfer moves a positive amount, not {amount}")
    if debit == credit:
        raise LedgerError("a transfer needs two different books")
    account_id = None
    for book in (debit, credit):
        if book.startswith(CUSTOMER_PREFIX):
            account_id = book.removeprefix(CUSTOMER_PREFIX)
    transfer_id = str(uuid.uuid4())
    conn.execute(
        insert(ledger_transfers).values(
            transfer_id=transfer_id,
            kind=kind,
            account_id=account_id,
            amount=amount,
            hold_id=hold_id,
            session_id=session_id,
            memo=memo,
            created_at=now,
        )
    )
    rows = []
    for book, signed in ((debit, -amount), (credit, amount)):
        balance_after = None
        if book.startswith(CUSTOMER_PREFIX):
            balance_after = _move_customer(conn, book.removeprefix(CUSTOMER_PREFIX), signed)
        rows.append(
            {
                "transfer_id": transfer_id,
                "ledger_id": book,
                "amount": signed,
                "balance_after": balance_after,
            }
        )
    conn.execute(insert(ledger_entries), rows)
    record(
        conn,
        actor,
        f"money.{kind}",
        account_id=account_id,
        now=now,
        transfer_id=transfer_id,
        amount=amount,
        debit=debit,
        credit=credit,
        session_id=session_id,
        memo=memo,
    )
    return transfer_id


def _move_customer(conn: Connection, account_id: str, signed: int) -> int:
    row = conn.execute(
        update(accounts)
        .where(accounts.c.account_id == account_id)
        .values(balance=accounts.c.balance + signed)
        .returning(accounts.c.balance)
    ).one_or_none()
    if row is None:
        raise LedgerError(f"no account {account_id!r}")
    return int(row.balance)
