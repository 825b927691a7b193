"""The session runner: advice of charge, open, meter, update, end; journaled.

:class:`SessionRunner` is what front ends use::

    quote = await runner.quote("voice", 60)          # show it; the person accepts
    run = await runner.start("voice", limit_units=60)
    ...                                              # run.progress ticks (Topic.RUN)
    final = await run.wait()                         # or: await run.stop()

The decisions live in :class:`~billclient.core.runstate.RunMachine` (pure); this
module does the I/O around it: the billing component's meter and estimator, the
journal (every call is written before it is sent), the API, and progress events on
the bus. A run that cannot settle with any server leaves its calls in the journal;
:meth:`SessionRunner.recover` replays them at the next start, and after a crash.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from filelock import FileLock, Timeout

from billclient.component import Component, Estimator, Meter, load_component
from billclient.protocol import ClientEndCause, Quote, Service, SessionResource, UpdateResult
from billclient.protocol.sessions import GatewayAccess

from .api import ApiClient
from .bus import EventBus, Topic
from .errors import (
    BillingError,
    Conflict,
    NotFound,
    RateLimited,
    ServerError,
    ServerUnreachable,
    SessionEnded,
)
from .journal import Journal, JournalCall, JournalRun
from .pool import ServerPool
from .runstate import Call, Change, Phase, RunMachine
from .settings import ProfilePaths

__all__ = ["RunProgress", "RunState", "RunningSession", "SessionRunner", "runner_for"]

_log = logging.getLogger(__name__)

_TICK = 0.25
_RETRY_FIRST, _RETRY_MAX = 0.5, 2.0


class RunState:
    """Values of :attr:`RunProgress.state`."""

    OPENING = "opening"
    RUNNING = "running"
    OFFLINE = "offline"  # running within the grant while no server answers
    STOPPING = "stopping"
    ENDED = "ended"
    UNSETTLED = "unsettled"  # stopped; the end waits in the journal for a server
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class RunProgress:
    """A run as it stands; published on :data:`Topic.RUN` whenever it changes.

    ``charged`` is the server's figure for the usage it has accepted; ``estimate``
    the local estimate for ``used_units`` (equal to ``charged`` right after an
    answer). Money in micro-units.
    """

    session_id: str
    service_id: str
    unit: str
    state: str
    used_units: int
    granted_units: int
    charged: int
    estimate: int
    final: bool
    seq: int
    server: str | None
    cause: str | None = None
    reason: str | None = None
    cdr_id: str | None = None
    offline_since: datetime | None = None
    recovered: bool = False


class _Client(Protocol):
    """What the runner needs of :class:`~billclient.core.client.BillingClient`."""

    @property
    def api(self) -> ApiClient: ...
    @property
    def pool(self) -> ServerPool: ...
    @property
    def bus(self) -> EventBus: ...
    @property
    def paths(self) -> ProfilePaths: ...


def runner_for(client: _Client, data_dir: Path | None = None) -> SessionRunner:
    """The runner of a client: the profile's journal, the current billing component."""
    directory = data_dir if data_dir is not None else client.paths.data_dir
    directory.mkdir(parents=True, exist_ok=True)
    return SessionRunner(client, load_component(directory), data_dir=directory)


class SessionRunner:
    """Runs metered sessions for one signed-in client (one profile).

    ``data_dir`` holds the journal and the run locks. ``update_interval`` overrides
    the service's interval (benchmarks; a client may update more often, never less).
    ``end_patience`` is how long a stopped run keeps trying to send its end before
    it leaves it to the journal. ``component`` may be replaced at any time (after a
    component update): the next session uses the new one.
    """

    def __init__(
        self,
        client: _Client,
        component: Component,
        *,
        data_dir: Path,
        clock: Callable[[], float] = time.monotonic,
        update_interval: float | None = None,
        end_patience: float = 30.0,
        tick: float = _TICK,
    ) -> None:
        self._client = client
        self.component = component
        self._data_dir = data_dir
        self._clock = clock
        self._interval = update_interval
        self._patience = end_patience
        self._tick = tick
        self._journal: Journal | None = None
        self._services: dict[str, Service] = {}

    @property
    def journal(self) -> Journal:
        """The profile's journal (opened on first use)."""
        if self._journal is None:
            self._journal = Journal(self._data_dir / "journal.sqlite3")
        return self._journal

    def close(self) -> None:
        """Close the journal file."""
        if self._journal is not None:
            self._journal.close()
            self._journal = None

    async def service(self, service_id: str) -> Service:
        """The catalogue entry of ``service_id`` (raises NotFound if the plan lacks it)."""
        if service_id not in self._services:
            services = await self._client.api.services()
            self._services = {service.service_id: service for service in services}
        found = self._services.get(service_id)
        if found is None:
            names = ", ".join(sorted(self._services)) or "none"
            raise _not_offered(service_id, names)
        return found

    async def quote(self, service_id: str, units: int) -> Quote:
        """Advice of charge: what ``units`` of the service cost now, and how many fit."""
        quote: Quote = await self._client.api.quote(service_id, units)
        return quote

    async def start(
        self, service_id: str, *, limit_units: int | None = None, meter: Meter | None = None
    ) -> RunningSession:
        """Open a session and run it in the background; the caller accepted the quote.

        ``limit_units`` ends the run with ``service_done`` once used. ``meter``
        replaces the component's meter for the service (a gateway's own count).
        """
        service = await self.service(service_id)
        lock, lock_name = self._new_lock()
        try:
            created = await self._client.api.open_session(
                service_id, idempotency_key=str(uuid.uuid4())
            )
            self.journal.begin(
                session_id=created.session_id,
                service_id=service_id,
                started_at=created.started_at.isoformat(),
                update_interval=created.update_interval,
                granted_units=created.granted_units,
                final=created.final,
                lock_name=lock_name,
            )
        except BaseException:
            lock.release()
            raise
        meter = meter if meter is not None else self.component.make_meter(service)
        machine = RunMachine(
            update_interval=self._interval or float(created.update_interval),
            granted_units=created.granted_units,
            final=created.final,
            now=self._clock(),
            limit_units=limit_units,
            answer_budget=_answer_budget(created.update_interval),
        )
        run = RunningSession(
            self,
            session_id=created.session_id,
            service=service,
            machine=machine,
            meter=meter,
            estimator=self.component.make_estimator(service, created.started_at),
            lock=lock,
            patience=self._patience,
        )
        run.gateway = created.gateway  # gateway-served: billclient.core.gateway_run consumes it
        meter.start()
        run.launch()
        return run

    async def recover(self) -> list[RunProgress]:
        """Settle every journaled session whose process has died (a crash, or a run
        that stopped while no server answered): replay its calls, end it with the
        usage of its last journaled update. Returns how each one ended (state
        ``unsettled`` if no server answered; it is tried again next time)."""
        outcomes: list[RunProgress] = []
        for journaled in self.journal.unsettled():
            lock = FileLock(str(self._lock_dir() / journaled.lock_name))
            try:
                lock.acquire(timeout=0)
            except Timeout:
                continue  # its process is alive and still running it
            try:
                outcomes.append(await self._recover_one(journaled, lock))
            except BillingError as error:  # signed out, refused...: try again next time
                if lock.is_locked:
                    lock.release()
                outcomes.append(
                    replace(
                        _ghost(journaled, journaled.acked_units, str(error)),
                        state=RunState.UNSETTLED,
                    )
                )
        return outcomes

    async def sessions_idle(self, poll: float = 0.5) -> None:
        """Return once no session of this profile runs (in any process of the profile)."""
        while self._busy():
            await asyncio.sleep(poll)

    def _busy(self) -> bool:
        for journaled in self.journal.unsettled():
            lock = FileLock(str(self._lock_dir() / journaled.lock_name))
            try:
                lock.acquire(timeout=0)
            except Timeout:
                return True  # a live process runs it
            lock.release()
        return False

    # -- internals -------------------------------------------------------------------

    async def _recover_one(self, journaled: JournalRun, lock: FileLock) -> RunProgress:
        session_id = journaled.session_id
        used = max([journaled.acked_units, *(c.used_units for c in journaled.pending)])
        try:
            server = await self._client.api.session(session_id)
        except NotFound:
            lock.release()
            outcome = _ghost(journaled, used, "the server does not know this session")
            self.journal.finish(session_id, _outcome_dict(outcome))
            return outcome
        except ServerUnreachable as error:
            lock.release()
            return replace(
                _ghost(journaled, used, str(error)), state=RunState.UNSETTLED, cause=None
            )
        late = server.cause == "update_timeout" and used > server.used_units
        if server.state == "ended" and not late:
            lock.release()
            outcome = _from_resource(journaled.service_id, server, recovered=True)
            self.journal.finish(session_id, _outcome_dict(outcome))
            return outcome
        queue = [
            Call(c.seq, c.used_units, c.cause) for c in journaled.pending if c.seq > server.last_seq
        ]
        machine = RunMachine(
            update_interval=float(journaled.update_interval),
            granted_units=max(journaled.granted_units, server.granted_units),
            final=journaled.final or server.final,
            now=self._clock(),
            last_seq=max(server.last_seq, *(c.seq for c in queue), 0) if queue else server.last_seq,
            acked_units=server.used_units,
            charged=server.charged,
            used_units=used,
        )
        machine.queue.extend(queue)
        if not any(call.is_end for call in queue):
            added = machine.stop(
                "client_error",
                "the client stopped unexpectedly; usage up to its last journaled update is charged",
            )
            for call in added:
                self.journal.append(session_id, _journal_call(call))
        else:
            machine.phase = Phase.STOPPING
        service = await self._service_or_none(journaled.service_id)
        run = RunningSession(
            self,
            session_id=session_id,
            service=service,
            machine=machine,
            meter=None,
            estimator=None,
            lock=lock,
            patience=min(self._patience, 10.0),
            recovered=True,
            service_id=journaled.service_id,
        )
        run.launch()
        return await run.wait()

    async def _service_or_none(self, service_id: str) -> Service | None:
        try:
            return await self.service(service_id)
        except BillingError:
            return None

    def _lock_dir(self) -> Path:
        directory = self._data_dir / "runs"
        directory.mkdir(parents=True, exist_ok=True)
        return directory

    def _new_lock(self) -> tuple[FileLock, str]:
        name = f"{uuid.uuid4().hex}.lock"
        lock = FileLock(str(self._lock_dir() / name))
        lock.acquire(timeout=0)
        return lock, name

    def _publish(self, progress: RunProgress) -> None:
        self._client.bus.publish(Topic.RUN, progress)


class RunningSession:
    """One session being run; created by :meth:`SessionRunner.start`."""

    def __init__(
        self,
        runner: SessionRunner,
        *,
        session_id: str,
        service: Service | None,
        machine: RunMachine,
        meter: Meter | None,
        estimator: Estimator | None,
        lock: FileLock,
        patience: float,
        recovered: bool = False,
        service_id: str | None = None,
    ) -> None:
        self.session_id = session_id
        self.service = service
        self.meter = meter
        self.gateway: GatewayAccess | None = None
        """Where to consume a gateway-served service (from the session's answer)."""
        self._runner = runner
        self._machine = machine
        self._estimator = estimator
        self._lock = lock
        self._patience = patience
        self._recovered = recovered
        self._service_id = service_id or (service.service_id if service else "")
        self._wake = asyncio.Event()
        self._task: asyncio.Task[RunProgress] | None = None
        self._state_override: str | None = None
        self._failure: str | None = None
        self._server: str | None = None
        self._seq = machine.last_seq - len(machine.queue)
        self.progress = self._snapshot()

    def launch(self) -> None:
        """Start the background loop (done by the runner)."""
        self._task = asyncio.get_running_loop().create_task(self._loop())

    async def stop(self, cause: str = "user") -> RunProgress:
        """Stop the service and end the session with ``cause``; the final progress."""
        self._journal_new(
            self._machine.stop(cause, "stopped by the person" if cause == "user" else None)
        )
        self._wake.set()
        return await self.wait()

    async def wait(self) -> RunProgress:
        """Wait for the run to end; its final progress."""
        assert self._task is not None
        return await asyncio.shield(self._task)

    def add(self, units: int) -> None:
        """Report units a byte or event service delivered (time meters ignore it)."""
        if self.meter is not None:
            self.meter.add(units)

    # -- the loop --------------------------------------------------------------------

    async def _loop(self) -> RunProgress:
        machine, journal = self._machine, self._runner.journal
        clock = self._runner._clock
        sender: asyncio.Task[UpdateResult | SessionResource] | None = None
        in_flight: Call | None = None
        retry_at, backoff = 0.0, _RETRY_FIRST
        stopping_since: float | None = None
        try:
            while True:
                now = clock()
                if self.meter is not None and machine.phase is Phase.RUNNING:
                    self._journal_new(machine.tick(now, self.meter.used_units()))
                if machine.phase is not Phase.RUNNING and self.meter is not None:
                    self.meter.stop()
                if sender is not None and sender.done():
                    assert in_flight is not None
                    ok = self._settle(in_flight, sender)
                    sender, in_flight = None, None
                    if ok:
                        backoff = _RETRY_FIRST
                    else:
                        retry_at = clock() + backoff
                        backoff = min(backoff * 2, _RETRY_MAX)
                if machine.phase is Phase.ENDED or self._state_override == RunState.FAILED:
                    break
                if machine.phase is Phase.STOPPING:
                    stopping_since = stopping_since if stopping_since is not None else now
                    if not machine.online and now - stopping_since > self._patience:
                        self._state_override = RunState.UNSETTLED
                        break
                head = machine.head()
                if head is not None and sender is None and clock() >= retry_at:
                    machine.sending(clock())
                    in_flight = head
                    sender = asyncio.get_running_loop().create_task(self._send(head))
                    sender.add_done_callback(lambda _t: self._wake.set())
                self._publish()
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._runner._tick)
        finally:
            if sender is not None and not sender.done():
                sender.cancel()
            if self.meter is not None:
                self.meter.stop()
            self._lock.release()
            self._publish()
        if machine.phase is Phase.ENDED or (
            self._recovered and self._state_override == RunState.FAILED
        ):
            journal.finish(self.session_id, _outcome_dict(self.progress))
        return self.progress

    async def _send(self, call: Call) -> UpdateResult | SessionResource:
        api = self._runner._client.api
        budget = _request_budget(self._machine.update_interval)
        if call.is_end:
            return await api.end_session(
                self.session_id,
                seq=call.seq,
                used_units=call.used_units,
                cause=ClientEndCause(call.cause or "client_error"),
                budget=budget,
            )
        return await api.update_session(
            self.session_id,
            seq=call.seq,
            used_units=call.used_units,
            measured_at=datetime.now(UTC),
            budget=budget,
        )

    def _settle(self, call: Call, sender: asyncio.Task[UpdateResult | SessionResource]) -> bool:
        """Apply the outcome of sending ``call``; False if it should be tried again."""
        machine, journal = self._machine, self._runner.journal
        error = sender.exception() if not sender.cancelled() else None
        self._server = self._runner._client.pool.current
        if error is None and not sender.cancelled():
            answer = sender.result()
            self._seq = call.seq
            if isinstance(answer, SessionResource):
                journal.acked(self.session_id, call.seq)
                self._end_from(answer)
            else:
                journal.acked(
                    self.session_id,
                    call.seq,
                    granted_units=answer.granted_units,
                    final=answer.final,
                )
                change = machine.accepted(
                    call.seq,
                    used_units=answer.used_units,
                    charged=answer.charged,
                    granted_units=answer.granted_units,
                    final=answer.final,
                    terminate=answer.action == "terminate",
                    reason=answer.reason,
                )
                self._apply(change)
            return True
        if isinstance(error, SessionEnded):
            if error.session is not None:
                self._end_from(error.session)
            else:
                machine.ended(
                    used_units=machine.acked_units,
                    charged=machine.charged,
                    cause=None,
                    cdr_id=None,
                )
            return True
        if isinstance(error, ServerUnreachable | RateLimited | ServerError):
            machine.unreachable(self._runner._clock())
            return False
        if isinstance(error, Conflict):
            _log.warning("session %s: %s", self.session_id, error)
        # anything else cannot be fixed by sending again: stop the service, keep the
        # journal for the next start (after a new sign-in, for instance)
        machine.stop("client_error", str(error) if error else "cancelled")
        self._state_override = RunState.FAILED
        self._failure = str(error) if error else "cancelled"
        return False

    def _end_from(self, resource: SessionResource) -> None:
        self._machine.ended(
            used_units=resource.used_units,
            charged=resource.charged,
            cause=resource.cause.value if resource.cause else None,
            cdr_id=resource.cdr_id,
        )
        self._seq = max(self._seq, resource.last_seq)

    def _apply(self, change: Change) -> None:
        if change.discarded:
            self._runner.journal.discard(self.session_id, list(change.discarded))
        self._journal_new(list(change.added))

    def _journal_new(self, calls: list[Call]) -> None:
        for call in calls:
            self._runner.journal.append(self.session_id, _journal_call(call))

    # -- progress --------------------------------------------------------------------

    def _publish(self) -> None:
        snapshot = self._snapshot()
        if snapshot != self.progress:
            self.progress = snapshot
            self._runner._publish(snapshot)

    def _snapshot(self) -> RunProgress:
        machine = self._machine
        estimator = self._estimator
        estimate = machine.estimate(estimator.charge) if estimator is not None else machine.charged
        if self._state_override is not None:
            state = self._state_override
        elif machine.phase is Phase.ENDED:
            state = RunState.ENDED
        elif machine.phase is Phase.STOPPING:
            state = RunState.STOPPING
        else:
            state = RunState.RUNNING if machine.online else RunState.OFFLINE
        reason = machine.reason
        if self._state_override == RunState.FAILED:
            reason = self._failure or reason
        elif self._state_override == RunState.UNSETTLED:
            reason = (
                "no billing server answered; the end is journaled and is sent at the next "
                "start (billclient status)"
            )
        return RunProgress(
            session_id=self.session_id,
            service_id=self._service_id,
            unit=self.service.unit.value if self.service else "",
            state=state,
            used_units=machine.used_units,
            granted_units=machine.granted_units,
            charged=machine.charged,
            estimate=estimate,
            final=machine.final,
            seq=self._seq,
            server=self._server,
            cause=machine.cause,
            reason=reason,
            cdr_id=machine.cdr_id,
            offline_since=_wall(machine.offline_since, self._runner._clock),
            recovered=self._recovered,
        )


def _request_budget(update_interval: float) -> float:
    """PROTOCOL.md: the time one server gets for a session call."""
    return max(1.0, update_interval / 3)


def _answer_budget(update_interval: float) -> float:
    """How long a call may stay unanswered before the grant is all the run may use:
    two passes over two servers (the pool's failover), then the run is offline."""
    return 4 * _request_budget(update_interval)


def _wall(monotonic: float | None, clock: Callable[[], float]) -> datetime | None:
    if monotonic is None:
        return None
    return datetime.fromtimestamp(time.time() - (clock() - monotonic), UTC)


def _journal_call(call: Call) -> JournalCall:
    return JournalCall(call.seq, call.used_units, call.cause, datetime.now(UTC).isoformat())


def _from_resource(service_id: str, resource: SessionResource, *, recovered: bool) -> RunProgress:
    return RunProgress(
        session_id=resource.session_id,
        service_id=service_id,
        unit="",
        state=RunState.ENDED if resource.state == "ended" else RunState.RUNNING,
        used_units=resource.used_units,
        granted_units=resource.granted_units,
        charged=resource.charged,
        estimate=resource.charged,
        final=resource.final,
        seq=resource.last_seq,
        server=None,
        cause=resource.cause.value if resource.cause else None,
        cdr_id=resource.cdr_id,
        recovered=recovered,
    )


def _ghost(journaled: JournalRun, used: int, reason: str) -> RunProgress:
    return RunProgress(
        session_id=journaled.session_id,
        service_id=journaled.service_id,
        unit="",
        state=RunState.FAILED,
        used_units=used,
        granted_units=journaled.granted_units,
        charged=0,
        estimate=0,
        final=journaled.final,
        seq=journaled.last_seq,
        server=None,
        reason=reason,
        recovered=True,
    )


def _outcome_dict(progress: RunProgress) -> dict[str, Any]:
    return {
        "session_id": progress.session_id,
        "service_id": progress.service_id,
        "state": progress.state,
        "used_units": progress.used_units,
        "charged": progress.charged,
        "cause": progress.cause,
        "cdr_id": progress.cdr_id,
        "reason": progress.reason,
    }


def _not_offered(service_id: str, names: str) -> BillingError:
    return BillingError(f"your plan does not offer {service_id!r} (services: {names})")
