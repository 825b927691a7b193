"""Top-ups and the account statement."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal, Self

from pydantic import Field, model_validator

from .common import Request, Response, Timestamp
from .money import Money, MoneyIn

__all__ = ["StatementLine", "TopUp", "TopUpNotice", "TopUpRequest", "TopUpStatus"]


class TopUpStatus(StrEnum):
    """How a top-up settled; ``pending`` settles later with a ``topup`` event."""

    SUCCEEDED = "succeeded"
    DECLINED = "declined"
    PENDING = "pending"


class TopUpRequest(Request):
    """``POST /v1/topups``: either a voucher or a card payment."""

    voucher_code: str | None = Field(default=None, min_length=1, max_length=64)
    amount: MoneyIn | None = None
    card_token: str | None = Field(default=None, min_length=1, max_length=128)

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        card = self.amount is not None or self.card_token is not None
        if (self.voucher_code is None) == (not card):
            raise ValueError("give either voucher_code, or amount and card_token")
        if card and (self.amount is None or self.card_token is None):
            raise ValueError("a card top-up needs both amount and card_token")
        return self


class TopUp(Response):
    """A top-up and the account's figures after it."""

    topup_id: str
    amount: Money
    status: TopUpStatus
    reason: str | None
    balance: Money
    available: Money


class TopUpNotice(Response):
    """The ``notice`` event ``{"kind": "topup", ...}``: how a top-up settled."""

    kind: Literal["topup"] = "topup"
    topup_id: str
    amount: Money
    status: TopUpStatus
    reason: str | None = None
    available: Money


class StatementLine(Response):
    """One money movement of ``GET /v1/account/statement`` with the balance after it.

    ``kind`` is the ledger's: ``charge`` (a session's charges; consecutive charges
    of one session form one line), ``topup``, ``adjustment``, ``opening``,
    ``refund``. ``amount`` is signed (a charge is negative); ``balance`` is the
    account's balance after the line. ``entry_id`` is the line's last ledger entry.
    """

    entry_id: str
    at: Timestamp
    kind: str
    description: str
    amount: Money
    balance: Money
    session_id: str | None = None
    cdr_id: str | None = None
    topup_id: str | None = None
