"""Payloads of the live event stream (``GET /v1/events``, Server-Sent Events)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from .common import Response
from .money import Money, format_money
from .sessions import EndCause, SessionState

__all__ = [
    "BalanceEvent",
    "EventType",
    "NoticeEvent",
    "NoticeKind",
    "SessionEvent",
    "balance_data",
    "session_data",
]


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


def balance_data(balance: int, reserved: int, available: int) -> dict[str, Any]:
    """``BalanceEvent(...).model_dump(mode="json")``, built directly (the update path
    writes one per update; the model's round trip costs several times as much)."""
    return {
        "balance": format_money(balance),
        "reserved": format_money(reserved),
        "available": format_money(available),
    }


def session_data(
    session_id: str, state: SessionState, used_units: int, charged: int, cause: EndCause | None
) -> dict[str, Any]:
    """``SessionEvent(...).model_dump(mode="json")``, built directly (see
    :func:`balance_data`)."""
    return {
        "session_id": session_id,
        "state": state.value,
        "used_units": used_units,
        "charged": format_money(charged),
        "cause": None if cause is None else cause.value,
    }


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
