"""The billing server's side of the metering gateway.

- which sessions are gateway-served and the ``gateway`` member of ``POST /v1/sessions``;
- the session status a gateway serves by (admission and polling);
- the gateway's served counts, kept beside the session record (CDRs stay immutable),
  and the mismatch flag the support views show.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, insert, select, update

from billclient.protocol import Cdr, EndCause, GatewayAccess, LiveSession, SessionState
from billclient.protocol.gateway import GATEWAY_KINDS, ServedCount, SessionStatus

from ...clock import from_us
from ...tables import gateway_counts, services, sessions
from ..tokens import session_token

__all__ = [
    "DEFAULT_BITRATES",
    "Tolerance",
    "flag_cdrs",
    "flag_live",
    "gateway_access",
    "gateway_served",
    "mismatch",
    "record_counts",
    "served_counts",
    "session_statuses",
]

DEFAULT_BITRATES = {"voice": 64_000, "video": 1_000_000}
"""Bits per second of a stream whose service names no ``bitrate``."""

_US = 1_000_000


@dataclass(frozen=True, slots=True)
class Tolerance:
    """How far gateway and client counts may differ before support sees a mismatch."""

    fraction: float
    units: int

    def allows(self, served: int, used: int) -> bool:
        """Whether ``served`` (gateway) and ``used`` (client) agree closely enough."""
        return abs(served - used) <= max(self.units, self.fraction * max(served, used))


def mismatch(served: int | None, used: int, state: str, tolerance: Tolerance) -> bool | None:
    """The support views' flag: None while nothing can be compared.

    Only an ended session's counts are final on both sides; while a session runs
    the client's report lags what the gateway serves by up to one grant.
    """
    if served is None or state != SessionState.ENDED.value:
        return None
    return not tolerance.allows(served, used)


def gateway_served(media: str) -> bool:
    """Whether sessions of a service with this catalogue ``media`` go through the gateway."""
    return media in GATEWAY_KINDS


def gateway_access(
    conn: Connection, session_id: str, *, url: str | None, secret: str | None
) -> GatewayAccess | None:
    """Where and with which token the session is consumed; None when not gateway-served."""
    if url is None or secret is None:
        return None
    media = conn.execute(
        select(services.c.media)
        .join(sessions, sessions.c.service_id == services.c.service_id)
        .where(sessions.c.session_id == session_id)
    ).scalar_one_or_none()
    if media is None or not gateway_served(media):
        return None
    return GatewayAccess(url=url, token=session_token(secret, session_id))


def session_statuses(
    conn: Connection, session_ids: Sequence[str], *, now: int
) -> list[SessionStatus]:
    """The status of each gateway-served session among ``session_ids`` (others omitted)."""
    if not session_ids:
        return []
    rows = conn.execute(
        select(
            sessions,
            services.c.media,
            services.c.bitrate,
            gateway_counts.c.served_units,
        )
        .join(services, services.c.service_id == sessions.c.service_id)
        .outerjoin(gateway_counts, gateway_counts.c.session_id == sessions.c.session_id)
        .where(sessions.c.session_id.in_(list(dict.fromkeys(session_ids))))
    ).all()
    result = []
    for row in rows:
        kind = GATEWAY_KINDS.get(row.media)
        if kind is None:
            continue
        bitrate = None
        if kind.value == "stream":
            bitrate = int(row.bitrate) if row.bitrate else DEFAULT_BITRATES[row.media]
        result.append(
            SessionStatus(
                session_id=row.session_id,
                service_id=row.service_id,
                kind=kind,
                unit=row.unit,
                bitrate=bitrate,
                state=SessionState(row.state),
                started_at=from_us(row.started_at),
                granted_units=row.granted_units,
                used_units=row.used_units,
                final=row.final,
                update_interval=row.update_interval,
                idle_seconds=max(0, now - int(row.last_activity)) / _US,
                cause=EndCause(row.cause) if row.cause else None,
                gateway_units=row.served_units,
            )
        )
    return result


def record_counts(
    conn: Connection, gateway_id: str, counts: Iterable[ServedCount], *, now: int
) -> int:
    """Keep the highest count each session's gateway reported; unknown sessions are ignored."""
    latest: dict[str, int] = {}
    for count in counts:
        latest[count.session_id] = max(count.served_units, latest.get(count.session_id, 0))
    if not latest:
        return 0
    # Locking the sessions' rows (in one order) serialises concurrent first reports of
    # one session from two servers, which would otherwise both insert its count row.
    known = set(
        conn.execute(
            select(sessions.c.session_id)
            .where(sessions.c.session_id.in_(list(latest)))
            .order_by(sessions.c.session_id)
            .with_for_update()
        ).scalars()
    )
    stored = {
        row.session_id: int(row.served_units)
        for row in conn.execute(
            select(gateway_counts.c.session_id, gateway_counts.c.served_units)
            .where(gateway_counts.c.session_id.in_(list(known)))
            .with_for_update()
        )
    }
    for session_id in sorted(known):  # one lock order for concurrent reports
        served = latest[session_id]
        if session_id not in stored:
            conn.execute(
                insert(gateway_counts).values(
                    session_id=session_id,
                    served_units=served,
                    gateway_id=gateway_id,
                    first_reported_at=now,
                    reported_at=now,
                )
            )
        elif served >= stored[session_id]:
            conn.execute(
                update(gateway_counts)
                .where(gateway_counts.c.session_id == session_id)
                .values(served_units=served, gateway_id=gateway_id, reported_at=now)
            )
    return len(known)


def served_counts(conn: Connection, session_ids: Iterable[str]) -> dict[str, int]:
    """The gateway's recorded count of each of these sessions that has one."""
    ids = list(dict.fromkeys(session_ids))
    if not ids:
        return {}
    return {
        row.session_id: int(row.served_units)
        for row in conn.execute(
            select(gateway_counts.c.session_id, gateway_counts.c.served_units).where(
                gateway_counts.c.session_id.in_(ids)
            )
        )
    }


def flag_cdrs(conn: Connection, items: Sequence[Cdr], tolerance: Tolerance) -> list[Cdr]:
    """``items`` with the gateway's count and the mismatch flag where a gateway reported."""
    served = served_counts(conn, (cdr.session_id for cdr in items))
    return [
        cdr.model_copy(
            update={
                "gateway_units": served[cdr.session_id],
                "mismatch": mismatch(served[cdr.session_id], cdr.used_units, "ended", tolerance),
            }
        )
        if cdr.session_id in served
        else cdr
        for cdr in items
    ]


def flag_live(
    conn: Connection, items: Sequence[LiveSession], tolerance: Tolerance, url: str | None
) -> list[LiveSession]:
    """Service-manager rows with the gateway's endpoint, count and mismatch flag."""
    ids = [item.session_id for item in items]
    served = served_counts(conn, ids)
    media = {
        row.session_id: row.media
        for row in conn.execute(
            select(sessions.c.session_id, services.c.media)
            .join(services, services.c.service_id == sessions.c.service_id)
            .where(sessions.c.session_id.in_(ids))
        )
    }
    result = []
    for item in items:
        changes: dict[str, object] = {}
        if url is not None and gateway_served(media.get(item.session_id, "")):
            changes["endpoint"] = url
        if item.session_id in served:
            units = served[item.session_id]
            changes["gateway_units"] = units
            changes["mismatch"] = mismatch(units, item.used_units, item.state.value, tolerance)
        result.append(item.model_copy(update=changes) if changes else item)
    return result
