"""The support API."""

from __future__ import annotations

from pydantic import Field

from .account import Account, AccountStatus
from .common import Request, Response, Timestamp
from .money import Money, MoneyIn
from .sessions import Cdr, SessionResource

__all__ = [
    "AccountDetail",
    "AccountSummary",
    "Adjustment",
    "AdjustmentResult",
    "AuditEntry",
    "LiveSession",
    "StatusChange",
    "SupportEnd",
]


class AccountSummary(Response):
    """A search hit of ``GET /v1/admin/accounts?q=``."""

    account_id: str
    name: str
    status: AccountStatus
    kind: str
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

    amount: MoneyIn
    reason: str = Field(min_length=1, max_length=500)


class AdjustmentResult(Response):
    """The adjustment and the account's figures after it."""

    adjustment_id: str
    amount: Money
    reason: str
    balance: Money
    available: Money


class LiveSession(Response):
    """A row of the service manager (``GET /v1/admin/sessions``)."""

    session_id: str
    account_id: str
    user: str | None
    service_id: str
    rate: str
    endpoint: str | None
    started_at: Timestamp
    used_units: int
    charged: Money


class SupportEnd(Request):
    """``POST /v1/admin/sessions/{id}/end``."""

    reason: str = Field(min_length=1, max_length=500)


class AuditEntry(Response):
    """One row of ``GET /v1/admin/audit``: who did what, when, from which device."""

    audit_id: str
    at: Timestamp
    actor: str
    device_id: str | None
    action: str
    account_id: str | None
    details: dict[str, object]
