"""What the gateway knows about each session it serves, and what it served.

:class:`Meter` keeps one :class:`Metered` per admitted session. A poller reads
the sessions' status from the billing server every ``poll_interval`` (so an ended
session is cut off within a second); a reporter sends the served counts every
``report_interval`` and at once when a session ends. :meth:`Metered.verdict` says
whether a connection may serve, must pause, or must stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from enum import Enum

from billclient.protocol import SessionState
from billclient.protocol.gateway import GatewayKind, SessionStatus

from .billing import BillingClient, BillingRefused, BillingUnavailable
from .ranges import Coverage

__all__ = ["Meter", "Metered", "Verdict"]

log = logging.getLogger("billserver.gateway")

_FORGET_AFTER = 60.0  # seconds an idle, fully reported session stays in memory


class Verdict(Enum):
    """What a connection does next."""

    SERVE = "serve"
    PAUSE = "pause"  # no grant to serve from yet, or the client's updates stopped
    STOP = "stop"  # the session ended, or its final grant is used up


@dataclass
class Metered:
    """One session as the gateway sees it."""

    status: SessionStatus
    fetched: float  # time.monotonic() of the status
    base: int  # units reported before this process admitted the session (a restart)
    stall_after: float
    stream_bytes: int = 0
    events: int = 0
    files: dict[str, Coverage] = field(default_factory=dict)
    reported: int = 0
    connections: int = 0
    last_used: float = field(default_factory=time.monotonic)

    @property
    def served(self) -> int:
        """Units served so far (the gateway's count)."""
        kind, unit = self.status.kind, self.status.unit
        if kind is GatewayKind.MESSAGE:
            return self.base + self.events
        if kind is GatewayKind.DOWNLOAD:
            return self.base + sum(cover.total for cover in self.files.values())
        if unit == "second":
            rate = self.bytes_per_second
            return self.base + -(-self.stream_bytes // rate)
        return self.base + self.stream_bytes

    @property
    def bytes_per_second(self) -> int:
        """A stream's pace."""
        return max(1, (self.status.bitrate or 8) // 8)

    @property
    def stream_limit(self) -> int:
        """The bytes of stream the current grant covers."""
        units = self.status.granted_units - self.base
        return units * self.bytes_per_second if self.status.unit == "second" else units

    @property
    def exhausted(self) -> bool:
        """Whether the current grant is used up (a stream's last second to its last byte)."""
        if self.status.kind is GatewayKind.STREAM:
            return self.stream_bytes >= self.stream_limit
        return self.served >= self.status.granted_units

    @property
    def allowance(self) -> int:
        """Units of the current grant not yet served."""
        return max(0, self.status.granted_units - self.served)

    def verdict(self) -> Verdict:
        """Serve, pause or stop, from the last known status and the count so far."""
        status = self.status
        if status.state is SessionState.ENDED:
            return Verdict.STOP
        if self.exhausted:
            return Verdict.STOP if status.final else Verdict.PAUSE
        idle = status.idle_seconds + (time.monotonic() - self.fetched)
        if idle > self.stall_after * status.update_interval:
            return Verdict.PAUSE
        return Verdict.SERVE


class Meter:
    """The sessions this gateway serves; polls their status and reports their counts."""

    def __init__(
        self,
        billing: BillingClient,
        *,
        gateway_id: str,
        poll_interval: float,
        report_interval: float,
        stall_factor: float,
    ) -> None:
        self.billing = billing
        self.gateway_id = gateway_id
        self.poll_interval = poll_interval
        self.report_interval = report_interval
        self.stall_factor = stall_factor
        self.sessions: dict[str, Metered] = {}
        self.closing = False  # the process is stopping: connections end
        self._changed = asyncio.Event()
        self._report_now = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def admit(self, token: str) -> Metered:
        """The session a client's gateway token names, checked by the billing server.

        Raises :class:`BillingRefused` (bad or expired token) or
        :class:`BillingUnavailable`.
        """
        answer = await self.billing.post("/v1/gateway/admissions", {"token": token})
        status = SessionStatus.model_validate(answer)
        metered = self.sessions.get(status.session_id)
        if metered is None:
            metered = Metered(
                status=status,
                fetched=time.monotonic(),
                base=status.gateway_units or 0,
                stall_after=self.stall_factor,
            )
            metered.reported = metered.base
            self.sessions[status.session_id] = metered
        else:
            self._refresh(metered, status)
        metered.last_used = time.monotonic()
        return metered

    async def wait(self, timeout: float) -> None:
        """Until the next status poll (or ``timeout`` seconds)."""
        changed = self._changed
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(changed.wait(), timeout)

    def served_some(self, metered: Metered) -> None:
        """A connection served units of ``metered`` (called after each chunk or message)."""
        metered.last_used = time.monotonic()
        if metered.verdict() is Verdict.STOP:
            self._report_now.set()

    def released(self, metered: Metered) -> None:
        """A connection of ``metered`` closed: its count is reported promptly."""
        metered.connections -= 1
        metered.last_used = time.monotonic()
        self._report_now.set()

    def start(self) -> None:
        """Start polling and reporting (in the running event loop)."""
        self._tasks = [
            asyncio.create_task(self._poll_loop(), name="gateway-poll"),
            asyncio.create_task(self._report_loop(), name="gateway-report"),
        ]

    async def stop(self) -> None:
        """Stop the loops, then report what is still unreported."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        with contextlib.suppress(BillingUnavailable, BillingRefused):
            await self.report()

    # -- polling -----------------------------------------------------------------------

    def _refresh(self, metered: Metered, status: SessionStatus) -> None:
        ended = status.state is SessionState.ENDED and metered.status.state is not status.state
        metered.status, metered.fetched = status, time.monotonic()
        if ended:
            self._report_now.set()

    async def poll(self) -> None:
        """Read the status of every session still served or not yet fully reported."""
        now = time.monotonic()
        for session_id, metered in list(self.sessions.items()):
            done = metered.status.state is SessionState.ENDED or (
                now - metered.last_used > _FORGET_AFTER
            )
            if done and metered.connections == 0 and metered.reported >= metered.served:
                del self.sessions[session_id]
        ids = [sid for sid, m in self.sessions.items() if m.status.state is SessionState.ACTIVE]
        if ids:
            answer = await self.billing.post("/v1/gateway/sessions", {"session_ids": ids})
            for item in answer:
                status = SessionStatus.model_validate(item)
                known = self.sessions.get(status.session_id)
                if known is not None:
                    self._refresh(known, status)
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def _poll_loop(self) -> None:
        while True:
            started = time.monotonic()
            try:
                await self.poll()
            except (BillingUnavailable, BillingRefused) as error:
                log.warning("cannot read session status: %s", error)
            except Exception:  # the poller must outlive any one bad answer
                log.exception("session status poll failed")
            elapsed = time.monotonic() - started
            await asyncio.sleep(max(0.0, self.poll_interval - elapsed))

    # -- reporting ---------------------------------------------------------------------

    async def report(self) -> None:
        """Send the counts that changed since the last report."""
        pending = {sid: m.served for sid, m in self.sessions.items() if m.served > m.reported}
        if not pending:
            return
        counts = [{"session_id": sid, "served_units": n} for sid, n in pending.items()]
        await self.billing.post(
            "/v1/gateway/counts", {"gateway_id": self.gateway_id, "counts": counts}
        )
        for sid, served in pending.items():
            metered = self.sessions.get(sid)
            if metered is not None:
                metered.reported = max(metered.reported, served)

    async def _report_loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._report_now.wait(), self.report_interval)
            self._report_now.clear()
            try:
                await self.report()
            except (BillingUnavailable, BillingRefused) as error:
                log.warning("cannot report served counts: %s", error)
            except Exception:
                log.exception("served count report failed")
