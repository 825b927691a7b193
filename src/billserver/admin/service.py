"""Write side of the support API: status changes, adjustments, ending sessions.

Every function runs inside the caller's write transaction, locks the account row
first and then the session rows it changes (the lock order of every writer), and
writes its audit row in the same transaction as the change. Refusals raise
:class:`~billserver.errors.ApiError`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, or_, select, update

from billclient.protocol import (
    Account,
    AccountStatus,
    Adjustment,
    AdjustmentResult,
    EndCause,
    ErrorCode,
    SessionState,
)
from billclient.protocol.money import format_money

from ..accounts.figures import account_view, available, lock_account
from ..accounts.payer import lock_with_payer
from ..db import AnyRow
from ..events import append_balance
from ..ledger import SYS_ADJUSTMENTS, customer_book, transfer
from ..ledger.actor import Actor
from ..ledger.audit import record
from ..sessions.records import lock_session, reload, resource
from ..sessions.service import SessionPolicy, end_by_server
from ..tables import accounts, holds, sessions
from ..web.problems import ApiError

__all__ = ["adjust", "change_status", "end_session"]


def _locked_account(conn: Connection, account_id: str) -> AnyRow:
    account = lock_account(conn, account_id)
    if account is None:
        raise ApiError(ErrorCode.NOT_FOUND, f"no account {account_id!r}")
    return account


def change_status(
    conn: Connection,
    actor: Actor,
    account_id: str,
    status: AccountStatus,
    *,
    now: int,
    policy: SessionPolicy,
) -> Account:
    """Set the account's status; any status but ``active`` ends its live sessions.

    Those sessions end with cause ``account_inactive``, charged for their last
    reported usage, each with its CDR: the account's own sessions, and those of
    members spending from its balance (a shared balance). Returns the account as it
    is afterwards.
    """
    rows = lock_with_payer(conn, account_id)  # its paying account first: the lock order
    if rows is None:
        raise ApiError(ErrorCode.NOT_FOUND, f"no account {account_id!r}")
    account = rows[0]
    ended: list[str] = []
    if status is not AccountStatus.ACTIVE:
        live = conn.execute(
            select(sessions.c.session_id)
            .join(holds, holds.c.hold_id == sessions.c.hold_id)
            .where(
                or_(sessions.c.account_id == account_id, holds.c.account_id == account_id),
                sessions.c.state == SessionState.ACTIVE.value,
            )
            .order_by(sessions.c.account_id, sessions.c.session_id)
        ).all()
        for (session_id,) in live:
            locked = lock_session(conn, session_id)  # members' rows after this (their payer)
            if locked is None or locked.session.state != SessionState.ACTIVE.value:
                continue
            end_by_server(conn, actor, locked, EndCause.ACCOUNT_INACTIVE, now=now, policy=policy)
            ended.append(session_id)
    if account.status != status.value:
        conn.execute(
            update(accounts).where(accounts.c.account_id == account_id).values(status=status.value)
        )
    record(
        conn,
        actor,
        "account.status",
        account_id=account_id,
        now=now,
        old=account.status,
        new=status.value,
        ended_sessions=ended,
    )
    return account_view(_locked_account(conn, account_id))


def adjust(
    conn: Connection, actor: Actor, account_id: str, body: Adjustment, *, now: int
) -> dict[str, Any]:
    """Credit (positive amount) or debit (negative) the account; the answer as JSON.

    A debit larger than the account's ``available`` is refused with 402.
    """
    account = _locked_account(conn, account_id)
    book = customer_book(account_id)
    if body.amount > 0:
        debit, credit = SYS_ADJUSTMENTS, book
    else:
        funds = available(account)
        if -body.amount > funds:
            raise ApiError(
                ErrorCode.INSUFFICIENT_FUNDS,
                f"a debit of {format_money(-body.amount)} exceeds the available "
                f"{format_money(max(funds, 0))}",
            )
        debit, credit = book, SYS_ADJUSTMENTS
    transfer_id = transfer(
        conn,
        actor,
        kind="adjustment",
        debit=debit,
        credit=credit,
        amount=abs(body.amount),
        memo=body.reason,
        now=now,
    )
    after = _locked_account(conn, account_id)
    append_balance(
        conn,
        account_id,
        balance=int(after.balance),
        reserved=int(after.reserved),
        available=available(after),
        now=now,
    )
    record(
        conn,
        actor,
        "account.adjust",
        account_id=account_id,
        now=now,
        transfer_id=transfer_id,
        amount=body.amount,
        reason=body.reason,
    )
    return AdjustmentResult(
        adjustment_id=transfer_id,
        account_id=account_id,
        amount=body.amount,
        reason=body.reason,
        balance=int(after.balance),
        available=available(after),
    ).model_dump(mode="json")


def end_session(
    conn: Connection,
    actor: Actor,
    session_id: str,
    reason: str,
    *,
    now: int,
    policy: SessionPolicy,
) -> dict[str, Any]:
    """End an active session with cause ``support``; returns the session resource.

    A session that has already ended is 409 ``session_ended`` with its resource.
    """
    locked = lock_session(conn, session_id)  # paying account, account, session
    if locked is None:
        raise ApiError(ErrorCode.NOT_FOUND, f"no session {session_id}")
    session, owner = locked.session, locked.account.account_id
    if session.state != SessionState.ACTIVE.value:
        raise ApiError(
            ErrorCode.SESSION_ENDED,
            f"the session already ended ({session.cause})",
            session=resource(conn, session),
        )
    end_by_server(conn, actor, locked, EndCause.SUPPORT, now=now, policy=policy)
    record(
        conn,
        actor,
        "session.end_by_support",
        account_id=owner,
        now=now,
        session_id=session_id,
        reason=reason,
    )
    return resource(conn, reload(conn, session_id))
