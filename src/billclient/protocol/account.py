"""The account as its users see it."""

from __future__ import annotations

from enum import StrEnum

from .common import Response
from .money import Money

__all__ = ["Account", "AccountKind", "AccountStatus", "Health"]


class AccountStatus(StrEnum):
    """Whether an account may open sessions."""

    ACTIVE = "active"
    INACTIVE = "inactive"
    PENDING = "pending"


class AccountKind(StrEnum):
    """Prepaid accounts spend their balance; postpaid ones may go down to ``-credit_limit``."""

    PREPAID = "prepaid"
    POSTPAID = "postpaid"


class Account(Response):
    """``GET /v1/account``; ``available = balance - reserved (+ credit_limit if postpaid)``."""

    account_id: str
    name: str
    status: AccountStatus
    kind: AccountKind
    currency: str
    plan_id: str
    balance: Money
    reserved: Money
    available: Money
    credit_limit: Money
    low_balance_threshold: Money | None


class Health(Response):
    """``GET /v1/health``."""

    status: str
    server_id: str
