"""Live events: one Server-Sent Events stream (``GET /v1/events``) kept open.

Events are published on the bus (``BALANCE``, ``SESSION``, ``NOTICE``, ``LIMIT`` for
a spending limit 80 % or fully spent, and ``TOPUP`` for how a top-up settled), and so
is the connection's state (``CONNECTION``: live, reconnecting, or offline since when).
After a break the stream reconnects with backoff, to the pool's servers in turn,
sending ``Last-Event-ID`` so that nothing is missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
from httpx_sse import ServerSentEvent, aconnect_sse
from pydantic import BaseModel, ValidationError

from billclient.protocol import BalanceEvent, LimitEvent, NoticeEvent, NoticeKind, SessionEvent
from billclient.protocol.funding import TopUpNotice

from .bus import EventBus, Topic
from .credentials import Credentials, Refresher
from .errors import (
    BillingError,
    CredentialsUnavailable,
    DeviceRevoked,
    NotFound,
    NotSignedIn,
    error_from_response,
)
from .failover import FailoverPolicy
from .linkstate import ConnectionState, LinkStatus
from .pool import ServerPool

__all__ = ["ConnectionState", "LinkStatus", "LiveEvents"]

_log = logging.getLogger(__name__)

_CONNECT_TIMEOUT = 5.0


_EVENTS: dict[str, tuple[str, type[BaseModel]]] = {
    "balance": (Topic.BALANCE, BalanceEvent),
    "session": (Topic.SESSION, SessionEvent),
    "notice": (Topic.NOTICE, NoticeEvent),
    "limit": (Topic.LIMIT, LimitEvent),
}


class LiveEvents:
    """Keeps the account's event stream open and publishes what arrives."""

    def __init__(
        self,
        pool: ServerPool,
        credentials: Credentials,
        refresher: Refresher,
        bus: EventBus,
        *,
        policy: FailoverPolicy | None = None,
        read_timeout: float = 60.0,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._pool = pool
        self._credentials = credentials
        self._refresher = refresher
        self._bus = bus
        self.policy = policy or pool.policy
        """Reconnect backoff (``reconnect_base``, ``reconnect_max``)."""
        self._read_timeout = read_timeout
        self._jitter = jitter
        self._task: asyncio.Task[None] | None = None
        self.last_event_id: str | None = None
        """The id of the last event received (sent as ``Last-Event-ID`` on reconnect)."""
        self.state = ConnectionState(LinkStatus.OFFLINE, datetime.now(UTC))
        """The connection's state now."""
        self.last_balance: BalanceEvent | None = None
        """The figures of the latest ``balance`` event (a new object for each one, so a
        read can tell whether an event overtook it)."""

    @property
    def running(self) -> bool:
        """True while the stream is being kept open."""
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Open the stream in the background (in the running event loop)."""
        if self.running:
            return
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        """Close the stream."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.state.status is not LinkStatus.OFFLINE:
            self._set(LinkStatus.OFFLINE, None, "stopped")

    def _set(self, status: LinkStatus, server: str | None, detail: str | None) -> None:
        previous = self.state
        since = datetime.now(UTC)
        if status is LinkStatus.OFFLINE and previous.status is LinkStatus.RECONNECTING:
            since = previous.since  # offline since the connection was lost
        if previous.status is status and previous.server == server:
            return
        self.state = ConnectionState(status, since, server, detail)
        self._bus.publish(Topic.CONNECTION, self.state)

    async def _run(self) -> None:
        failures = 0
        while True:
            servers = self._pool.order()
            if not servers:
                self._set(LinkStatus.OFFLINE, None, "no server configured")
                return
            server = servers[failures % len(servers)]
            try:
                received = await self._stream(server)
            except (_Fatal, NotSignedIn, DeviceRevoked, CredentialsUnavailable) as fatal:
                self._set(LinkStatus.OFFLINE, server, str(fatal))
                return
            except (httpx.HTTPError, TimeoutError, BillingError, ValueError) as error:
                _log.info("live events from %s broke: %s", server, error)
                received = False
            failures = 0 if received else failures + 1
            if self.state.status is LinkStatus.LIVE or failures < len(servers):
                self._set(LinkStatus.RECONNECTING, None, None)
            else:
                self._set(LinkStatus.OFFLINE, None, "no server answers; still trying")
            await asyncio.sleep(self.policy.reconnect_delay(max(failures, 1), self._jitter()))

    async def _stream(self, server: str) -> bool:
        """Read one connection until it ends; True if it was established."""
        for attempt in range(2):
            tokens = await self._credentials.tokens()
            if tokens is None:
                raise _Fatal("not signed in")
            if tokens.expiring():
                tokens = await self._credentials.refresh(self._refresher, tokens)
            headers = {
                "Authorization": f"Bearer {tokens.access_token}",
                "Accept": "text/event-stream",
            }
            if self.last_event_id is not None:
                headers["Last-Event-ID"] = self.last_event_id
            timeout = httpx.Timeout(
                _CONNECT_TIMEOUT, read=self._read_timeout, connect=_CONNECT_TIMEOUT
            )
            async with aconnect_sse(
                self._pool.http, "GET", server + "/v1/events", headers=headers, timeout=timeout
            ) as source:
                answer = source.response
                if answer.status_code == 401 and attempt == 0:
                    await answer.aread()
                    await self._credentials.refresh(self._refresher, tokens)
                    continue
                if answer.status_code != 200:
                    await answer.aread()
                    error = error_from_response(answer)
                    if isinstance(error, NotFound) or answer.status_code in (401, 403):
                        raise _Fatal(str(error))
                    raise error
                self._pool.record(server, True)
                self._set(LinkStatus.LIVE, server, None)
                async for event in source.aiter_sse():
                    self._dispatch(event)
                return True
        return False

    def _dispatch(self, event: ServerSentEvent) -> None:
        if event.id:
            self.last_event_id = event.id
        target = _EVENTS.get(event.event)
        if target is None or not event.data:
            return
        topic, model = target
        try:
            data: Any = json.loads(event.data)
            payload = model.model_validate(data)
        except (ValueError, ValidationError) as error:
            _log.warning("ignored a malformed %s event: %s", event.event, error)
            return
        if isinstance(payload, BalanceEvent):
            self.last_balance = payload
        self._bus.publish(topic, payload)
        if isinstance(payload, NoticeEvent) and payload.kind is NoticeKind.TOPUP:
            with contextlib.suppress(ValidationError):
                self._bus.publish(Topic.TOPUP, TopUpNotice.model_validate(data))


class _Fatal(Exception):
    """The stream cannot work for this sign-in (no account, signed out)."""
