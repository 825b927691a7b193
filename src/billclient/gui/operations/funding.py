"""Top-ups: a voucher or a card payment, each safe to retry with its idempotency key."""

from __future__ import annotations

from billclient.core.api import new_idempotency_key
from billclient.core.client import BillingClient
from billclient.protocol import TopUp

__all__ = ["new_idempotency_key", "top_up_card", "top_up_voucher"]


async def top_up_voucher(client: BillingClient, *, code: str, idempotency_key: str) -> TopUp:
    """Redeem the voucher ``code``."""
    return await client.api.topup_voucher(code, idempotency_key=idempotency_key)


async def top_up_card(
    client: BillingClient, *, amount: int, card_token: str, idempotency_key: str
) -> TopUp:
    """Pay ``amount`` micro-units with the card ``card_token``."""
    return await client.api.topup_card(amount, card_token, idempotency_key=idempotency_key)
