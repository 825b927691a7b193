"""Writing live-event rows, in the same transaction as the change they announce."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert

from billclient.protocol import BalanceEvent, EventType

from ..tables import events

__all__ = ["append_balance", "append_event"]


def append_event(
    conn: Connection, account_id: str, kind: EventType, data: dict[str, Any], now: int
) -> None:
    """Append one event for ``account_id``; its id orders the account's stream."""
    conn.execute(
        insert(events).values(account_id=account_id, type=kind.value, data=data, created_at=now)
    )


def append_balance(
    conn: Connection, account_id: str, *, balance: int, reserved: int, available: int, now: int
) -> None:
    """Append a ``balance`` event with the account's figures after a change."""
    payload = BalanceEvent(balance=balance, reserved=reserved, available=available)
    append_event(conn, account_id, EventType.BALANCE, payload.model_dump(mode="json"), now)
