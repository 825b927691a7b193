"""Ending sessions: by the client, by the server (timeout, suspension, support), and
late usage after a timeout; each writes the session's (superseding) CDR."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from billclient.protocol import Action, ClientEndCause, EndCause, SessionState, UpdateResult
from billclient.rating import billed_units

from ..cdrs import ChargeRecord, write_records
from ..db import AnyRow
from ..events import append_notice, session_terminated_notice
from ..ledger import Actor, Close, Figures
from ..ledger import record as audit
from .policy import SessionPolicy
from .records import announce, resource, save, with_server
from .reports import Report, stored_report
from .settlement import charge, rate_of_session, room, settle_usage

__all__ = ["end", "end_by_server", "late_usage"]


def end(
    conn: Connection, actor: Actor, record: AnyRow, report: Report, now: int, policy: SessionPolicy
) -> dict[str, Any]:
    """The client's call that ends an active session: final charge, hold released, CDR."""
    assert report.cause is not None
    settled = settle_usage(conn, record, report.used_units, policy, now=now)
    close = Close(record.hold_id)
    # a client ends a session whose final grant a limit bounded with ``spending_limit``
    limited = report.cause is ClientEndCause.SPENDING_LIMIT and record.final
    stop = room(record, now).period if limited else None
    figures = charge(
        conn, actor, record, settled.charged, seq=report.seq, then=close, now=now, stop=stop
    )
    session = _finish(
        conn,
        record,
        figures,
        policy,
        now=now,
        last_seq=report.seq,
        used_units=report.used_units,
        unbilled_units=settled.unbilled_units,
        charged=settled.charged,
        servers=with_server(record, policy.server_id),
        last_activity=now,
        state=SessionState.ENDED.value,
        ended_at=now,
        cause=report.cause.value,
        deadline=None,
    )
    answer = resource(session, 0)
    save(
        conn, record, last_report=stored_report(report, answer, now=now, server_id=policy.server_id)
    )
    return answer


def late_usage(
    conn: Connection, actor: Actor, record: AnyRow, report: Report, now: int, policy: SessionPolicy
) -> dict[str, Any]:
    """Usage reported after an ``update_timeout`` end: charged up to the old grant,
    from the paying account's balance (the hold was released at the end)."""
    cap = int(record.granted_units)
    settled = settle_usage(conn, record, report.used_units, policy, now=now, cap=cap)
    figures = charge(conn, actor, record, settled.charged, seq=report.seq, then=None, now=now)
    changes: dict[str, Any] = {
        "last_seq": report.seq,
        "used_units": report.used_units,
        "unbilled_units": settled.unbilled_units,
        "charged": settled.charged,
        "servers": with_server(record, policy.server_id),
        "late_until": None if report.cause is not None else record.late_until,
    }
    if (report.used_units, settled.charged) != (record.used_units, record.charged):
        session = _finish(conn, record, figures, policy, now=now, **changes)
    else:
        session = save(conn, record, **changes)
    answer = resource(session, 0)
    if report.cause is None:
        answer = UpdateResult(
            session_id=record.session_id,
            seq=report.seq,
            used_units=report.used_units,
            charged=settled.charged,
            granted_units=int(record.granted_units),
            reserved=0,
            available=figures.available,
            balance=figures.balance,
            final=True,
            action=Action.TERMINATE,
            reason=EndCause.UPDATE_TIMEOUT.value,
        ).model_dump(mode="json")
    save(
        conn, record, last_report=stored_report(report, answer, now=now, server_id=policy.server_id)
    )
    return answer


def end_by_server(
    conn: Connection, actor: Actor, record: AnyRow, cause: EndCause, now: int, policy: SessionPolicy
) -> dict[str, Any]:
    """End an active session for the server's own reason (timeout, suspension, support);
    returns its resource afterwards.

    It is charged for the last reported usage (already posted); the hold (on the paying
    account) is released. ``record`` comes from :func:`~.records.lock_session`.
    """
    close = Close(record.hold_id)
    figures = charge(
        conn, actor, record, int(record.charged), seq=record.last_seq, then=close, now=now
    )
    session = _finish(
        conn,
        record,
        figures,
        policy,
        now=now,
        state=SessionState.ENDED.value,
        ended_at=now,
        cause=cause.value,
        deadline=None,
        late_until=now + policy.late_usage_us if cause is EndCause.UPDATE_TIMEOUT else None,
        servers=with_server(record, policy.server_id),
    )
    append_notice(conn, record.account_id, session_terminated_notice(record.session_id, cause), now)
    audit(
        conn,
        actor,
        "session.end",
        account_id=record.account_id,
        now=now,
        session_id=record.session_id,
        cause=cause.value,
    )
    return resource(session, 0)


def _finish(
    conn: Connection,
    record: AnyRow,
    figures: Figures,
    policy: SessionPolicy,
    *,
    now: int,
    **changes: Any,
) -> dict[str, Any]:
    """Write the ended session's (superseding) CDR and its row, announce it; returns the
    row as it is now.

    The CDR is the session's account's, whoever paid: a member's charges appear on its
    own line of the parent's invoice or statement."""
    session = {**record._mapping, **changes}
    rate = rate_of_session(conn, record, policy)
    cdr = ChargeRecord(
        session_id=record.session_id,
        account_id=record.account_id,
        service_id=record.service_id,
        plan_id=record.plan_id,
        plan_version=record.plan_version,
        started_at=record.started_at,
        ended_at=session["ended_at"],
        used_units=session["used_units"],
        unbilled_units=session["unbilled_units"],
        billed_units=billed_units(rate, session["used_units"] - session["unbilled_units"]),
        charged=session["charged"],
        cause=session["cause"],
        servers=list(session["servers"]),
        supersedes=record.cdr_id,
        created_at=now,
    )
    write_records(conn, [cdr])
    session = save(conn, record, **changes, cdr_id=cdr.cdr_id)
    announce(conn, record, session, figures, now=now)
    return session
