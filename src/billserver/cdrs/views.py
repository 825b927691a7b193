"""The wire form of charge detail records."""

from __future__ import annotations

from billclient.protocol import Cdr, EndCause

from ..clock import from_us
from ..db import AnyRow

__all__ = ["cdr_view"]


def cdr_view(row: AnyRow) -> Cdr:
    """The wire form of a charge detail record.

    ``session_id`` names what the record is of: the session, the application charge,
    or (for a billing event) the record itself, as the protocol has always answered.
    """
    return Cdr(
        cdr_id=row.cdr_id,
        session_id=row.session_id or row.charge_id or row.cdr_id,
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
