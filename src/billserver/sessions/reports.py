"""Usage reports (updates and ends): their stored answers and exact replays."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select

from billclient.protocol import ClientEndCause

from ..clock import to_us
from ..db import AnyRow
from ..db.deferred import run_or_defer
from ..db.driver import run
from ..tables import session_updates

__all__ = ["Replay", "Report", "replay", "store_report"]


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


@dataclass(frozen=True, slots=True)
class Replay:
    """A stored answer to send again."""

    answer: dict[str, Any]
    late: bool  # accepted after the session had ended (late usage)


_STORED = select(session_updates).where(
    session_updates.c.session_id == bindparam("b_session"),
    session_updates.c.seq == bindparam("b_seq"),
)


def replay(
    conn: Connection, session: AnyRow, report: Report, *, accepted_after: int | None
) -> Replay | None:
    """The stored answer when ``report`` repeats the last accepted call exactly."""
    stored = run(
        conn, _STORED, {"b_session": session.session_id, "b_seq": report.seq}
    ).one_or_none()
    if stored is None or stored.kind != report.kind or stored.used_units != report.used_units:
        return None
    if report.cause is not None and stored.cause != report.cause.value:
        return None
    late = accepted_after is not None and stored.received_at > accepted_after
    return Replay(dict(stored.response), late)


_INSERT_REPORT = insert(session_updates)


def store_report(
    conn: Connection,
    session_id: str,
    report: Report,
    answer: dict[str, Any],
    *,
    now: int,
    server_id: str,
) -> None:
    """Keep the accepted report and its answer (for replays)."""
    run_or_defer(
        conn,
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
