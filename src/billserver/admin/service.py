"""Write side of the support API: status changes, adjustments, ending sessions.

Every function runs inside the caller's write transaction, locks the account row
first and then the session rows it changes (the lock order of every writer), and
writes its audit row in the same transaction as the change. Refusals raise
:class:`~billserver.errors.ApiError`.
"""

from __future__ import annotations

import uuid
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

from ..accounts import account_view, lock_account, lock_with_payer, refuse_if_retired
from ..db import AnyRow
from ..events import append_figures
from ..ledger import (
    SYS_ADJUSTMENTS,
    Actor,
    Refusal,
    Refused,
    Transfer,
    TransferKind,
    apply,
    customer_book,
)
from ..ledger import record as audit
from ..sessions import SessionPolicy, end_by_server, lock_session, resource
from ..tables import accounts, holds, sessions
from ..web import ApiError

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
    refuse_if_retired(
        account,
        "keeps that standing until the operator lists it in the catalogue again; "
        "support cannot change its status",
    )
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
            # members' rows after this one (their payer)
            record = lock_session(conn, session_id, owner=None, order=policy.order)
            if record is None or record.state != SessionState.ACTIVE.value:
                continue
            end_by_server(conn, actor, record, EndCause.ACCOUNT_INACTIVE, now=now, policy=policy)
            ended.append(session_id)
    if account.status != status.value:
        conn.execute(
            update(accounts).where(accounts.c.account_id == account_id).values(status=status.value)
        )
    audit(
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

    A debit the ledger refuses (beyond the account's ``available``) is 402.
    """
    refuse_if_retired(_locked_account(conn, account_id), "cannot be adjusted")
    book = customer_book(account_id)
    debit, credit = (SYS_ADJUSTMENTS, book) if body.amount > 0 else (book, SYS_ADJUSTMENTS)
    move = Transfer(
        f"adjustment:{uuid.uuid4()}",
        TransferKind.ADJUSTMENT,
        debit,
        credit,
        abs(body.amount),
        body.reason,
    )
    try:
        after = apply(conn, actor, [move], now=now).of(account_id)
    except Refused as refused:
        if refused.reason is not Refusal.INSUFFICIENT_FUNDS:
            raise
        raise ApiError(
            ErrorCode.INSUFFICIENT_FUNDS,
            f"a debit of {format_money(-body.amount)} exceeds the available "
            f"{format_money(max(refused.available, 0))}",
        ) from None
    append_figures(conn, account_id, after, now=now)
    audit(
        conn,
        actor,
        "account.adjust",
        account_id=account_id,
        now=now,
        transfer_id=move.transfer_id,
        amount=body.amount,
        reason=body.reason,
    )
    return AdjustmentResult(
        adjustment_id=move.transfer_id,
        account_id=account_id,
        amount=body.amount,
        reason=body.reason,
        balance=after.balance,
        available=after.available,
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
    record = lock_session(conn, session_id, owner=None, order=policy.order)
    if record is None:
        raise ApiError(ErrorCode.NOT_FOUND, f"no session {session_id}")
    owner = record.account_id
    if record.state != SessionState.ACTIVE.value:
        raise ApiError(
            ErrorCode.SESSION_ENDED,
            f"the session already ended ({record.cause})",
            session=resource(record._mapping, int(record.hold_remaining)),
        )
    answer = end_by_server(conn, actor, record, EndCause.SUPPORT, now=now, policy=policy)
    audit(
        conn,
        actor,
        "session.end_by_support",
        account_id=owner,
        now=now,
        session_id=session_id,
        reason=reason,
    )
    return answer
