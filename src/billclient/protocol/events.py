"""Payloads of the live event stream (``GET /v1/events``, Server-Sent Events)."""

from __future__ import annotations

from enum import StrEnum

from .common import Response
from .money import Money
from .sessions import EndCause, SessionState

__all__ = ["BalanceEvent", "EventType", "NoticeEvent", "NoticeKind", "SessionEvent"]


class EventType(StrEnum):
    """The SSE ``event:`` names."""

    BALANCE = "balance"
    SESSION = "session"
    NOTICE = "notice"
    LIMIT = "limit"


class NoticeKind(StrEnum):
    """Kinds of ``notice`` events."""

    LOW_BALANCE = "low_balance"
    TOPUP = "topup"
    SESSION_TERMINATED = "session_terminated"
    AUTO_TOPUP = "auto_topup"


class BalanceEvent(Response):
    """Sent after every change of the account's figures."""

    balance: Money
    reserved: Money
    available: Money


class SessionEvent(Response):
    """Sent when a session of the account changes."""

    session_id: str
    state: SessionState
    used_units: int
    charged: Money
    cause: EndCause | None


class NoticeEvent(Response):
    """Something the person should be told; extra members depend on ``kind``."""

    kind: NoticeKind
    # low_balance: ``available`` after the change and the estimated time to empty
    # (null when no session is running)
    available: Money | None = None
    seconds_left: int | None = None
    # session_terminated: the session the server ended and why
    session_id: str | None = None
    cause: EndCause | None = None
