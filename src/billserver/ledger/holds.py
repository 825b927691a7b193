"""Holds: reservations against an account's available money.

Modelled on TigerBeetle's pending transfers, with a hold that can grow and
shrink as a session's grant slides: ``reserved_total = posted + released +
remaining`` with every term non-negative. A hold is posted in parts, never beyond
what it has remaining, and once closed it can be neither posted nor resized.
``accounts.reserved`` caches the sum of the remaining amounts of pending holds.
"""

from __future__ import annotations

import uuid

from sqlalchemy import Connection, insert, select, update

from ..db import AnyRow
from ..tables import accounts, holds
from .actor import Actor
from .books import SYS_REVENUE, customer_book
from .transfers import transfer

__all__ = ["HoldError", "close_hold", "create_hold", "post_from_hold", "resize_hold"]


class HoldError(Exception):
    """A hold operation that would break the hold's rules."""


def create_hold(
    conn: Connection, *, account_id: str, session_id: str | None, amount: int, now: int
) -> str:
    """Reserve ``amount`` (may be 0) of the account's available money; returns the hold id."""
    if amount < 0:
        raise HoldError("a hold cannot be negative")
    hold_id = str(uuid.uuid4())
    conn.execute(
        insert(holds).values(
            hold_id=hold_id,
            account_id=account_id,
            session_id=session_id,
            state="pending",
            reserved_total=amount,
            posted=0,
            released=0,
            remaining=amount,
            created_at=now,
        )
    )
    _move_reserved(conn, account_id, amount)
    return hold_id


def resize_hold(conn: Connection, hold_id: str, remaining: int) -> None:
    """Set what the hold keeps reserved: growing reserves more, shrinking releases."""
    hold = _pending(conn, hold_id)
    if remaining < 0:
        raise HoldError("a hold cannot be negative")
    delta = remaining - int(hold.remaining)
    if delta == 0:
        return
    values = (
        {"reserved_total": holds.c.reserved_total + delta}
        if delta > 0
        else {"released": holds.c.released - delta}
    )
    conn.execute(
        update(holds).where(holds.c.hold_id == hold_id).values(remaining=remaining, **values)
    )
    _move_reserved(conn, str(hold.account_id), delta)


def post_from_hold(
    conn: Connection,
    actor: Actor,
    hold_id: str,
    amount: int,
    *,
    memo: str,
    now: int,
    session_id: str | None = None,
) -> None:
    """Charge ``amount`` out of the hold (customer -> revenue); at most what remains."""
    hold = _pending(conn, hold_id)
    if amount < 0 or amount > int(hold.remaining):
        raise HoldError(f"cannot post {amount} from a hold with {hold.remaining} remaining")
    if amount == 0:
        return
    conn.execute(
        update(holds)
        .where(holds.c.hold_id == hold_id)
        .values(remaining=holds.c.remaining - amount, posted=holds.c.posted + amount)
    )
    _move_reserved(conn, str(hold.account_id), -amount)
    transfer(
        conn,
        actor,
        kind="charge",
        debit=customer_book(str(hold.account_id)),
        credit=SYS_REVENUE,
        amount=amount,
        memo=memo,
        now=now,
        session_id=session_id,
        hold_id=hold_id,
    )


def close_hold(conn: Connection, hold_id: str, *, now: int) -> None:
    """Release whatever remains and close the hold for good."""
    hold = _pending(conn, hold_id)
    remaining = int(hold.remaining)
    conn.execute(
        update(holds)
        .where(holds.c.hold_id == hold_id)
        .values(
            remaining=0,
            released=holds.c.released + remaining,
            state="released",
            closed_at=now,
        )
    )
    _move_reserved(conn, str(hold.account_id), -remaining)


def _pending(conn: Connection, hold_id: str) -> AnyRow:
    hold = conn.execute(select(holds).where(holds.c.hold_id == hold_id)).one_or_none()
    if hold is None:
        raise HoldError(f"no hold {hold_id}")
    if hold.state != "pending":
        raise HoldError(f"hold {hold_id} is closed")
    return hold


def _move_reserved(conn: Connection, account_id: str, delta: int) -> None:
    if delta:
        conn.execute(
            update(accounts)
            .where(accounts.c.account_id == account_id)
            .values(reserved=accounts.c.reserved + delta)
        )
