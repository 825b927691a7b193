"""Usage reports (updates and ends): the last one's stored answer and exact replays."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select

from billclient.protocol import ClientEndCause

from ..clock import to_us
from ..db import AnyRow
from ..db.driver import run
from ..tables import sessions

__all__ = ["Replay", "Report", "replay", "stored_report"]


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


_STORED = select(sessions.c.last_report).where(sessions.c.session_id == bindparam("b_session"))


def replay(
    conn: Connection, session: AnyRow, report: Report, *, accepted_after: int | None
) -> Replay | None:
    """The stored answer when ``report`` repeats the last accepted call exactly."""
    stored = run(conn, _STORED, {"b_session": session.session_id}).scalar_one_or_none()
    if stored is None or (stored["seq"], stored["kind"], stored["used_units"]) != (
        report.seq,
        report.kind,
        report.used_units,
    ):
        return None
    if report.cause is not None and stored["cause"] != report.cause.value:
        return None
    late = accepted_after is not None and stored["received_at"] > accepted_after
    return Replay(dict(stored["answer"]), late)


def stored_report(
    report: Report, answer: dict[str, Any], *, now: int, server_id: str
) -> dict[str, Any]:
    """What the session row keeps of an accepted ``report`` (its ``last_report``): the
    call's figures and its ``answer``, for the one call that may be repeated (the last
    accepted: every earlier ``seq`` is stale). Saved with the report's other changes."""
    return {
        "seq": report.seq,
        "kind": report.kind,
        "used_units": report.used_units,
        "cause": report.cause.value if report.cause else None,
        "measured_at": None if report.measured_at is None else to_us(report.measured_at),
        "received_at": now,
        "server_id": server_id,
        "answer": answer,
    }
