"""A month of spending read from the server's records (charge records and statement,
every page), so that the figures are right from the first start on any device."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar

from billclient.core.api import Page
from billclient.core.client import BillingClient
from billclient.core.insight import Spending, records_since, summarize

__all__ = ["PAGE_SIZE", "Progress", "read_spending"]

PAGE_SIZE = 1000
"""Records per request (the protocol's largest page)."""

Progress = Callable[[int], None]
"""Told the number of records read so far, after every page."""

T = TypeVar("T")


async def _every_page(
    fetch: Callable[[str | None], Awaitable[Page[T]]], read: Callable[[int], None]
) -> list[T]:
    items: list[T] = []
    cursor: str | None = None
    while True:
        page = await fetch(cursor)
        items.extend(page.items)
        read(len(page.items))
        cursor = page.next_cursor
        if cursor is None or not page.items:
            return items


async def read_spending(
    client: BillingClient,
    *,
    now: datetime | None = None,
    progress: Progress | None = None,
    page_size: int = PAGE_SIZE,
) -> Spending:
    """Spend per day (last 30 days), per service (this month) and the balance over
    that time, as of ``now`` (default: now, in the system's time zone)."""
    moment = now if now is not None else datetime.now().astimezone()
    since = records_since(moment)
    api = client.api
    count = 0

    def read(more: int) -> None:
        nonlocal count
        count += more
        if progress is not None:
            progress(count)

    charges, lines, account = await asyncio.gather(
        _every_page(lambda cursor: api.cdrs(since, None, limit=page_size, cursor=cursor), read),
        _every_page(
            lambda cursor: api.statement(since, None, limit=page_size, cursor=cursor), read
        ),
        api.account(),
    )
    return summarize(charges, lines, moment, balance_now=account.balance)
