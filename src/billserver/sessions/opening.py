"""Opening a credit-control session: checks, the first grant and its hold."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Connection, insert, select

from billclient.protocol import (
    ErrorCode,
    EventType,
    SessionCreated,
    SessionEvent,
    SessionState,
)
from billclient.rating import charge

from ..accounts import lock_with_payer, refuse_unless_active
from ..clock import from_us
from ..events import append_event, append_figures, limit_stop
from ..ledger import AccountState, Actor, Hold, apply, headroom
from ..plans import current_plan_version, rate_of
from ..tables import services, sessions
from ..web import ApiError, refusal_error
from .deadline import deadline as deadline_of
from .grants import next_grant
from .policy import SessionPolicy

__all__ = ["open_session"]


def open_session(
    conn: Connection, actor: Actor, service_id: str, *, now: int, policy: SessionPolicy
) -> dict[str, Any]:
    """Open a session with its first grant; the answer of ``POST /v1/sessions``."""
    rows = lock_with_payer(conn, actor.account_id, policy.order) if actor.account_id else None
    if rows is None:
        raise ApiError(ErrorCode.NOT_FOUND, "this login has no account to open sessions on")
    account, payer = rows
    refuse_unless_active(account, "cannot open sessions")
    refuse_unless_active(payer, "cannot pay for sessions", payer_of=account)
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
    states = {row.account_id: AccountState.of(row) for row in (payer, account)}
    limits = states[account.account_id].limits
    room = headroom(states[payer.account_id], limits, now=now)
    first = charge(rate, start, 1)
    # a limit with nothing left refuses even a unit that costs less than a micro-unit
    if first > room.amount or (room.period is not None and room.amount == 0):
        refused = room.refused(account.account_id, first)
        raise refusal_error(
            refused,
            f"one unit of {service_id!r} costs more than the available balance; top up first",
            aftermath=limit_stop(actor, refused, now),
        )
    grant = next_grant(rate, start, 0, 0, room.amount, int(service.grant_units))
    session_id = str(uuid.uuid4())
    hold = Hold(
        f"session:{session_id}",
        payer.account_id,
        grant.hold,
        owner=session_id,
        spender=account.account_id,
    )
    outcome = apply(conn, actor, [hold], now=now, accounts_read=states.values())
    interval = int(service.update_interval)
    conn.execute(
        insert(sessions).values(
            session_id=session_id,
            account_id=account.account_id,
            login=actor.login,
            device_id=actor.device_id,
            service_id=service_id,
            plan_version_id=plan.id,
            hold_id=hold.hold_id,
            unit=rate.unit.value,
            grant_units=int(service.grant_units),
            update_interval=interval,
            state=SessionState.ACTIVE.value,
            started_at=now,
            last_activity=now,
            deadline=deadline_of(now, interval),
            last_seq=0,
            used_units=0,
            unbilled_units=0,
            charged=0,
            granted_units=grant.granted_units,
            final=grant.final,
            servers=[policy.server_id],
        )
    )
    event = SessionEvent(
        session_id=session_id, state=SessionState.ACTIVE, used_units=0, charged=0, cause=None
    )
    append_event(conn, account.account_id, EventType.SESSION, event.model_dump(mode="json"), now)
    figures = outcome.of(payer.account_id)
    append_figures(conn, payer.account_id, figures, now=now)
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
        available=figures.available,
        final=grant.final,
        gateway=None,
        limit=room.period.value if grant.final and room.period is not None else None,
    )
    return created.model_dump(mode="json")
