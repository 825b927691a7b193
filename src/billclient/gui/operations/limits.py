"""Spending limits: reading and setting the account's own, support's reading and clearing."""

from __future__ import annotations

from billclient.core.client import BillingClient
from billclient.protocol import AccountLimits

__all__ = ["clear_account_limits", "read_account_limits", "read_limits", "save_limits"]


async def read_limits(client: BillingClient) -> AccountLimits:
    """The account's limits and what it spent against them."""
    return await client.api.limits()


async def save_limits(
    client: BillingClient, *, daily: int | None, monthly: int | None
) -> AccountLimits:
    """Set both limits (micro-units; None: no limit); the limits afterwards."""
    return await client.api.set_limits(daily, monthly)


async def read_account_limits(client: BillingClient, *, account_id: str) -> AccountLimits:
    """Support: any account's limits."""
    return await client.api.admin_limits(account_id)


async def clear_account_limits(client: BillingClient, *, account_id: str) -> AccountLimits:
    """Support: remove an account's limits (audited)."""
    return await client.api.admin_clear_limits(account_id)
