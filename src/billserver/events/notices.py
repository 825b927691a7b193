"""``notice`` events: what a person should be told, beyond the figures themselves.

- ``low_balance`` ``{kind, available, seconds_left}``: written by
  :func:`~billserver.events.store.append_balance` when ``available`` falls below
  the account's ``low_balance_threshold`` (the previous figure, from the account's
  latest ``balance`` event, was at or above it). ``seconds_left`` is ``available``
  divided by the combined burn rate of the account's active sessions; null when no
  session is running (or none costs anything yet).
- ``session_terminated`` ``{kind, session_id, cause}``: the server ended a session
  on its own (update timeout, suspension, support).
- ``topup`` ``{kind, ...}``: written by the funding domain.

Burn rates, in micro-units per second: a ``second`` session costs what the next
whole minute (rounded up to whole increments) costs after the units it has
already paid for, at the session's own plan version and start time, so time-of-day
windows count; a ``byte`` or ``event`` session burns what it has been charged so
far divided by its age.
"""

from __future__ import annotations

from fractions import Fraction

from sqlalchemy import Connection, select

from billclient.protocol import EndCause, NoticeEvent, NoticeKind, SessionState
from billclient.rating import Rate, Unit, billed_units, charge

from ..clock import from_us
from ..db import AnyRow
from ..ledger import PENDING
from ..plans import rate_of
from ..tables import holds, plan_versions, sessions

__all__ = [
    "burn_rate",
    "low_balance_notice",
    "notice_payload",
    "seconds_left",
    "session_terminated_notice",
]

_US = 1_000_000
_WINDOW_S = 60


def notice_payload(notice: NoticeEvent) -> dict[str, object]:
    """The event's JSON data: the members the notice was built with (nulls included)."""
    return notice.model_dump(mode="json", exclude_unset=True)


def session_terminated_notice(session_id: str, cause: EndCause) -> NoticeEvent:
    """The notice for a session the server ended for ``cause``."""
    return NoticeEvent(kind=NoticeKind.SESSION_TERMINATED, session_id=session_id, cause=cause)


def low_balance_notice(conn: Connection, account_id: str, available: int, now: int) -> NoticeEvent:
    """The notice for ``available`` having fallen below the account's threshold."""
    return NoticeEvent(
        kind=NoticeKind.LOW_BALANCE,
        available=available,
        seconds_left=seconds_left(conn, account_id, available, now),
    )


def seconds_left(conn: Connection, account_id: str, available: int, now: int) -> int | None:
    """Seconds until ``available`` is spent by the active sessions holding the account's
    money (its own, and its members' on a shared balance); None when none burn."""
    rows = conn.execute(
        select(
            sessions.c.service_id,
            sessions.c.unit,
            sessions.c.started_at,
            sessions.c.used_units,
            sessions.c.charged,
            plan_versions,
        )
        .join(plan_versions, plan_versions.c.id == sessions.c.plan_version_id)
        .join(holds, holds.c.hold_id == sessions.c.hold_id)
        .where(
            holds.c.account_id == account_id,
            holds.c.state == PENDING,
            sessions.c.state == SessionState.ACTIVE.value,
        )
    ).all()
    total = sum((_session_burn(row, now) for row in rows), Fraction(0))
    if total <= 0:
        return None
    return max(0, int(available / total))


def _session_burn(row: AnyRow, now: int) -> Fraction:
    rate = rate_of(row, row.service_id)
    if rate is None:  # a session's plan version always rates its service
        return Fraction(0)
    return burn_rate(
        rate,
        started_at=int(row.started_at),
        used_units=int(row.used_units),
        charged=int(row.charged),
        now=now,
    )


def burn_rate(rate: Rate, *, started_at: int, used_units: int, charged: int, now: int) -> Fraction:
    """Micro-units per second one session spends (exact; see the module docstring)."""
    if rate.unit is Unit.SECOND:
        paid = billed_units(rate, used_units)
        step = rate.increment
        window = step * -(-_WINDOW_S // step)
        if paid == 0:
            window = max(window, rate.first_increment)
        start = from_us(started_at)
        cost = charge(rate, start, paid + window) - charge(rate, start, paid)
        return Fraction(cost, window)
    age = now - started_at
    if age <= 0:
        return Fraction(0)
    return Fraction(charged * _US, age)
