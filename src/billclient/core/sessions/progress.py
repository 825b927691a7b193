"""How a session run stands: :class:`RunProgress`, published on ``Topic.RUN``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from billclient.protocol import SessionResource

from ..journal import JournalRun

__all__ = ["RunProgress", "RunState", "outcome_record", "progress_from_resource", "unsent"]


class RunState(StrEnum):
    """Where a run stands (:attr:`RunProgress.state`)."""

    OPENING = "opening"
    RUNNING = "running"
    OFFLINE = "offline"  # running within the grant while no server answers
    STOPPING = "stopping"
    ENDED = "ended"
    UNSETTLED = "unsettled"  # stopped; the end waits in the journal for a server
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class RunProgress:
    """A run as it stands; published on :data:`Topic.RUN` whenever it changes.

    ``charged`` is the server's figure for the usage it has accepted; ``estimate``
    the local estimate for ``used_units`` (equal to ``charged`` right after an
    answer). Money in micro-units.
    """

    session_id: str
    service_id: str
    unit: str
    state: RunState
    used_units: int
    granted_units: int
    charged: int
    estimate: int
    final: bool
    seq: int
    server: str | None
    cause: str | None = None
    reason: str | None = None
    cdr_id: str | None = None
    offline_since: datetime | None = None
    recovered: bool = False
    started_at: datetime | None = None
    """The server's start of the session (None for a run recovered from the journal)."""


def progress_from_resource(
    service_id: str, resource: SessionResource, *, recovered: bool
) -> RunProgress:
    """The progress of a session as the server's resource shows it."""
    return RunProgress(
        session_id=resource.session_id,
        service_id=service_id,
        unit="",
        state=RunState.ENDED if resource.state == "ended" else RunState.RUNNING,
        used_units=resource.used_units,
        granted_units=resource.granted_units,
        charged=resource.charged,
        estimate=resource.charged,
        final=resource.final,
        seq=resource.last_seq,
        server=None,
        cause=resource.cause.value if resource.cause else None,
        cdr_id=resource.cdr_id,
        recovered=recovered,
    )


def unsent(journaled: JournalRun, used: int, reason: str) -> RunProgress:
    """A journaled run that could not be settled (``reason`` says why)."""
    return RunProgress(
        session_id=journaled.session_id,
        service_id=journaled.service_id,
        unit="",
        state=RunState.FAILED,
        used_units=used,
        granted_units=journaled.granted_units,
        charged=0,
        estimate=0,
        final=journaled.final,
        seq=journaled.last_seq,
        server=None,
        reason=reason,
        recovered=True,
    )


def outcome_record(progress: RunProgress) -> dict[str, Any]:
    """What the journal keeps of a settled run."""
    return {
        "session_id": progress.session_id,
        "service_id": progress.service_id,
        "state": progress.state,
        "used_units": progress.used_units,
        "charged": progress.charged,
        "cause": progress.cause,
        "cdr_id": progress.cdr_id,
        "reason": progress.reason,
    }
