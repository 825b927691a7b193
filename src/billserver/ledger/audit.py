"""The audit trail: one row per money move and per support or account action."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert

from ..tables import audit_log
from .actor import Actor

__all__ = ["audit_row", "record"]


def record(
    conn: Connection,
    actor: Actor,
    action: str,
    *,
    account_id: str | None,
    now: int,
    **details: Any,
) -> None:
    """Append an audit row in the caller's transaction. Never pass secrets in details."""
    conn.execute(
        insert(audit_log), [audit_row(actor, action, account_id=account_id, now=now, **details)]
    )


def audit_row(
    actor: Actor, action: str, *, account_id: str | None, now: int, **details: Any
) -> dict[str, Any]:
    """The values of one audit row (for callers that insert several at once)."""
    return {
        "at": now,
        "actor": actor.login,
        "device_id": actor.device_id,
        "server_id": actor.server_id,
        "action": action,
        "account_id": account_id,
        "details": details,
    }
