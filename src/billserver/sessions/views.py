"""The wire form of a session."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from billclient.protocol import EndCause, SessionResource, SessionState

from ..clock import from_us
from ..tables import sessions

__all__ = ["SESSION_COLUMNS", "session_view"]

SESSION_COLUMNS = tuple(column for column in sessions.c if column.key != "last_report")
"""A session row's columns but the stored answer to its last call (``last_report``,
read only when that call is repeated): what reads of sessions select."""


def session_view(row: Mapping[Any, Any], reserved: int) -> SessionResource:
    """The session resource of a session row (its mapping); ``reserved`` is its hold's
    remaining amount."""
    return SessionResource(
        session_id=row["session_id"],
        service_id=row["service_id"],
        state=SessionState(row["state"]),
        started_at=from_us(row["started_at"]),
        ended_at=from_us(row["ended_at"]) if row["ended_at"] is not None else None,
        last_seq=row["last_seq"],
        used_units=row["used_units"],
        unbilled_units=row["unbilled_units"],
        charged=row["charged"],
        granted_units=row["granted_units"],
        reserved=reserved,
        final=row["final"],
        update_interval=row["update_interval"],
        cause=EndCause(row["cause"]) if row["cause"] else None,
        cdr_id=row["cdr_id"],
    )
