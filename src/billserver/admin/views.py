"""Read side of the support API: searches and views over any account.

Every function reads in the caller's transaction and returns wire models; list
functions return one page of rows and the sort key of the last one (the cursor).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, and_, or_, select

from billclient.protocol import (
    AccountDetail,
    AccountKind,
    AccountStatus,
    AccountSummary,
    AuditEntry,
    ErrorCode,
    LiveSession,
    SessionState,
)

from ..accounts import account_view, read_account
from ..cdrs import cdr_view
from ..clock import from_us
from ..db import AnyRow
from ..sessions import SESSION_COLUMNS, session_view
from ..tables import accounts, audit_log, cdrs, holds, plan_versions, sessions, users
from ..web import ApiError, Page

__all__ = [
    "LAST_CDRS",
    "account_detail",
    "audit_entries",
    "checked_text",
    "describe_rate",
    "live_sessions",
    "search_accounts",
]

LAST_CDRS = 20
"""How many of the newest CDRs the account view shows."""

_UNIT_NAMES = {"second": ("second", "s"), "byte": ("byte", "B"), "event": ("event", "events")}


def checked_text(value: str, what: str) -> str:
    """``value`` unless it holds a NUL character (no database stores one in text): 422."""
    if "\x00" in value:
        raise ApiError(ErrorCode.VALIDATION_ERROR, f"{what} must not contain NUL characters")
    return value


def search_accounts(
    conn: Connection, q: str | None, page: Page
) -> tuple[list[AccountSummary], list[Any] | None]:
    """Accounts whose id, name or one of whose logins contains ``q`` (any case), by id."""
    query = select(accounts).order_by(accounts.c.account_id).limit(page.limit)
    if q:
        by_login = select(users.c.account_id).where(
            users.c.account_id.is_not(None), users.c.login.icontains(q, autoescape=True)
        )
        query = query.where(
            or_(
                accounts.c.account_id.icontains(q, autoescape=True),
                accounts.c.name.icontains(q, autoescape=True),
                accounts.c.account_id.in_(by_login),
            )
        )
    after = page.key(str)
    if after is not None:
        query = query.where(accounts.c.account_id > after[0])
    rows = conn.execute(query).all()
    logins: dict[str, list[str]] = {row.account_id: [] for row in rows}
    if rows:
        for login, account_id in conn.execute(
            select(users.c.login, users.c.account_id)
            .where(users.c.account_id.in_(list(logins)))
            .order_by(users.c.login)
        ):
            logins[account_id].append(login)
    items = [
        AccountSummary(
            account_id=row.account_id,
            name=row.name,
            status=AccountStatus.INACTIVE if row.retired else AccountStatus(row.status),
            kind=AccountKind(row.kind),
            logins=logins[row.account_id],
        )
        for row in rows
    ]
    return items, [rows[-1].account_id] if rows else None


def account_detail(conn: Connection, account_id: str) -> AccountDetail:
    """The account's figures, its active sessions (oldest first) and its newest CDRs.

    The active sessions are those holding the account's money: its own, and those of
    members spending from its balance (a shared balance), whose holds its ``reserved``
    counts; a member's own detail lists its sessions too."""
    row = read_account(conn, account_id)
    if row is None:
        raise ApiError(ErrorCode.NOT_FOUND, f"no account {account_id!r}")
    active = conn.execute(
        select(*SESSION_COLUMNS, holds.c.remaining)
        .join(holds, holds.c.hold_id == sessions.c.hold_id)
        .where(
            or_(sessions.c.account_id == account_id, holds.c.account_id == account_id),
            sessions.c.state == SessionState.ACTIVE.value,
        )
        .order_by(sessions.c.started_at, sessions.c.session_id)
    ).all()
    last = conn.execute(
        select(cdrs)
        .where(cdrs.c.account_id == account_id)
        .order_by(cdrs.c.ended_at.desc(), cdrs.c.created_at.desc(), cdrs.c.cdr_id.desc())
        .limit(LAST_CDRS)
    ).all()
    return AccountDetail(
        **dict(account_view(row)),
        active_sessions=[session_view(s._mapping, int(s.remaining)) for s in active],
        last_cdrs=[cdr_view(c) for c in last],
    )


def live_sessions(
    conn: Connection, state: SessionState, account_id: str | None, page: Page
) -> tuple[list[LiveSession], list[Any] | None]:
    """The service manager: sessions in ``state`` (of one account, or all), oldest first."""
    query = (
        select(*SESSION_COLUMNS, plan_versions.c.rates, accounts.c.currency)
        .join(plan_versions, plan_versions.c.id == sessions.c.plan_version_id)
        .join(accounts, accounts.c.account_id == sessions.c.account_id)
        .where(sessions.c.state == state.value)
        .order_by(sessions.c.started_at, sessions.c.session_id)
        .limit(page.limit)
    )
    if account_id is not None:
        query = query.where(sessions.c.account_id == account_id)
    after = page.key(int, str)
    if after is not None:
        started, session_id = after
        query = query.where(
            or_(
                sessions.c.started_at > started,
                and_(sessions.c.started_at == started, sessions.c.session_id > session_id),
            )
        )
    rows = conn.execute(query).all()
    items = [_live(row) for row in rows]
    return items, [rows[-1].started_at, rows[-1].session_id] if rows else None


def _live(row: AnyRow) -> LiveSession:
    stored = row.rates.get(row.service_id)
    return LiveSession(
        session_id=row.session_id,
        account_id=row.account_id,
        user=row.login,
        service_id=row.service_id,
        rate=describe_rate(stored, row.currency) if stored is not None else "not rated",
        endpoint=None,
        started_at=from_us(row.started_at),
        used_units=row.used_units,
        charged=row.charged,
        state=SessionState(row.state),
        ended_at=from_us(row.ended_at) if row.ended_at is not None else None,
        cause=row.cause,
    )


def audit_entries(
    conn: Connection, account_id: str | None, actor: str | None, page: Page
) -> tuple[list[AuditEntry], list[Any] | None]:
    """Audit rows, newest first, of one account and/or one actor login (or all)."""
    query = select(audit_log).order_by(audit_log.c.audit_id.desc()).limit(page.limit)
    if account_id is not None:
        query = query.where(audit_log.c.account_id == account_id)
    if actor is not None:
        query = query.where(audit_log.c.actor == actor)
    after = page.key(int)
    if after is not None:
        query = query.where(audit_log.c.audit_id < after[0])
    rows = conn.execute(query).all()
    items = [
        AuditEntry(
            audit_id=str(row.audit_id),
            at=from_us(row.at),
            actor=row.actor,
            device_id=row.device_id,
            server_id=row.server_id,
            action=row.action,
            account_id=row.account_id,
            details=dict(row.details),
        )
        for row in rows
    ]
    return items, [rows[-1].audit_id] if rows else None


def describe_rate(stored: Mapping[str, Any], currency: str) -> str:
    """A short human description of a stored rate.

    For example ``"0.06 EUR per 60 s, first 60 s, setup 0.01"``.
    """
    unit = str(stored.get("unit", ""))

    def amount(count: int) -> str:
        one, many = _UNIT_NAMES.get(unit, (unit, unit))
        return one if count == 1 else f"{count} {many}"

    parts = [f"{stored['price']} {currency} per {amount(int(stored['per']))}"]
    if int(stored["first_increment"]) > 1:
        parts.append(f"first {amount(int(stored['first_increment']))}")
    if int(stored["increment"]) > 1:
        parts.append(f"then by {amount(int(stored['increment']))}")
    if stored.get("setup_fee", "0") != "0":
        parts.append(f"setup {stored['setup_fee']}")
    if stored.get("min_charge", "0") != "0":
        parts.append(f"minimum {stored['min_charge']}")
    for window in stored.get("windows", []):
        days = ",".join(window["days"])
        parts.append(f"{window['price']} {days} {window['start']}-{window['end']}")
    return ", ".join(parts)
