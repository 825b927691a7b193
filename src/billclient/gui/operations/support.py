"""The support console's calls: search, one account, its sessions and audit trail,
adjustments, status changes and ending a session."""

from __future__ import annotations

from dataclasses import dataclass

from billclient.core.api import Page
from billclient.core.client import BillingClient
from billclient.protocol import (
    Account,
    AccountDetail,
    AccountStatus,
    AccountSummary,
    AdjustmentResult,
    AuditEntry,
    LiveSession,
    SessionResource,
)

__all__ = [
    "AccountView",
    "adjust",
    "audit_page",
    "end_session",
    "look_up",
    "search",
    "set_status",
]


@dataclass(frozen=True)
class AccountView:
    """An account as support sees it: its detail and its live sessions."""

    detail: AccountDetail
    sessions: list[LiveSession]


async def search(
    client: BillingClient, *, query: str | None, limit: int, cursor: str | None
) -> Page[AccountSummary]:
    """Accounts whose id, name or login match ``query`` (every account without one)."""
    return await client.api.admin_search(query, limit=limit, cursor=cursor)


async def look_up(client: BillingClient, *, account_id: str) -> AccountView:
    """An account's detail and its live sessions."""
    detail = await client.api.admin_account(account_id)
    sessions = await client.api.admin_sessions(account=account_id)
    return AccountView(detail, sessions.items)


async def audit_page(
    client: BillingClient, *, account_id: str | None, limit: int, cursor: str | None
) -> Page[AuditEntry]:
    """One page of an account's audit trail."""
    return await client.api.admin_audit(account_id, limit=limit, cursor=cursor)


async def adjust(
    client: BillingClient, *, account_id: str, amount: int, reason: str, idempotency_key: str
) -> AdjustmentResult:
    """Credit (or, negative, debit) ``amount`` micro-units with a reason."""
    return await client.api.admin_adjust(
        account_id, amount, reason, idempotency_key=idempotency_key
    )


async def set_status(
    client: BillingClient, *, account_id: str, status: AccountStatus | str
) -> Account:
    """Activate or suspend an account (suspending ends its live sessions)."""
    return await client.api.admin_set_status(account_id, status)


async def end_session(client: BillingClient, *, session_id: str, reason: str) -> SessionResource:
    """End a live session on the account holder's behalf."""
    return await client.api.admin_end_session(session_id, reason)
