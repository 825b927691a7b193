"""Application billing: charges for single operations of an application server.

A ``service`` login (say, a messaging relay) reserves money for one operation
(``POST /v1/charges``: advice of charge), then commits the actual units and the
outcome (the actual charge is debited, the rest released; a failed operation
charges nothing and leaves a CDR with cause ``operation_failed``) or cancels it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Self

from pydantic import Field, model_validator

from .common import Request, Response, Timestamp
from .money import Money

__all__ = ["Charge", "ChargeCommit", "ChargeOutcome", "ChargeRequest", "ChargeState"]


class ChargeState(StrEnum):
    """A charge is reserved until committed (``committed`` or ``failed``) or cancelled."""

    RESERVED = "reserved"
    COMMITTED = "committed"
    FAILED = "failed"
    CANCELLED = "cancelled"


class ChargeOutcome(StrEnum):
    """How the operation went."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"


class ChargeRequest(Request):
    """``POST /v1/charges``: reserve for ``units`` of ``service_id`` on ``account_id``."""

    account_id: str = Field(min_length=1, max_length=64)
    service_id: str = Field(min_length=1, max_length=64)
    units: int = Field(ge=1, le=10**12, strict=True)


class ChargeCommit(Request):
    """``POST /v1/charges/{id}/commit``: the units actually used and the outcome."""

    units: int = Field(ge=0, le=10**12, strict=True)
    outcome: ChargeOutcome = ChargeOutcome.SUCCEEDED
    error: str | None = Field(default=None, max_length=500)

    @model_validator(mode="after")
    def _error_only_on_failure(self) -> Self:
        if self.error is not None and self.outcome is not ChargeOutcome.FAILED:
            raise ValueError("error is only given with outcome failed")
        return self


class Charge(Response):
    """A charge and its advice: ``advice`` is the price of the reserved units."""

    charge_id: str
    account_id: str
    service_id: str
    state: ChargeState
    units: int = Field(description="reserved units")
    advice: Money = Field(description="the charge for the reserved units (advice of charge)")
    reserved: Money = Field(description="what the charge's hold keeps reserved now")
    used_units: int | None
    charged: Money
    error: str | None
    cdr_id: str | None
    created_at: Timestamp
    expires_at: Timestamp
    available: Money = Field(description="the paying account's available money now")
