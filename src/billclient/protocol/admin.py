"""The support API."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

from .account import Account, AccountKind, AccountStatus
from .common import Request, Response, Timestamp
from .money import MICRO, Money, MoneyIn
from .sessions import Cdr, EndCause, SessionResource, SessionState

__all__ = [
    "MAX_ADJUSTMENT",
    "AccountDetail",
    "AccountSummary",
    "Adjustment",
    "AdjustmentResult",
    "AuditEntry",
    "LiveSession",
    "StatusChange",
    "SupportEnd",
]


MAX_ADJUSTMENT = 1_000_000 * MICRO
"""The largest amount (either sign) one adjustment may move, in micro-units."""


def _reason(value: str) -> str:
    text = value.strip()
    if not text:
        raise ValueError("a reason is required; say why")
    if "\x00" in text:
        raise ValueError("a reason must not contain NUL characters")
    return text


def _adjustment(value: int) -> int:
    if value == 0:
        raise ValueError("an adjustment moves a non-zero amount")
    if abs(value) > MAX_ADJUSTMENT:
        raise ValueError("an adjustment moves at most 1000000 either way")
    return value


Reason = Annotated[str, Field(min_length=1, max_length=500), AfterValidator(_reason)]
"""Why support acted: required, not blank, no NUL (surrounding spaces are dropped)."""


class AccountSummary(Response):
    """A search hit of ``GET /v1/admin/accounts?q=``."""

    account_id: str
    name: str
    status: AccountStatus
    kind: AccountKind
    logins: list[str]


class AccountDetail(Account):
    """``GET /v1/admin/accounts/{id}``: the account with its live sessions and last CDRs."""

    active_sessions: list[SessionResource]
    last_cdrs: list[Cdr]


class StatusChange(Request):
    """``PATCH /v1/admin/accounts/{id}``."""

    status: AccountStatus


class Adjustment(Request):
    """``POST /v1/admin/accounts/{id}/adjustments``; a negative amount debits."""

    amount: Annotated[MoneyIn, AfterValidator(_adjustment)]
    reason: Reason


class AdjustmentResult(Response):
    """The adjustment (its id is the ledger transfer's) and the account's figures after it."""

    adjustment_id: str
    account_id: str
    amount: Money
    reason: str
    balance: Money
    available: Money


class LiveSession(Response):
    """A row of the service manager (``GET /v1/admin/sessions``).

    ``user`` is the login that opened the session, ``rate`` a short human
    description of its rate, ``endpoint`` where it is served (null without a gateway).
    """

    session_id: str
    account_id: str
    user: str | None
    service_id: str
    rate: str
    endpoint: str | None
    started_at: Timestamp
    used_units: int
    charged: Money
    state: SessionState = SessionState.ACTIVE
    ended_at: Timestamp | None = None
    cause: EndCause | None = None
    gateway_units: int | None = None
    """What the metering gateway reported serving (None: not gateway-served or no report)."""
    mismatch: bool | None = None
    """Gateway and client counts differ beyond the tolerance (None: nothing to compare)."""


class SupportEnd(Request):
    """``POST /v1/admin/sessions/{id}/end``."""

    reason: Reason


class AuditEntry(Response):
    """One row of ``GET /v1/admin/audit``: who (login) did what, when, from which device.

    ``server_id`` names the server process that wrote it.
    """

    audit_id: str
    at: Timestamp
    actor: str
    device_id: str | None
    server_id: str | None = None
    action: str
    account_id: str | None
    details: dict[str, object]
