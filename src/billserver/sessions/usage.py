"""Usage reports: the next update of an active session, and the checks every report passes.

Order of checks (PROTOCOL.md): the session is the caller's (404); it has ended (409,
except an exact replay of the ending call, and late usage); ``seq``; the body (422).
Every function runs inside the caller's write transaction and raises
:class:`~billserver.web.ApiError` for refusals. The next update of an active session,
the usual report, defers its writes to the end of a transaction that defers them
(:mod:`billserver.db.deferred`: the group commit); an end and late usage write
directly, after what is pending.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from billclient.protocol import (
    Action,
    EndCause,
    ErrorCode,
    LimitPeriod,
    SessionState,
    update_result_data,
)
from billclient.rating import Unit

from ..clock import from_us
from ..db import AnyRow
from ..db.deferred import flush, writes_deferred
from ..ledger import Actor, Period, Resize
from ..web import ApiError
from . import deadline
from .ending import end, late_usage
from .grants import next_grant, settle
from .policy import SessionPolicy
from .records import announce, lock_session, payer_of, resource, save, with_server
from .reports import Report, replay, stored_report
from .settlement import budget, charge, rate_of_session, room

__all__ = ["report_usage"]

_US = 1_000_000
_WALL_SLACK_US = 2 * _US


def report_usage(
    conn: Connection,
    actor: Actor,
    session_id: str,
    report: Report,
    *,
    now: int,
    policy: SessionPolicy,
) -> dict[str, Any]:
    """Apply an update or end call; returns the JSON answer (stored for replays)."""
    record = None
    if actor.account_id is not None:
        record = lock_session(conn, session_id, owner=actor.account_id, order=policy.order)
    if record is None:
        raise ApiError(ErrorCode.NOT_FOUND, f"no session {session_id}")
    if record.state == SessionState.ENDED.value:
        if report.seq == record.last_seq:
            # the call that ended the session, or a late-usage call accepted after the end
            stored = replay(conn, record, report, accepted_after=record.ended_at)
            if stored is not None and (report.cause is not None or stored.late):
                return stored.answer
        if not _accepts_late_usage(record, report, now):
            raise ApiError(
                ErrorCode.SESSION_ENDED,
                f"the session ended ({record.cause})",
                session=resource(record._mapping, int(record.hold_remaining)),
            )
        _check_body(record, report, now)
        flush(conn)
        return late_usage(conn, actor, record, report, now=now, policy=policy)
    if report.seq == record.last_seq:
        stored = replay(conn, record, report, accepted_after=None)
        if stored is None:
            raise ApiError(
                ErrorCode.SEQ_CONFLICT,
                f"seq {report.seq} was already accepted with other figures",
            )
        return stored.answer
    if report.seq < record.last_seq:
        raise ApiError(
            ErrorCode.STALE_SEQ, f"seq {report.seq} is older than the last ({record.last_seq})"
        )
    if report.seq != record.last_seq + 1:
        raise ApiError(
            ErrorCode.SEQ_CONFLICT,
            f"seq {report.seq} skips ahead; the next seq is {record.last_seq + 1}",
        )
    _check_body(record, report, now)
    if report.cause is None:
        with writes_deferred(conn):
            return _update(conn, actor, record, report, now=now, policy=policy)
    flush(conn)
    return end(conn, actor, record, report, now=now, policy=policy)


def _update(
    conn: Connection, actor: Actor, record: AnyRow, report: Report, now: int, policy: SessionPolicy
) -> dict[str, Any]:
    """The next update of an active session: charge, slide the grant, answer."""
    rate = rate_of_session(conn, record, policy)
    start = from_us(record.started_at)
    payer = payer_of(record)
    most = budget(record, now, payer=payer)
    settled = settle(rate, start, report.used_units, most)
    if settled.unbilled_units:
        granted, final, hold, action = int(record.granted_units), True, 0, Action.TERMINATE
    else:
        grant = next_grant(
            rate, start, report.used_units, settled.charged, most, int(record.grant_units)
        )
        granted, final, hold = grant.granted_units, grant.final, grant.hold
        exhausted = final and report.used_units >= granted
        action = Action.TERMINATE if exhausted else Action.CONTINUE
    bound = room(record, now, payer=payer).period if final else None
    stop = bound if action is Action.TERMINATE else None
    resize = Resize(record.hold_id, hold)
    figures = charge(
        conn,
        actor,
        record,
        settled.charged,
        seq=report.seq,
        then=resize,
        now=now,
        stop=stop,
        payer=payer,
    )
    changes: dict[str, Any] = {}
    servers = with_server(record, policy.server_id)
    if len(servers) != len(record.servers):
        changes["servers"] = servers
    stored = deadline.moved(record.deadline, now, int(record.update_interval))
    if stored is not None:
        changes["deadline"] = stored
    answer = update_result_data(
        session_id=record.session_id,
        seq=report.seq,
        used_units=report.used_units,
        charged=settled.charged,
        granted_units=granted,
        reserved=hold,
        available=figures.available,
        balance=figures.balance,
        final=final,
        action=action,
        reason=_reason(bound) if action is Action.TERMINATE else None,
        limit=None if bound is None else LimitPeriod(bound.value),
    )
    session = save(
        conn,
        record,
        last_seq=report.seq,
        used_units=report.used_units,
        unbilled_units=settled.unbilled_units,
        charged=settled.charged,
        last_activity=now,
        granted_units=granted,
        final=final,
        last_report=stored_report(report, answer, now=now, server_id=policy.server_id),
        **changes,
    )
    announce(conn, record, session, figures, now=now)
    return answer


def _reason(bound: Period | None) -> str:
    """Why a session must stop: a spending limit of its account (``bound``), or its funds."""
    return "spending_limit" if bound is not None else "credit_exhausted"


def _check_body(session: AnyRow, report: Report, now: int) -> None:
    if report.used_units < session.used_units:
        raise ApiError(
            ErrorCode.VALIDATION_ERROR,
            f"used_units is cumulative and cannot go down ({report.used_units} < "
            f"{session.used_units})",
        )
    if session.unit == Unit.SECOND:
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
