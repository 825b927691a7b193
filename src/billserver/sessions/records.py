"""A session's record: the one locked read, the one row writer, its events and resource.

:func:`lock_session` is how every path reads a session it may change (the next
update, an end, late usage, the reaper, support and suspension): one statement
returning the session with its hold and the figures of the account the hold is on
(the *paying* account: the session's own unless it spends from a shared balance),
locked in the lock order of every money move (paying account, account, session).
:func:`save` is the one ``UPDATE`` of a session row.

In a transaction that defers its writes (:mod:`billserver.db.deferred`), a saved
session row is written at the end; the record read of a session with a pending row
runs the pending writes first, and the paying account's figures and the session
account's spending counters are read as the pending writes leave them.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Select, Update, bindparam, case, func, select, update

from billclient.protocol import EndCause, SessionState, session_data

from ..accounts import LockOrder
from ..db import AnyRow
from ..db.deferred import deferred, pending_key
from ..db.driver import run
from ..events.store import append_session_change, latest_balance_data
from ..ledger import (
    AccountState,
    Figures,
    HoldState,
    LimitState,
    limit_columns,
    pending_figures,
)
from ..tables import accounts, holds, plan_versions, sessions
from .views import SESSION_COLUMNS, session_view

__all__ = [
    "announce",
    "hold_of",
    "limits_of",
    "lock_session",
    "payer_of",
    "prefetch",
    "resource",
    "save",
    "with_server",
]

_LOCK_ACCOUNT = (
    select(accounts.c.account_id)
    .where(accounts.c.account_id == bindparam("b_account"))
    .with_for_update()
)


_SPENDER = accounts.alias("spender")
"""The session's own account: its spending limits (the paying account may be another)."""


def _record_query() -> Select[Any]:
    return select(
        *SESSION_COLUMNS,
        holds.c.account_id.label("payer_id"),
        holds.c.state.label("hold_state"),
        holds.c.remaining.label("hold_remaining"),
        accounts.c.kind,
        accounts.c.balance,
        accounts.c.reserved,
        accounts.c.credit_limit,
        accounts.c.retired,
        accounts.c.low_balance_threshold,
        case(
            (
                accounts.c.low_balance_threshold.is_not(None),
                latest_balance_data(accounts.c.account_id),
            ),
            else_=None,
        ).label("previous_balance"),
        plan_versions.c.plan_id,
        plan_versions.c.version.label("plan_version"),
        holds.c.spender_id.label("hold_spender"),
        *limit_columns(_SPENDER),
    ).select_from(
        sessions.join(holds, holds.c.hold_id == sessions.c.hold_id)
        .join(accounts, accounts.c.account_id == holds.c.account_id)
        .join(plan_versions, plan_versions.c.id == sessions.c.plan_version_id)
        .join(_SPENDER, _SPENDER.c.account_id == sessions.c.account_id)
    )


_RECORD = _record_query().where(sessions.c.session_id == bindparam("b_session"))
_READ_AHEAD = func.json_each(bindparam("b_ids")).table_valued("value")
_RECORDS = _record_query().where(sessions.c.session_id.in_(select(_READ_AHEAD.c.value)))
"""The records of a JSON array of session ids (SQLite's ``json_each``: one statement
whatever their number)."""
_RECORD_LOCKED = _RECORD.with_for_update(of=[sessions, holds])
_OWNER = select(sessions.c.account_id).where(sessions.c.session_id == bindparam("b_session"))


def lock_session(
    conn: Connection, session_id: str, *, owner: str | None, order: LockOrder
) -> AnyRow | None:
    """The session's record, locked (see the module); None when there is no such session,
    or it is not ``owner``'s (the caller cannot tell the two apart).

    SQLite's ``BEGIN IMMEDIATE`` already holds the database: one statement. On
    PostgreSQL the account rows are locked first: the paying account as ``order``
    knows it (no extra statement for an account without a shared balance), then the
    session's account, then the record is read locked; should the session's hold be on
    another account than the one expected, that account is locked (out of the usual
    order, once) and the record read again.
    """
    params = {"b_session": session_id}
    later = deferred(conn)
    if later is not None and pending_key("session", session_id) in later.memo:
        later.flush(conn)  # reported twice in one transaction: read it as written
    if conn.dialect.name == "sqlite":
        row = None if later is None else later.memo.pop(pending_key("record", session_id), None)
        if row is None:
            row = run(conn, _RECORD, params).one_or_none()
        if row is None or owner not in (None, row.account_id):
            return None
        return _as_pending(conn, row) if later is not None else row
    account_id = owner
    if account_id is None:
        account_id = run(conn, _OWNER, params).scalar_one_or_none()
        if account_id is None:
            return None
    payer = order.payer(conn, account_id)
    if payer != account_id:
        run(conn, _LOCK_ACCOUNT, {"b_account": payer})
    run(conn, _LOCK_ACCOUNT, {"b_account": account_id})
    row = run(conn, _RECORD_LOCKED, params).one_or_none()
    if row is None or row.account_id != account_id:
        return None
    if row.payer_id != payer:
        run(conn, _LOCK_ACCOUNT, {"b_account": row.payer_id})
        row = run(conn, _RECORD_LOCKED, params).one()
    return _as_pending(conn, row) if later is not None else row


def _as_pending(conn: Connection, row: AnyRow) -> AnyRow:
    """The record with the paying account's figures and the session account's
    spending counters as the transaction's pending writes leave them."""
    columns = row._mapping
    paying = pending_figures(conn, row.payer_id)
    if paying is not None:
        columns["balance"], columns["reserved"] = paying["balance"], paying["reserved"]
    spending = pending_figures(conn, row.account_id)
    if spending is not None:
        columns.update((name, value) for name, value in spending.items() if name in _COUNTERS)
    return row


_COUNTERS = frozenset(LimitState.COLUMNS)


def prefetch(conn: Connection, session_ids: Sequence[str]) -> None:
    """Read the records of ``session_ids`` in one statement for the :func:`lock_session`
    calls that follow in this transaction (SQLite, whose ``BEGIN IMMEDIATE`` already
    holds the database, in a transaction that defers its writes; a no-op otherwise).
    A record read ahead serves one call, as long as nothing was written in between
    (a flush of the pending writes forgets it)."""
    later = deferred(conn)
    if later is None or conn.dialect.name != "sqlite" or len(session_ids) < 2:
        return
    later.flush(conn)
    for row in run(conn, _RECORDS, {"b_ids": json.dumps(list(session_ids))}):
        later.memo[pending_key("record", row.session_id)] = row


def payer_of(record: AnyRow) -> AccountState:
    """The paying account's figures as the record read them (under lock), with its
    spending limits when it is the session's own account."""
    return AccountState(
        record.payer_id,
        record.kind,
        int(record.balance),
        int(record.reserved),
        int(record.credit_limit),
        bool(record.retired),
        limits_of(record) if record.payer_id == record.account_id else None,
    )


def limits_of(record: AnyRow) -> LimitState:
    """The spending limits of the session's own account, as the record read them."""
    return LimitState.of(record)


def hold_of(record: AnyRow) -> HoldState:
    """The session's hold as the record read it (under lock)."""
    return HoldState(
        record.hold_id,
        record.payer_id,
        record.hold_state,
        int(record.hold_remaining),
        record.hold_spender,
    )


_SAVED = frozenset(
    {
        "last_seq",
        "used_units",
        "unbilled_units",
        "charged",
        "servers",
        "last_activity",
        "granted_units",
        "final",
        "deadline",
        "state",
        "ended_at",
        "cause",
        "cdr_id",
        "late_until",
        "last_report",
    }
)
"""The columns of a session row that change after it was opened."""


@functools.cache
def _save_statement(columns: tuple[str, ...]) -> Update:
    """The ``UPDATE`` of these columns (built once per set: a handful of sets exist)."""
    return (
        update(sessions)
        .where(sessions.c.session_id == bindparam("b_session"))
        .values({name: bindparam(f"b_{name}", type_=sessions.c[name].type) for name in columns})
    )


def save(conn: Connection, record: AnyRow, **changes: Any) -> dict[str, Any]:
    """Write ``changes`` to the session's row; returns the row as it is now (the record's
    mapping with the changes)."""
    unknown = changes.keys() - _SAVED
    if unknown:
        raise ValueError(f"not a changing column of a session: {sorted(unknown)}")
    columns = tuple(sorted(changes))
    row = {"b_session": record.session_id, **{f"b_{name}": changes[name] for name in columns}}
    later = deferred(conn)
    if later is not None and later.writing:
        later.add(_save_statement(columns), row)
        later.memo[pending_key("session", record.session_id)] = True
    else:
        run(conn, _save_statement(columns), row)
    return {**record._mapping, **changes}


def with_server(record: AnyRow, server_id: str) -> list[str]:
    """The session's list of handling servers with ``server_id`` added."""
    servers = list(record.servers)
    if server_id not in servers:
        servers.append(server_id)
    return servers


def announce(
    conn: Connection, record: AnyRow, session: Mapping[Any, Any], figures: Figures, *, now: int
) -> None:
    """The ``session`` event (to the session's account) and the paying account's
    ``balance`` event (with a ``low_balance`` notice when it crosses the threshold),
    after a change; the caller holds both accounts' locks (:func:`lock_session`)."""
    cause = session["cause"]
    append_session_change(
        conn,
        record.account_id,
        session_data(
            record.session_id,
            SessionState(session["state"]),
            session["used_units"],
            session["charged"],
            EndCause(cause) if cause else None,
        ),
        figures,
        payer_id=record.payer_id,
        threshold=record.low_balance_threshold,
        previous=record.previous_balance,
        now=now,
    )


def resource(session: Mapping[Any, Any], reserved: int) -> dict[str, Any]:
    """The session resource as JSON; ``reserved`` is its hold's remaining amount."""
    return session_view(session, reserved).model_dump(mode="json")
