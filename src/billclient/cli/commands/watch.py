"""``billclient watch``: the live balance and events until Ctrl+C."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from datetime import datetime
from typing import Any

from billclient.core.bus import Topic

from ..context import Context
from ..exits import OK
from ..output import money

__all__ = ["run_watch"]


async def run_watch(ctx: Context) -> int:
    """Print the balance, then every live event, until interrupted."""
    client = await ctx.client()
    out = ctx.out
    account = await client.api.account()
    currency = account.currency
    if out.as_json:
        out.json({"event": "account", "data": account})
    else:
        out.text(
            f"{account.name}: balance {money(account.balance, currency)}, "
            f"available {money(account.available, currency)} (Ctrl+C to stop)"
        )

    def show(kind: str) -> Any:
        def handler(payload: Any) -> None:
            if out.as_json:
                out.json({"event": kind, "data": payload})
                return
            stamp = datetime.now().strftime("%H:%M:%S")
            out.text(f"{stamp}  {kind:<10} {_describe(kind, payload, currency)}")

        return handler

    unsubscribe = [
        client.bus.subscribe(topic, show(kind))
        for topic, kind in (
            (Topic.BALANCE, "balance"),
            (Topic.SESSION, "session"),
            (Topic.NOTICE, "notice"),
            (Topic.CONNECTION, "connection"),
        )
    ]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    client.live.start()
    try:
        await stop.wait()
    finally:
        for undo in unsubscribe:
            undo()
        await client.live.stop()
    return OK


def _describe(kind: str, payload: Any, currency: str) -> str:
    if kind == "balance":
        return (
            f"balance {money(payload.balance, currency)}, reserved "
            f"{money(payload.reserved, currency)}, available {money(payload.available, currency)}"
        )
    if kind == "session":
        return (
            f"{payload.session_id} {payload.state}: {payload.used_units} units, "
            f"{money(payload.charged, currency)}" + (f" ({payload.cause})" if payload.cause else "")
        )
    if kind == "connection":
        status = getattr(payload.status, "value", payload.status)
        since = payload.since.astimezone().strftime("%H:%M:%S")
        where = f" to {payload.server}" if payload.server else ""
        detail = f" ({payload.detail})" if payload.detail else ""
        return f"{status}{where} since {since}{detail}"
    data = payload.model_dump(mode="json") if hasattr(payload, "model_dump") else payload
    return ", ".join(f"{key}={value}" for key, value in dict(data).items())
