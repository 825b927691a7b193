"""Session rows: reading under lock, announcing changes, writing charge records."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Connection, insert, select, update

from billclient.protocol import EventType, SessionEvent, SessionState

from ..accounts.figures import available, lock_account
from ..actor import Actor
from ..events import append_balance, append_event
from ..rows import AnyRow
from ..tables import cdrs, holds, sessions
from .views import session_view

__all__ = [
    "announce",
    "hold_remaining",
    "locked_session",
    "reload",
    "resource",
    "with_server",
    "write_cdr",
]


def locked_session(conn: Connection, actor: Actor, session_id: str) -> tuple[AnyRow, AnyRow] | None:
    """The caller's account and session rows, locked (account first, then session).

    None when the session does not exist or is not the caller's: the caller
    cannot tell the two apart.
    """
    owner = conn.execute(
        select(sessions.c.account_id).where(sessions.c.session_id == session_id)
    ).scalar_one_or_none()
    if owner is None or actor.account_id is None or owner != actor.account_id:
        return None
    account = lock_account(conn, owner)
    session = conn.execute(
        select(sessions).where(sessions.c.session_id == session_id).with_for_update()
    ).one()
    assert account is not None  # sessions reference existing accounts
    return account, session


def reload(conn: Connection, session_id: str) -> AnyRow:
    """Read a session row again after changing it."""
    return conn.execute(select(sessions).where(sessions.c.session_id == session_id)).one()


def hold_remaining(conn: Connection, hold_id: str) -> int:
    """What the session's hold still reserves."""
    return int(
        conn.execute(select(holds.c.remaining).where(holds.c.hold_id == hold_id)).scalar_one()
    )


def resource(conn: Connection, row: AnyRow) -> dict[str, Any]:
    """The session resource as JSON."""
    return session_view(row, hold_remaining(conn, row.hold_id)).model_dump(mode="json")


def with_server(row: AnyRow, server_id: str) -> list[str]:
    """The session's list of handling servers with ``server_id`` added."""
    servers = list(row.servers)
    if server_id not in servers:
        servers.append(server_id)
    return servers


def announce(conn: Connection, session: AnyRow, *, now: int) -> AnyRow:
    """Append the session and balance events after a change; returns the account row."""
    account = lock_account(conn, session.account_id)
    assert account is not None
    event = SessionEvent(
        session_id=session.session_id,
        state=SessionState(session.state),
        used_units=session.used_units,
        charged=session.charged,
        cause=session.cause,
    )
    append_event(conn, session.account_id, EventType.SESSION, event.model_dump(mode="json"), now)
    append_balance(
        conn,
        session.account_id,
        balance=int(account.balance),
        reserved=int(account.reserved),
        available=available(account),
        now=now,
    )
    return account


def write_cdr(conn: Connection, session: AnyRow, *, plan: AnyRow, rate_units: int, now: int) -> str:
    """Write the session's (new) immutable CDR; it supersedes the session's previous one.

    ``rate_units`` is the billed count for the charged usage (CATALOG step 2).
    """
    cdr_id = str(uuid.uuid4())
    conn.execute(
        insert(cdrs).values(
            cdr_id=cdr_id,
            session_id=session.session_id,
            account_id=session.account_id,
            service_id=session.service_id,
            plan_id=plan.plan_id,
            plan_version=plan.version,
            started_at=session.started_at,
            ended_at=session.ended_at,
            used_units=session.used_units,
            unbilled_units=session.unbilled_units,
            billed_units=rate_units,
            charged=session.charged,
            cause=session.cause,
            servers=list(session.servers),
            supersedes=session.cdr_id,
            created_at=now,
        )
    )
    conn.execute(
        update(sessions).where(sessions.c.session_id == session.session_id).values(cdr_id=cdr_id)
    )
    return cdr_id
