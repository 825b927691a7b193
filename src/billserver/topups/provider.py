"""Card payments: the payment-provider interface and the built-in sandbox provider.

A provider charges a card token (never a card number) and answers with an
outcome: ``succeeded``, ``declined``, or ``pending`` when it has no outcome yet
(the card network did not answer in time). The server stores a pending top-up with
the provider's reference and asks :meth:`PaymentProvider.lookup` later
(reconciliation) until it settles.

:class:`SandboxProvider` simulates the card network; it is the only fake in the
system. It keeps no state of its own: everything :meth:`SandboxProvider.lookup`
needs (the card's behaviour and the instant of the charge) is encoded in the
reference it hands out, which the server stores in the ``topups`` table. So any
server process can reconcile a charge another one made, and the outcome is a pure
function of the reference and the time of the lookup.

Sandbox tokens:

- ``tok_visa``: the charge succeeds;
- ``tok_chargeDeclined``: the charge is declined ("card declined");
- ``tok_timeout``: no outcome (pending); a lookup at least ``settle_after_s``
  seconds after the charge answers ``succeeded``, an earlier one still ``pending``;
- any other token: declined ("unknown card token").
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from ..clock import now_us
from ..config import ServerSettings

__all__ = [
    "PaymentProvider",
    "ProviderResult",
    "ProviderStatus",
    "SandboxProvider",
    "charge_card",
    "make_provider",
]


class ProviderStatus(StrEnum):
    """What a provider says about a charge."""

    SUCCEEDED = "succeeded"
    DECLINED = "declined"
    PENDING = "pending"


@dataclass(frozen=True, slots=True)
class ProviderResult:
    """A provider's answer: the outcome, its reference for the charge, and why (declines).

    A ``pending`` answer always carries the reference to look the charge up by.
    """

    status: ProviderStatus
    reference: str | None
    reason: str | None = None


class PaymentProvider(Protocol):
    """A card network seen through a payment provider."""

    def charge(
        self, token: str, amount: int, currency: str, idempotency_ref: str
    ) -> ProviderResult:
        """Charge ``amount`` micro-units of ``currency`` to the card behind ``token``.

        ``idempotency_ref`` names the payment: charging again with the same
        reference must not charge the card twice (a retry after a lost answer).
        """
        ...

    def lookup(self, reference: str) -> ProviderResult:
        """The outcome of an earlier charge, by the reference its answer carried."""
        ...


log = logging.getLogger("billserver.payments")


def charge_card(
    provider: PaymentProvider, token: str, amount: int, currency: str, reference: str
) -> ProviderResult:
    """Charge through ``provider``, logging each call and its outcome (never the token):
    what an operator reconciles against the provider's own records."""
    fields = {"payment_ref": reference, "amount": amount, "currency": currency}
    log.info("card charge", extra={"fields": fields})
    result = provider.charge(token, amount, currency, reference)
    outcome = {"status": result.status.value, "provider_ref": result.reference}
    log.info("card charge answered", extra={"fields": fields | outcome})
    return result


VISA = "tok_visa"
DECLINED = "tok_chargeDeclined"
TIMEOUT = "tok_timeout"

_PREFIX = "sbx"
_OUTCOMES = {VISA: "ok", DECLINED: "declined", TIMEOUT: "timeout"}


class SandboxProvider:
    """The simulated card network (see the module docstring for its tokens)."""

    def __init__(self, settle_after_s: float, clock: Callable[[], int] = now_us) -> None:
        self.settle_after_us = int(settle_after_s * 1_000_000)
        self.clock = clock

    def charge(
        self, token: str, amount: int, currency: str, idempotency_ref: str
    ) -> ProviderResult:
        """Charge by token. Stateless: a repeated charge answers the same outcome."""
        outcome = _OUTCOMES.get(token)
        if outcome is None:
            return ProviderResult(ProviderStatus.DECLINED, None, "unknown card token")
        digest = hashlib.sha256(f"{idempotency_ref}|{amount}|{currency}".encode()).hexdigest()
        reference = f"{_PREFIX}_{outcome}_{self.clock()}_{digest[:16]}"
        return self.lookup(reference)

    def lookup(self, reference: str) -> ProviderResult:
        """The charge's outcome now; a timed-out charge settles ``settle_after_s`` later."""
        parts = reference.split("_")
        if len(parts) != 4 or parts[0] != _PREFIX or not parts[2].isdigit():
            return ProviderResult(ProviderStatus.DECLINED, reference, "unknown charge reference")
        outcome, charged_at = parts[1], int(parts[2])
        if outcome == "ok":
            return ProviderResult(ProviderStatus.SUCCEEDED, reference)
        if outcome == "declined":
            return ProviderResult(ProviderStatus.DECLINED, reference, "card declined")
        if outcome == "timeout":
            if self.clock() - charged_at >= self.settle_after_us:
                return ProviderResult(ProviderStatus.SUCCEEDED, reference)
            return ProviderResult(
                ProviderStatus.PENDING, reference, "the card network has not answered yet"
            )
        return ProviderResult(ProviderStatus.DECLINED, reference, "unknown charge reference")


def make_provider(settings: ServerSettings) -> PaymentProvider:
    """The payment provider this deployment charges cards with."""
    return SandboxProvider(settle_after_s=settings.sandbox_settle_after)
