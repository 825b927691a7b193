"""Session rows: reading under lock, announcing changes, writing charge records."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select, update

from billclient.protocol import EventType, SessionEvent, SessionState

from ..accounts.figures import available, lock_account
from ..db import AnyRow
from ..events import append_balance, append_event
from ..ledger.actor import Actor
from ..tables import cdrs, holds, sessions
from .views import session_view

__all__ = [
    "Locked",
    "announce",
    "hold_remaining",
    "lock_session",
    "locked_session",
    "reload",
    "resource",
    "with_server",
    "write_cdr",
]


@dataclass(frozen=True, slots=True)
class Locked:
    """A session locked with its accounts: ``payer`` is the account its hold is on (the
    account's paying account when the session opened; ``account`` itself unless it
    spends from a shared balance)."""

    account: AnyRow
    payer: AnyRow
    session: AnyRow


def locked_session(conn: Connection, actor: Actor, session_id: str) -> Locked | None:
    """The caller's session with its accounts, locked (paying account, account, session).

    None when the session does not exist or is not the caller's: the caller
    cannot tell the two apart.
    """
    if actor.account_id is None:
        return None
    return lock_session(conn, session_id, owner=actor.account_id)


def lock_session(conn: Connection, session_id: str, *, owner: str | None = None) -> Locked | None:
    """Lock the session's paying account, its account, then the session (the lock order
    of every money move); None when there is no such session (of ``owner``, if given)."""
    found = conn.execute(
        select(sessions.c.account_id, holds.c.account_id.label("payer_id"))
        .join(holds, holds.c.hold_id == sessions.c.hold_id)
        .where(sessions.c.session_id == session_id)
    ).one_or_none()
    if found is None or (owner is not None and found.account_id != owner):
        return None
    payer = lock_account(conn, found.payer_id) if found.payer_id != found.account_id else None
    account = lock_account(conn, found.account_id)
    session = conn.execute(
        select(sessions).where(sessions.c.session_id == session_id).with_for_update()
    ).one()
    assert account is not None  # sessions reference existing accounts
    return Locked(account, account if payer is None else payer, session)


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


def announce(conn: Connection, session: AnyRow, *, payer_id: str, now: int) -> AnyRow:
    """Append the session's event (to its account's stream) and the paying account's
    ``balance`` event (to the payer's stream) after a change; returns the payer's row.

    The caller holds both rows' locks (:func:`lock_session`).
    """
    event = SessionEvent(
        session_id=session.session_id,
        state=SessionState(session.state),
        used_units=session.used_units,
        charged=session.charged,
        cause=session.cause,
    )
    append_event(conn, session.account_id, EventType.SESSION, event.model_dump(mode="json"), now)
    payer = lock_account(conn, payer_id)
    assert payer is not None
    append_balance(
        conn,
        payer_id,
        balance=int(payer.balance),
        reserved=int(payer.reserved),
        available=available(payer),
        now=now,
    )
    return payer


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
