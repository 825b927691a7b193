"""``billclient watch``: the live balance and events, one sentence each, until Ctrl+C.

With ``--json`` every event is one JSON line (``{"event", "data"}``) as it arrives.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable
from datetime import datetime
from typing import Any

from billclient.core.bus import Topic
from billclient.core.client import BillingClient
from billclient.core.errors import BillingError
from billclient.core.live import ConnectionState, LinkStatus
from billclient.core.spending import limit_event_text
from billclient.core.words.formats import format_duration, format_units
from billclient.core.words.rating import cause_text, end_summary
from billclient.protocol import (
    BalanceEvent,
    LimitEvent,
    NoticeEvent,
    NoticeKind,
    Service,
    SessionEvent,
)
from billclient.protocol.funding import TopUpNotice

from ..context import Context
from ..exits import OK
from ..output import money

__all__ = ["Narrator", "run_watch"]

_TOPICS = (
    (Topic.BALANCE, "balance"),
    (Topic.SESSION, "session"),
    (Topic.NOTICE, "notice"),
    (Topic.TOPUP, "topup"),
    (Topic.LIMIT, "limit"),
    (Topic.CONNECTION, "connection"),
)


async def run_watch(ctx: Context) -> int:
    """Print the balance, then every live event, until interrupted."""
    client = await ctx.client()
    out = ctx.out
    account = await client.api.account()
    if out.as_json:
        out.json({"event": "account", "data": account})
    else:
        out.text(
            f"{account.name}: balance {money(account.balance, account.currency)}, available "
            f"{money(account.available, account.currency)}. Watching for changes (Ctrl+C stops)."
        )
    narrator = Narrator(client, account.currency)
    queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

    def enqueue(kind: str) -> Callable[[Any], None]:
        return lambda payload: queue.put_nowait((kind, payload))

    unsubscribe = [client.bus.subscribe(topic, enqueue(kind)) for topic, kind in _TOPICS]

    async def show() -> None:
        while True:
            kind, payload = await queue.get()
            if out.as_json:
                out.json({"event": kind, "data": payload})
                continue
            line = await narrator.describe(kind, payload)
            if line:
                out.text(f"{datetime.now():%H:%M:%S}  {line}")

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    printer = loop.create_task(show())
    client.live.start()
    try:
        await stop.wait()
    finally:
        for undo in unsubscribe:
            undo()
        printer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await printer
        await client.live.stop()
    return OK


class Narrator:
    """Live events as sentences; looks up (once) which service a session runs."""

    def __init__(self, client: BillingClient, currency: str) -> None:
        self.client = client
        self.currency = currency
        self._services: dict[str, Service] | None = None
        self._sessions: dict[str, Service | None] = {}

    async def describe(self, kind: str, payload: Any) -> str | None:
        """The sentence for one event (None: nothing to say)."""
        if isinstance(payload, BalanceEvent):
            return self.balance(payload)
        if isinstance(payload, SessionEvent):
            return self.session(payload, await self._service_of(payload.session_id))
        if isinstance(payload, TopUpNotice):
            return self.topup(payload)
        if isinstance(payload, NoticeEvent):
            return self.notice(payload)
        if isinstance(payload, LimitEvent):
            return limit_event_text(payload, self.currency)
        if isinstance(payload, ConnectionState):
            return connection_text(payload)
        return None

    def balance(self, event: BalanceEvent) -> str:
        cur = self.currency
        return (
            f"Balance {money(event.balance, cur)}; {money(event.reserved, cur)} reserved for "
            f"running services; {money(event.available, cur)} available."
        )

    def session(self, event: SessionEvent, service: Service | None) -> str:
        name = service.name if service is not None else "A session"
        unit = service.unit.value if service is not None else ""
        label = f"{name} (session {event.session_id[:8]})"
        if event.state.value == "active" and event.used_units == 0 and event.charged == 0:
            return f"{label} started."
        if event.state.value == "active":
            used = format_units(event.used_units, unit) if unit else f"{event.used_units} units"
            return f"{label}: {used} used, {money(event.charged, self.currency)} charged so far."
        why = cause_text(event.cause.value if event.cause else None)
        used = end_summary(
            service, event.used_units, event.charged, self.currency, unit, money=money
        )
        return f"{label} ended. {why} {used}"

    def topup(self, notice: TopUpNotice) -> str:
        cur = self.currency
        amount = money(notice.amount, cur)
        status = notice.status.value
        if status == "succeeded":
            return f"Top-up of {amount} arrived; {money(notice.available, cur)} available."
        if status == "declined":
            why = f" ({notice.reason})" if notice.reason else ""
            return f"The card top-up of {amount} was declined{why}: nothing was added."
        return f"The card top-up of {amount} is still waiting for the bank."

    def notice(self, notice: NoticeEvent) -> str | None:
        if notice.kind is NoticeKind.TOPUP:
            return None  # told by its own event (Topic.TOPUP), with the amount
        if notice.kind is NoticeKind.LOW_BALANCE:
            left = money(notice.available or 0, self.currency)
            if notice.seconds_left is None:
                return f"Low balance: {left} available. Top up to keep services running."
            lasts = format_duration(notice.seconds_left)
            return f"Low balance: {left} available, about {lasts} at what runs now."
        if notice.kind is NoticeKind.SESSION_TERMINATED:
            session = (notice.session_id or "")[:8]
            why = cause_text(notice.cause.value if notice.cause else None)
            return f"The billing server ended session {session}. {why}"
        return (
            "An automatic top-up was charged to the saved card "
            "(the balance fell below its threshold)."
        )

    async def _service_of(self, session_id: str) -> Service | None:
        if session_id not in self._sessions:
            found: Service | None = None
            with contextlib.suppress(BillingError):
                if self._services is None:
                    services = await self.client.api.services()
                    self._services = {s.service_id: s for s in services}
                resource = await self.client.api.session(session_id)
                found = self._services.get(resource.service_id)
            self._sessions[session_id] = found
        return self._sessions[session_id]


def connection_text(state: ConnectionState) -> str:
    """The live connection's state as a sentence."""
    detail = f" ({state.detail})" if state.detail else ""
    since = state.since.astimezone().strftime("%H:%M:%S")
    if state.status is LinkStatus.LIVE:
        return f"Live: receiving changes from {state.server}."
    if state.status is LinkStatus.OFFLINE:
        return f"Offline since {since}: no billing server answers{detail}; still trying."
    return f"Reconnecting to the billing servers{detail}."
