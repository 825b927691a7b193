"""Wire models between the metering gateway and the billing server (``/v1/gateway``).

The gateway authenticates with the deployment's gateway secret
(``Authorization: Bearer <secret>``); clients never call these routes.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from .common import Request, Response, Timestamp
from .sessions import EndCause, SessionState

__all__ = [
    "GATEWAY_KINDS",
    "Admission",
    "GatewayKind",
    "ServedCount",
    "ServedCounts",
    "ServedCountsResult",
    "SessionQuery",
    "SessionStatus",
]


class GatewayKind(StrEnum):
    """How the gateway serves a session's service."""

    STREAM = "stream"
    DOWNLOAD = "download"
    MESSAGE = "message"


GATEWAY_KINDS: dict[str, GatewayKind] = {
    "voice": GatewayKind.STREAM,
    "video": GatewayKind.STREAM,
    "download": GatewayKind.DOWNLOAD,
    "im": GatewayKind.MESSAGE,
}
"""The catalogue media the gateway serves, and how; other media are not gateway-served."""


class Admission(Request):
    """``POST /v1/gateway/admissions``: the session gateway token a client presented."""

    token: str = Field(min_length=1, max_length=200)


class SessionQuery(Request):
    """``POST /v1/gateway/sessions``: the current state of these sessions."""

    session_ids: list[str] = Field(max_length=1000)


class SessionStatus(Response):
    """What the gateway needs to serve and meter one session.

    ``idle_seconds`` is the server's time since the client's last accepted report
    (or the start); ``gateway_units`` what the gateway reported so far;
    ``bitrate`` bits per second of a stream (None for other kinds).
    """

    session_id: str
    service_id: str
    kind: GatewayKind
    unit: str
    bitrate: int | None
    state: SessionState
    started_at: Timestamp
    granted_units: int
    used_units: int
    final: bool
    update_interval: int
    idle_seconds: float
    cause: EndCause | None
    gateway_units: int | None


class ServedCount(Request):
    """A gateway's cumulative served units of one session (an item of a request body)."""

    session_id: str
    served_units: int = Field(ge=0, le=2**62, strict=True)


class ServedCounts(Request):
    """``POST /v1/gateway/counts``: counts are cumulative; a lower one never lowers the record."""

    gateway_id: str = Field(min_length=1, max_length=128)
    counts: list[ServedCount] = Field(max_length=1000)


class ServedCountsResult(Response):
    """How many of the reported sessions were known (unknown ids are ignored)."""

    recorded: int
