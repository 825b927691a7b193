"""The account's records: charge records, the statement, and saving them as CSV."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

from billclient.core.api import Page
from billclient.core.client import BillingClient
from billclient.protocol import Cdr, ListOrder, StatementLine

__all__ = ["cdr_page", "save_text", "statement_page"]


async def cdr_page(
    client: BillingClient,
    *,
    limit: int,
    cursor: str | None,
    since: datetime | None = None,
    until: datetime | None = None,
    order: ListOrder = ListOrder.ASC,
) -> Page[Cdr]:
    """One page of charge records that ended in ``[since, until)``, oldest first
    (``ListOrder.DESC``: newest first)."""
    return await client.api.cdrs(since, until, limit=limit, cursor=cursor, order=order)


async def statement_page(
    client: BillingClient,
    *,
    limit: int,
    cursor: str | None,
    since: datetime | None = None,
    until: datetime | None = None,
    order: ListOrder = ListOrder.ASC,
) -> Page[StatementLine]:
    """One page of the statement (money movements with the balance after each), oldest
    first (``ListOrder.DESC``: newest first)."""
    return await client.api.statement(since, until, limit=limit, cursor=cursor, order=order)


async def save_text(*, path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` in a worker thread; the path written.

    Written next to the target and moved over it, so a failure leaves no half file."""
    target = Path(path)
    temporary = target.with_name(f".{target.name}.part")

    def write() -> None:
        try:
            temporary.write_text(text, encoding="utf-8")
            temporary.replace(target)
        finally:
            temporary.unlink(missing_ok=True)

    await asyncio.to_thread(write)
    return target
