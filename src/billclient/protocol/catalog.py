"""Services, their rates, and advice of charge."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from .common import Request, Response
from .money import Money

__all__ = ["Quote", "QuoteRequest", "RateInfo", "Service", "ServiceUnit", "WindowInfo"]


class ServiceUnit(StrEnum):
    """What a service counts."""

    SECOND = "second"
    BYTE = "byte"
    EVENT = "event"


class WindowInfo(Response):
    """A time-of-day price (CATALOG.md)."""

    days: list[str]
    start: str
    end: str
    price: str = Field(description="Decimal string, up to 12 fractional digits")


class RateInfo(Response):
    """Everything a client needs to rate a usage of the service by CATALOG.md."""

    timezone: str
    price: str = Field(description="Decimal string, up to 12 fractional digits")
    per: int
    increment: int
    first_increment: int
    setup_fee: Money
    min_charge: Money
    windows: list[WindowInfo]


class Service(Response):
    """One entry of ``GET /v1/services``."""

    service_id: str
    name: str
    unit: ServiceUnit
    media: str
    update_interval: int
    grant: int
    rate: RateInfo


class QuoteRequest(Request):
    """``POST /v1/quotes``."""

    service_id: str = Field(min_length=1, max_length=64)
    units: int = Field(ge=0, le=2**62, strict=True)


class Quote(Response):
    """Advice of charge: ``charge`` for ``units`` now; ``max_units`` the balance covers."""

    service_id: str
    units: int
    charge: Money
    max_units: int | None
