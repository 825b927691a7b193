"""One intended top-up and its Idempotency-Key (pure, no widgets).

The key belongs to what the person asked for (a voucher code, or an amount on a
card): retries and double clicks of the same request reuse it, so the server
credits once however often it is sent; a different request, or a new one after a
settled outcome, gets a new key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from billclient.core.api import new_idempotency_key
from billclient.protocol.money import MICRO

__all__ = ["CARD_MAX", "CARD_MIN", "TopUpIntent", "card_amount_error"]

CARD_MIN = 1 * MICRO
CARD_MAX = 1000 * MICRO
"""Card amounts the sandbox provider takes by default (PROTOCOL.md): 1.00 to 1000.00."""

Request = tuple[str, str, int]
"""``("voucher", code, 0)`` or ``("card", token, amount_micro)``."""


def card_amount_error(amount: int | None) -> str | None:
    """Why ``amount`` (micro-units) cannot be paid by card: ``"missing"``, ``"cents"``
    (not whole cents) or ``"range"`` (outside 1.00 .. 1000.00); None when it can."""
    if amount is None:
        return "missing"
    if amount % (MICRO // 100):
        return "cents"
    if not CARD_MIN <= amount <= CARD_MAX:
        return "range"
    return None


@dataclass
class TopUpIntent:
    """The request being made and its key; :meth:`settled` ends it."""

    new_key: Callable[[], str] = new_idempotency_key
    request: Request | None = None
    key: str | None = None
    keys_issued: list[str] = field(default_factory=list)

    def key_for(self, request: Request) -> str:
        """The key to send ``request`` with: the same while the request is unchanged and
        unsettled, a fresh one otherwise."""
        if request != self.request or self.key is None:
            self.request = request
            self.key = self.new_key()
            self.keys_issued.append(self.key)
        return self.key

    def settled(self) -> None:
        """The server gave an outcome: the next request is a new top-up."""
        self.request = None
        self.key = None
