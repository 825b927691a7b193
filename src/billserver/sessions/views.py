"""Wire forms of session and CDR rows."""

from __future__ import annotations

from billclient.protocol import Cdr, EndCause, SessionResource, SessionState

from ..clock import from_us
from ..db import AnyRow

__all__ = ["cdr_view", "session_view"]


def session_view(row: AnyRow, reserved: int) -> SessionResource:
    """The session resource; ``reserved`` is its hold's remaining amount."""
    return SessionResource(
        session_id=row.session_id,
        service_id=row.service_id,
        state=SessionState(row.state),
        started_at=from_us(row.started_at),
        ended_at=from_us(row.ended_at) if row.ended_at is not None else None,
        last_seq=row.last_seq,
        used_units=row.used_units,
        unbilled_units=row.unbilled_units,
        charged=row.charged,
        granted_units=row.granted_units,
        reserved=reserved,
        final=row.final,
        update_interval=row.update_interval,
        cause=EndCause(row.cause) if row.cause else None,
        cdr_id=row.cdr_id,
    )


def cdr_view(row: AnyRow) -> Cdr:
    """The wire form of a charge detail record."""
    return Cdr(
        cdr_id=row.cdr_id,
        session_id=row.session_id,
        account_id=row.account_id,
        service_id=row.service_id,
        plan_id=row.plan_id,
        plan_version=row.plan_version,
        started_at=from_us(row.started_at),
        ended_at=from_us(row.ended_at),
        used_units=row.used_units,
        unbilled_units=row.unbilled_units,
        billed_units=row.billed_units,
        charged=row.charged,
        cause=EndCause(row.cause),
        servers=list(row.servers),
        supersedes=row.supersedes,
    )
