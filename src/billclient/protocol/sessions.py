"""Credit-control sessions (RFC 4006 style) and charge detail records."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import Field

from .common import Request, Response, Timestamp
from .limits import LimitPeriod
from .money import Money, format_money

__all__ = [
    "MAX_REPORTS",
    "Action",
    "Cdr",
    "ClientEndCause",
    "EndCause",
    "GatewayAccess",
    "ReportResult",
    "ReportResults",
    "SessionCreate",
    "SessionCreated",
    "SessionEnd",
    "SessionReport",
    "SessionReports",
    "SessionResource",
    "SessionState",
    "SessionUpdate",
    "UpdateResult",
    "update_result_data",
]


class SessionState(StrEnum):
    """A session is active until it ends, once."""

    ACTIVE = "active"
    ENDED = "ended"


class EndCause(StrEnum):
    """Why a session ended (client causes and server causes)."""

    USER = "user"
    SERVICE_DONE = "service_done"
    CREDIT_EXHAUSTED = "credit_exhausted"
    GATEWAY_CLOSED = "gateway_closed"
    CLIENT_ERROR = "client_error"
    UPDATE_TIMEOUT = "update_timeout"
    ACCOUNT_INACTIVE = "account_inactive"
    SUPPORT = "support"
    OPERATION_FAILED = "operation_failed"
    SPENDING_LIMIT = "spending_limit"


class ClientEndCause(StrEnum):
    """The causes a client may send with ``/end``."""

    USER = "user"
    SERVICE_DONE = "service_done"
    CREDIT_EXHAUSTED = "credit_exhausted"
    GATEWAY_CLOSED = "gateway_closed"
    CLIENT_ERROR = "client_error"
    SPENDING_LIMIT = "spending_limit"


class Action(StrEnum):
    """What the client must do after an update."""

    CONTINUE = "continue"
    TERMINATE = "terminate"


class SessionCreate(Request):
    """``POST /v1/sessions`` (with ``Idempotency-Key``)."""

    service_id: str = Field(min_length=1, max_length=64)


class GatewayAccess(Response):
    """Where and how to consume a gateway-served session."""

    url: str
    token: str


class SessionCreated(Response):
    """``POST /v1/sessions`` answer."""

    session_id: str
    service_id: str
    state: SessionState
    started_at: Timestamp
    granted_units: int
    update_interval: int
    used_units: int
    charged: Money
    reserved: Money
    available: Money
    final: bool
    gateway: GatewayAccess | None
    limit: LimitPeriod | None = None
    """When ``final``: the spending limit that leaves no more (null: the funds)."""


class SessionUpdate(Request):
    """``POST /v1/sessions/{id}/updates``: cumulative usage so far."""

    seq: int = Field(ge=1, le=2**62, strict=True)
    used_units: int = Field(ge=0, le=2**62, strict=True)
    measured_at: Timestamp


MAX_REPORTS = 500
"""Most usage reports one ``POST /v1/sessions/updates`` carries."""


class SessionReport(SessionUpdate):
    """One report of ``POST /v1/sessions/updates``: a session's update."""

    session_id: str = Field(min_length=1)


class SessionReports(Request):
    """``POST /v1/sessions/updates``: updates of several sessions (each at most once).

    Only the envelope is checked as a whole (an object with 1 to :data:`MAX_REPORTS`
    reports, each an object with a string ``session_id``, no id twice); each report
    is then checked, applied or refused on its own, as its single call would be."""

    reports: list[SessionReport] = Field(min_length=1, max_length=MAX_REPORTS)


class ReportResult(Response):
    """What ``POST /v1/sessions/{session_id}/updates`` would have answered for this
    report alone: its HTTP ``status`` and its ``body`` (an :class:`UpdateResult`, or a
    problem document)."""

    session_id: str
    status: int
    body: dict[str, Any]


class ReportResults(Response):
    """``POST /v1/sessions/updates`` answer: one result per report, in their order."""

    results: list[ReportResult]


class SessionEnd(Request):
    """``POST /v1/sessions/{id}/end``."""

    seq: int = Field(ge=1, le=2**62, strict=True)
    used_units: int = Field(ge=0, le=2**62, strict=True)
    cause: ClientEndCause


class UpdateResult(Response):
    """``/updates`` answer: ``reserved`` is this session's hold; the rest the account's."""

    session_id: str
    seq: int
    used_units: int
    charged: Money
    granted_units: int
    reserved: Money
    available: Money
    balance: Money
    final: bool
    action: Action
    reason: str | None
    limit: LimitPeriod | None = None
    """When ``final``: the spending limit that leaves no more (null: the funds)."""


def update_result_data(
    *,
    session_id: str,
    seq: int,
    used_units: int,
    charged: int,
    granted_units: int,
    reserved: int,
    available: int,
    balance: int,
    final: bool,
    action: Action,
    reason: str | None,
    limit: LimitPeriod | None,
) -> dict[str, Any]:
    """``UpdateResult(...).model_dump(mode="json")``, built directly: the answer to
    every update, whose model round trip would cost several times as much."""
    return {
        "session_id": session_id,
        "seq": seq,
        "used_units": used_units,
        "charged": format_money(charged),
        "granted_units": granted_units,
        "reserved": format_money(reserved),
        "available": format_money(available),
        "balance": format_money(balance),
        "final": final,
        "action": action.value,
        "reason": reason,
        "limit": None if limit is None else limit.value,
    }


class SessionResource(Response):
    """``GET /v1/sessions/{id}`` and the ``/end`` answer."""

    session_id: str
    service_id: str
    state: SessionState
    started_at: Timestamp
    ended_at: Timestamp | None
    last_seq: int
    used_units: int
    unbilled_units: int
    charged: Money
    granted_units: int
    reserved: Money
    final: bool
    update_interval: int
    cause: EndCause | None
    cdr_id: str | None


class Cdr(Response):
    """An immutable charge detail record; a correction supersedes, never edits."""

    cdr_id: str
    session_id: str
    account_id: str
    service_id: str
    plan_id: str
    plan_version: int
    started_at: Timestamp
    ended_at: Timestamp
    used_units: int
    unbilled_units: int
    billed_units: int
    charged: Money
    cause: EndCause
    servers: list[str]
    supersedes: str | None
    gateway_units: int | None = None
    """Support views only: what the metering gateway reported serving (None: no gateway)."""
    mismatch: bool | None = None
    """Support views only: gateway and client counts differ beyond the tolerance."""
