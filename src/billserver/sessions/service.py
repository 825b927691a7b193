"""Credit-control sessions: open, report usage (update / end), and server-side ends.

Every function runs inside the caller's write transaction and raises
:class:`~billserver.errors.ApiError` for refusals. Order of checks for usage
reports (PROTOCOL.md): the session is the caller's (404); it has ended (409,
except an exact replay of the ending call, and late usage); ``seq``; the body.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, bindparam, case, insert, select, update

from billclient.protocol import (
    AccountStatus,
    Action,
    BalanceEvent,
    ClientEndCause,
    EndCause,
    ErrorCode,
    SessionCreated,
    SessionEvent,
    SessionState,
    UpdateResult,
)
from billclient.rating import Rate, billed_units, charge

from ..accounts.figures import available, lock_account
from ..accounts.payer import cached_payer, lock_with_payer
from ..clock import from_us, to_us
from ..db import AnyRow
from ..events import append_notice, session_terminated_notice
from ..events.store import append_session_change, latest_balance_data
from ..ledger import (
    SYS_REVENUE,
    charge_session,
    close_hold,
    create_hold,
    customer_book,
    post_from_hold,
    transfer,
)
from ..ledger.actor import Actor
from ..ledger.audit import record
from ..plans import current_plan_version, rate_of, version_rate
from ..tables import accounts, holds, plan_versions, services, session_updates, sessions
from ..web.problems import ApiError
from .grants import next_grant, settle
from .records import (
    Locked,
    announce,
    hold_remaining,
    locked_session,
    reload,
    resource,
    with_server,
    write_cdr,
)

__all__ = ["Report", "SessionPolicy", "end_by_server", "open_session", "report_usage"]

_US = 1_000_000
_WALL_SLACK_US = 2 * _US


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    """Server settings that shape sessions."""

    late_usage_us: int
    server_id: str


@dataclass(frozen=True, slots=True)
class Report:
    """A usage report: an update (``cause`` None) or an end."""

    seq: int
    used_units: int
    cause: ClientEndCause | None = None
    measured_at: datetime | None = None

    @property
    def kind(self) -> str:
        """``update`` or ``end``."""
        return "update" if self.cause is None else "end"


def open_session(
    conn: Connection, actor: Actor, service_id: str, *, now: int, policy: SessionPolicy
) -> dict[str, Any]:
    """Open a session with its first grant; the answer of ``POST /v1/sessions``."""
    rows = lock_with_payer(conn, actor.account_id) if actor.account_id else None
    if rows is None:
        raise ApiError(ErrorCode.NOT_FOUND, "this login has no account to open sessions on")
    account, payer = rows
    for row in {account.account_id: account, payer.account_id: payer}.values():
        if row.retired or row.status != AccountStatus.ACTIVE.value:
            whose = "account" if row is account else f"paying account {row.account_id!r}"
            raise ApiError(
                ErrorCode.ACCOUNT_INACTIVE, f"the {whose} is {row.status}; it cannot open sessions"
            )
    plan = current_plan_version(conn, account.plan_id)
    service = conn.execute(
        select(services).where(services.c.service_id == service_id, services.c.retired.is_(False))
    ).one_or_none()
    rate = rate_of(plan, service_id) if plan is not None and service is not None else None
    if plan is None or service is None or rate is None:
        raise ApiError(
            ErrorCode.SERVICE_NOT_IN_PLAN, f"the account's plan does not offer {service_id!r}"
        )
    start = from_us(now)
    funds = available(payer)
    if charge(rate, start, 1) > funds:
        raise ApiError(
            ErrorCode.INSUFFICIENT_FUNDS,
            f"one unit of {service_id!r} costs more than the available balance; top up first",
        )
    grant = next_grant(rate, start, 0, 0, funds, int(service.grant_units))
    session_id = str(uuid.uuid4())
    hold_id = create_hold(
        conn, account_id=payer.account_id, session_id=session_id, amount=grant.hold, now=now
    )
    interval = int(service.update_interval)
    conn.execute(
        insert(sessions).values(
            session_id=session_id,
            account_id=account.account_id,
            login=actor.login,
            device_id=actor.device_id,
            service_id=service_id,
            plan_version_id=plan.id,
            hold_id=hold_id,
            unit=rate.unit.value,
            grant_units=int(service.grant_units),
            update_interval=interval,
            state=SessionState.ACTIVE.value,
            started_at=now,
            last_activity=now,
            deadline=now + 3 * interval * _US,
            last_seq=0,
            used_units=0,
            unbilled_units=0,
            charged=0,
            granted_units=grant.granted_units,
            final=grant.final,
            servers=[policy.server_id],
        )
    )
    after = announce(conn, reload(conn, session_id), payer_id=payer.account_id, now=now)
    created = SessionCreated(
        session_id=session_id,
        service_id=service_id,
        state=SessionState.ACTIVE,
        started_at=start,
        granted_units=grant.granted_units,
        update_interval=interval,
        used_units=0,
        charged=0,
        reserved=grant.hold,
        available=available(after),
        final=grant.final,
        gateway=None,
    )
    return created.model_dump(mode="json")


def report_usage(
    conn: Connection,
    actor: Actor,
    session_id: str,
    report: Report,
    *,
    now: int,
    policy: SessionPolicy,
) -> dict[str, Any]:
    """Apply an update or end call; returns the JSON answer (stored for replays).

    The common case, the next update of an active session, reads everything it needs
    in one statement and writes each row it changes once (:func:`_apply_update`);
    replays, ends and late usage take the general path.
    """
    if actor.account_id is None:
        raise ApiError(ErrorCode.NOT_FOUND, f"no session {session_id}")
    if report.cause is None:
        current = _read_for_update(conn, actor.account_id, session_id)
        if current is None:
            raise ApiError(ErrorCode.NOT_FOUND, f"no session {session_id}")
        if current.state == SessionState.ACTIVE.value and report.seq == current.last_seq + 1:
            _check_body(current, report, now)
            return _apply_update(conn, actor, current, report, now=now, policy=policy)
    locked = locked_session(conn, actor, session_id)
    if locked is None:
        raise ApiError(ErrorCode.NOT_FOUND, f"no session {session_id}")
    payer, session = locked.payer, locked.session
    if session.state == SessionState.ENDED.value:
        if report.seq == session.last_seq:
            # the call that ended the session, or a late-usage call accepted after the end
            replay = _replay(conn, session, report, accepted_after=session.ended_at)
            if replay is not None and (report.cause is not None or replay.late):
                return replay.answer
        if not _accepts_late_usage(session, report, now):
            raise ApiError(
                ErrorCode.SESSION_ENDED,
                f"the session ended ({session.cause})",
                session=resource(conn, session),
            )
        _check_body(session, report, now)
        return _late_usage(conn, actor, payer, session, report, now=now, policy=policy)
    if report.seq == session.last_seq:
        replay = _replay(conn, session, report, accepted_after=None)
        if replay is None:
            raise ApiError(
                ErrorCode.SEQ_CONFLICT,
                f"seq {report.seq} was already accepted with other figures",
            )
        return replay.answer
    if report.seq < session.last_seq:
        raise ApiError(
            ErrorCode.STALE_SEQ, f"seq {report.seq} is older than the last ({session.last_seq})"
        )
    if report.seq != session.last_seq + 1:
        raise ApiError(
            ErrorCode.SEQ_CONFLICT,
            f"seq {report.seq} skips ahead; the next seq is {session.last_seq + 1}",
        )
    _check_body(session, report, now)
    if report.cause is None:  # the session changed since the first read (not on SQLite)
        current = _read_for_update(conn, session.account_id, session_id)
        assert current is not None
        return _apply_update(conn, actor, current, report, now=now, policy=policy)
    return _end(conn, actor, payer, session, report, now=now, policy=policy)


def end_by_server(
    conn: Connection,
    actor: Actor,
    locked: Locked,
    cause: EndCause,
    *,
    now: int,
    policy: SessionPolicy,
) -> None:
    """End an active session for the server's own reason (timeout, suspension, support).

    It is charged for the last reported usage (already posted); the hold (on the paying
    account) is released. ``locked`` comes from :func:`~.records.lock_session`.
    """
    session = locked.session
    late_until = now + policy.late_usage_us if cause is EndCause.UPDATE_TIMEOUT else None
    close_hold(conn, session.hold_id, now=now)
    conn.execute(
        update(sessions)
        .where(sessions.c.session_id == session.session_id)
        .values(
            state=SessionState.ENDED.value,
            ended_at=now,
            cause=cause.value,
            deadline=None,
            late_until=late_until,
            servers=with_server(session, policy.server_id),
        )
    )
    _finish(conn, session.session_id, payer_id=locked.payer.account_id, now=now)
    notice = session_terminated_notice(session.session_id, cause)
    append_notice(conn, session.account_id, notice, now)
    record(
        conn,
        actor,
        "session.end",
        account_id=session.account_id,
        now=now,
        session_id=session.session_id,
        cause=cause.value,
    )


_LOCK_ACCOUNT = (
    select(accounts.c.account_id)
    .where(accounts.c.account_id == bindparam("b_account"))
    .with_for_update()
)


def _session_state_query() -> Select[Any]:
    """The session, its hold, and the figures of the account the hold is on (the paying
    account: the session's own account unless it spends from a shared balance)."""
    return (
        select(
            sessions,
            holds.c.account_id.label("payer_id"),
            accounts.c.kind,
            accounts.c.balance,
            accounts.c.reserved,
            accounts.c.credit_limit,
            accounts.c.low_balance_threshold,
            holds.c.remaining.label("hold_remaining"),
            case(
                (
                    accounts.c.low_balance_threshold.is_not(None),
                    latest_balance_data(accounts.c.account_id),
                ),
                else_=None,
            ).label("previous_balance"),
        )
        .select_from(
            sessions.join(holds, holds.c.hold_id == sessions.c.hold_id).join(
                accounts, accounts.c.account_id == holds.c.account_id
            )
        )
        .where(
            sessions.c.session_id == bindparam("b_session"),
            sessions.c.account_id == bindparam("b_account"),
        )
    )


_SESSION_STATE = _session_state_query()
_SESSION_STATE_LOCKED = _SESSION_STATE.with_for_update(of=[sessions, holds])


def _read_for_update(conn: Connection, account_id: str, session_id: str) -> AnyRow | None:
    """The session with its paying account's figures and its hold, locked: accounts first.

    SQLite's ``BEGIN IMMEDIATE`` already holds the database, so one statement; on
    PostgreSQL the account rows are locked first (every writer's lock order: the paying
    account, then the account; the payer comes from the process's cache, so an account
    without a shared balance costs no extra statement), then the session and hold rows,
    and this last statement sees the latest committed rows.
    """
    params = {"b_account": account_id, "b_session": session_id}
    if conn.dialect.name == "sqlite":
        return conn.execute(_SESSION_STATE, params).one_or_none()
    payer = cached_payer(conn, account_id)
    if payer != account_id:
        conn.execute(_LOCK_ACCOUNT, {"b_account": payer})
    conn.execute(_LOCK_ACCOUNT, params)
    row = conn.execute(_SESSION_STATE_LOCKED, params).one_or_none()
    if row is not None and row.payer_id != payer:
        # the session opened under another hierarchy than the cached one: lock the
        # account its hold is on (out of the usual order, once) and read its figures again
        conn.execute(_LOCK_ACCOUNT, {"b_account": row.payer_id})
        row = conn.execute(_SESSION_STATE_LOCKED, params).one_or_none()
    return row


_UPDATE_SESSION = (
    update(sessions)
    .where(sessions.c.session_id == bindparam("b_session"))
    .values(
        last_seq=bindparam("b_seq"),
        used_units=bindparam("b_used"),
        unbilled_units=bindparam("b_unbilled"),
        charged=bindparam("b_charged"),
        servers=bindparam("b_servers", type_=sessions.c.servers.type),
        last_activity=bindparam("b_now"),
        granted_units=bindparam("b_granted"),
        final=bindparam("b_final"),
        deadline=bindparam("b_deadline"),
    )
)


def _apply_update(
    conn: Connection,
    actor: Actor,
    current: AnyRow,
    report: Report,
    *,
    now: int,
    policy: SessionPolicy,
) -> dict[str, Any]:
    """The next update of an active session, from the row of :func:`_read_for_update`."""
    rate = version_rate(conn, current.plan_version_id, current.service_id)
    assert rate is not None  # a session's plan version always rates its service
    start = from_us(current.started_at)
    charged, remaining = int(current.charged), int(current.hold_remaining)
    budget = charged + remaining + max(0, available(current))
    settled = settle(rate, start, report.used_units, budget)
    if settled.unbilled_units:
        granted, final, hold, action = int(current.granted_units), True, 0, Action.TERMINATE
    else:
        grant = next_grant(
            rate, start, report.used_units, settled.charged, budget, int(current.grant_units)
        )
        granted, final, hold = grant.granted_units, grant.final, grant.hold
        exhausted = final and report.used_units >= granted
        action = Action.TERMINATE if exhausted else Action.CONTINUE
    amount = settled.charged - charged
    covered = min(amount, remaining) if amount > 0 else 0
    figures = charge_session(
        conn,
        actor,
        account_id=current.payer_id,
        session_id=current.session_id,
        hold_id=current.hold_id,
        hold_remaining=remaining,
        from_hold=covered,
        direct=max(0, amount - covered),
        keep=hold,
        memo=f"{current.service_id} session {current.session_id}",
        now=now,
    )
    conn.execute(
        _UPDATE_SESSION,
        {
            "b_session": current.session_id,
            "b_seq": report.seq,
            "b_used": report.used_units,
            "b_unbilled": settled.unbilled_units,
            "b_charged": settled.charged,
            "b_servers": with_server(current, policy.server_id),
            "b_now": now,
            "b_granted": granted,
            "b_final": final,
            "b_deadline": now + 3 * int(current.update_interval) * _US,
        },
    )
    extra = int(current.credit_limit) if current.kind == "postpaid" else 0
    now_available = figures.balance - figures.reserved + extra
    append_session_change(
        conn,
        current.account_id,
        SessionEvent(
            session_id=current.session_id,
            state=SessionState.ACTIVE,
            used_units=report.used_units,
            charged=settled.charged,
            cause=None,
        ),
        BalanceEvent(balance=figures.balance, reserved=figures.reserved, available=now_available),
        payer_id=current.payer_id,
        threshold=current.low_balance_threshold,
        previous=current.previous_balance,
        now=now,
    )
    answer = UpdateResult(
        session_id=current.session_id,
        seq=report.seq,
        used_units=report.used_units,
        charged=settled.charged,
        granted_units=granted,
        reserved=hold,
        available=now_available,
        balance=figures.balance,
        final=final,
        action=action,
        reason="credit_exhausted" if action is Action.TERMINATE else None,
    ).model_dump(mode="json")
    _store_report(conn, current.session_id, report, answer, now=now, server_id=policy.server_id)
    return answer


def _end(
    conn: Connection,
    actor: Actor,
    payer: AnyRow,
    session: AnyRow,
    report: Report,
    *,
    now: int,
    policy: SessionPolicy,
) -> dict[str, Any]:
    """The call that ends an active session: final charge, hold released, CDR written."""
    assert report.cause is not None
    rate, start = _rate(conn, session), from_us(session.started_at)
    remaining = hold_remaining(conn, session.hold_id)
    budget = int(session.charged) + remaining + max(0, available(payer))
    settled = settle(rate, start, report.used_units, budget)
    amount = settled.charged - int(session.charged)
    _post(conn, actor, session, payer.account_id, amount, remaining, now=now)
    close_hold(conn, session.hold_id, now=now)
    conn.execute(
        update(sessions)
        .where(sessions.c.session_id == session.session_id)
        .values(
            last_seq=report.seq,
            used_units=report.used_units,
            unbilled_units=settled.unbilled_units,
            charged=settled.charged,
            servers=with_server(session, policy.server_id),
            last_activity=now,
            state=SessionState.ENDED.value,
            ended_at=now,
            cause=report.cause.value,
            deadline=None,
        )
    )
    answer = _finish(conn, session.session_id, payer_id=payer.account_id, now=now)
    _store_report(conn, session.session_id, report, answer, now=now, server_id=policy.server_id)
    return answer


def _late_usage(
    conn: Connection,
    actor: Actor,
    payer: AnyRow,
    session: AnyRow,
    report: Report,
    *,
    now: int,
    policy: SessionPolicy,
) -> dict[str, Any]:
    """Usage reported after an ``update_timeout`` end: charged up to the old grant."""
    rate, start = _rate(conn, session), from_us(session.started_at)
    budget = int(session.charged) + max(0, available(payer))
    settled = settle(rate, start, report.used_units, budget, cap=int(session.granted_units))
    amount = settled.charged - int(session.charged)
    _post(conn, actor, session, payer.account_id, amount, 0, now=now)
    changed = (report.used_units, settled.charged) != (session.used_units, session.charged)
    conn.execute(
        update(sessions)
        .where(sessions.c.session_id == session.session_id)
        .values(
            last_seq=report.seq,
            used_units=report.used_units,
            unbilled_units=settled.unbilled_units,
            charged=settled.charged,
            servers=with_server(session, policy.server_id),
            late_until=None if report.cause is not None else session.late_until,
        )
    )
    if changed:
        answer = _finish(conn, session.session_id, payer_id=payer.account_id, now=now)
    else:
        answer = resource(conn, reload(conn, session.session_id))
    if report.cause is None:
        after = lock_account(conn, payer.account_id)
        assert after is not None
        answer = UpdateResult(
            session_id=session.session_id,
            seq=report.seq,
            used_units=report.used_units,
            charged=settled.charged,
            granted_units=int(session.granted_units),
            reserved=0,
            available=available(after),
            balance=int(after.balance),
            final=True,
            action=Action.TERMINATE,
            reason=EndCause.UPDATE_TIMEOUT.value,
        ).model_dump(mode="json")
    _store_report(conn, session.session_id, report, answer, now=now, server_id=policy.server_id)
    return answer


def _finish(conn: Connection, session_id: str, *, payer_id: str, now: int) -> dict[str, Any]:
    """Write the (superseding) CDR of an ended session, announce it, return its resource.

    The CDR is the session's account's, whoever paid: a member's charges appear on its
    own line of the parent's invoice or statement."""
    session = reload(conn, session_id)
    plan = conn.execute(
        select(plan_versions).where(plan_versions.c.id == session.plan_version_id)
    ).one()
    rate = _rate(conn, session)
    billed = billed_units(rate, int(session.used_units) - int(session.unbilled_units))
    write_cdr(conn, session, plan=plan, rate_units=billed, now=now)
    session = reload(conn, session_id)
    announce(conn, session, payer_id=payer_id, now=now)
    return resource(conn, session)


def _post(
    conn: Connection,
    actor: Actor,
    session: AnyRow,
    payer_id: str,
    amount: int,
    from_hold: int,
    *,
    now: int,
) -> None:
    """Charge ``amount``: out of the hold first, the rest directly from the paying
    account's balance (the account the hold is on)."""
    if amount <= 0:
        return
    memo = f"{session.service_id} session {session.session_id}"
    covered = min(amount, from_hold)
    if covered:
        post_from_hold(
            conn,
            actor,
            session.hold_id,
            covered,
            memo=memo,
            now=now,
            session_id=session.session_id,
        )
    if amount > covered:
        transfer(
            conn,
            actor,
            kind="charge",
            debit=customer_book(payer_id),
            credit=SYS_REVENUE,
            amount=amount - covered,
            memo=memo,
            now=now,
            session_id=session.session_id,
        )


def _rate(conn: Connection, session: AnyRow) -> Rate:
    rate = version_rate(conn, session.plan_version_id, session.service_id)
    assert rate is not None  # a session's plan version always rates its service
    return rate


def _check_body(session: AnyRow, report: Report, now: int) -> None:
    if report.used_units < session.used_units:
        raise ApiError(
            ErrorCode.VALIDATION_ERROR,
            f"used_units is cumulative and cannot go down ({report.used_units} < "
            f"{session.used_units})",
        )
    if session.unit == "second":
        elapsed = now - int(session.started_at) + _WALL_SLACK_US
        if report.used_units * _US > elapsed:
            raise ApiError(
                ErrorCode.VALIDATION_ERROR,
                f"used_units {report.used_units} exceeds the session's wall time "
                f"({(now - int(session.started_at)) / _US:.1f} s)",
            )


def _accepts_late_usage(session: AnyRow, report: Report, now: int) -> bool:
    return (
        session.cause == EndCause.UPDATE_TIMEOUT.value
        and session.late_until is not None
        and now <= session.late_until
        and report.seq == session.last_seq + 1
    )


@dataclass(frozen=True, slots=True)
class _Replay:
    answer: dict[str, Any]
    late: bool  # accepted after the session had ended (late usage)


def _replay(
    conn: Connection, session: AnyRow, report: Report, *, accepted_after: int | None
) -> _Replay | None:
    """The stored answer when ``report`` repeats the last accepted call exactly."""
    stored = conn.execute(
        select(session_updates).where(
            session_updates.c.session_id == session.session_id,
            session_updates.c.seq == report.seq,
        )
    ).one_or_none()
    if stored is None or stored.kind != report.kind or stored.used_units != report.used_units:
        return None
    if report.cause is not None and stored.cause != report.cause.value:
        return None
    late = accepted_after is not None and stored.received_at > accepted_after
    return _Replay(dict(stored.response), late)


_INSERT_REPORT = insert(session_updates)


def _store_report(
    conn: Connection,
    session_id: str,
    report: Report,
    answer: dict[str, Any],
    *,
    now: int,
    server_id: str,
) -> None:
    conn.execute(
        _INSERT_REPORT,
        {
            "session_id": session_id,
            "seq": report.seq,
            "kind": report.kind,
            "used_units": report.used_units,
            "cause": report.cause.value if report.cause else None,
            "measured_at": None if report.measured_at is None else to_us(report.measured_at),
            "received_at": now,
            "server_id": server_id,
            "response": answer,
        },
    )
