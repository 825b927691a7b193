"""The integration interface (operator role): accounts, subscriptions, services,
rate packages and batches of billing events, mapped onto the billing model.

A *rate package* is a plan, a *subscription* is an account's plan assignment, a
*service instance* is a service the account's plan offers.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from .account import AccountKind, AccountStatus
from .catalog import ServiceUnit
from .common import Request, Response, Timestamp
from .money import Money, MoneyIn

__all__ = [
    "AccountCreate",
    "AccountStatusInfo",
    "AccountStatusSet",
    "BatchResult",
    "BillingEvent",
    "EventBatch",
    "EventOutcome",
    "EventResult",
    "InvoiceLineRequest",
    "PlanInfo",
    "RatedLine",
    "RegisteredService",
    "ServiceInstance",
    "ServiceRegistration",
    "Subscription",
]

_ID = r"^[A-Za-z0-9_.@-]{1,64}$"


class AccountCreate(Request):
    """``POST /v1/integration/accounts``."""

    account_id: str = Field(pattern=_ID)
    name: str = Field(min_length=1, max_length=200)
    kind: AccountKind
    plan_id: str = Field(min_length=1, max_length=64)
    credit_limit: MoneyIn = 0
    parent_id: str | None = Field(default=None, max_length=64)
    status: AccountStatus = AccountStatus.ACTIVE


class AccountStatusInfo(Response):
    """An account's status."""

    account_id: str
    status: AccountStatus
    plan_id: str | None


class AccountStatusSet(Request):
    """``PUT /v1/integration/accounts/{id}/status``."""

    status: AccountStatus


class Subscription(Request):
    """``PUT /v1/integration/accounts/{id}/subscription``: the account's rate package."""

    plan_id: str = Field(min_length=1, max_length=64)


class ServiceRegistration(Request):
    """``POST /v1/integration/services``: register (or update) a billable service."""

    service_id: str = Field(pattern=r"^[a-z0-9_-]{1,32}(\.[a-z0-9_-]{1,31})?$")
    name: str = Field(min_length=1, max_length=200)
    unit: ServiceUnit
    media: str = Field(default="other", pattern=r"^(voice|video|im|web|download|other)$")
    grant: int | None = Field(default=None, ge=1, le=2**62, strict=True)
    update_interval: int = Field(default=10, ge=1, le=86_400, strict=True)


class RegisteredService(Response):
    """A billable service as registered."""

    service_id: str
    name: str
    unit: ServiceUnit
    media: str
    grant: int
    update_interval: int


class PlanInfo(Response):
    """A rate package (plan) in its current version."""

    plan_id: str
    name: str
    version: int
    timezone: str
    tax_rate: str | None


class ServiceInstance(Response):
    """A service the account's plan offers."""

    service_id: str
    name: str
    unit: ServiceUnit
    media: str
    plan_id: str


class InvoiceLineRequest(Request):
    """``POST /v1/integration/invoice-lines``: rate one billing event, charge nothing."""

    account_id: str = Field(min_length=1, max_length=64)
    service_id: str = Field(min_length=1, max_length=64)
    units: int = Field(ge=0, le=10**12, strict=True)
    at: Timestamp


class RatedLine(Response):
    """The invoice line a billing event makes."""

    account_id: str
    plan_id: str
    service_id: str
    description: str
    units: int
    billed_units: int
    amount: Money


class BillingEvent(Request):
    """One billable event; ``event_id`` makes it idempotent deployment-wide."""

    event_id: str = Field(min_length=1, max_length=128)
    account_id: str = Field(min_length=1, max_length=64)
    service_id: str = Field(min_length=1, max_length=64)
    units: int = Field(ge=0, le=10**12, strict=True)
    at: Timestamp


class EventBatch(Request):
    """``POST /v1/integration/events``: up to 100,000 events, processed in order."""

    events: list[BillingEvent] = Field(min_length=1, max_length=100_000)


class EventOutcome(StrEnum):
    """What happened to one event."""

    CHARGED = "charged"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


class EventResult(Response):
    """A rejected event and why (charged and duplicate ones are only counted)."""

    event_id: str
    outcome: EventOutcome
    detail: str


class BatchResult(Response):
    """How a batch went: counts, the amount charged, and every rejection."""

    charged: int
    duplicates: int
    rejected: int
    amount: Money
    rejections: list[EventResult]
