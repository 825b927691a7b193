"""The session runner: advice of charge, open, meter, update, end; journaled.

:class:`SessionRunner` is what front ends use::

    quote = await runner.quote("voice", 60)          # show it; the person accepts
    run = await runner.start("voice", limit_units=60)
    ...                                              # run.progress ticks (Topic.RUN)
    final = await run.wait()                         # or: await run.stop()
    runner.running()                                 # the runs of this process going on
    await runner.stop_all()                          # before signing out or quitting

There is one runner per profile: :attr:`BillingClient.runner
<billclient.core.client.BillingClient.runner>`, used by the GUI, the CLI and the demo.

The decisions live in :class:`~billclient.core.sessions.machine.RunMachine` (pure); the
loop around it, :class:`~billclient.core.sessions.running.RunningSession`, does the I/O:
the billing component's meter and estimator, the journal (every call is written
before it is sent), the API, and progress events on the bus. A run that cannot
settle with any server leaves its calls in the journal; :meth:`SessionRunner.recover`
replays them at the next start, and after a crash.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Protocol

from filelock import FileLock, Timeout

from billclient.component import Component, Meter, load_component
from billclient.protocol import Quote, Service

from ..api import ApiClient
from ..bus import EventBus, Topic
from ..errors import (
    BillingError,
    NotFound,
    ServerUnreachable,
    ServiceNotOffered,
)
from ..journal import Journal, JournalRun
from ..pool import ServerPool
from ..settings import ProfilePaths
from .batcher import UpdateBatcher
from .machine import Call, Phase, RunMachine
from .progress import RunProgress, RunState, outcome_record, progress_from_resource, unsent
from .running import RunEnv, RunningSession, answer_budget, journal_call

__all__ = ["RunProgress", "RunState", "RunningSession", "SessionRunner", "runner_for"]

_TICK = 0.25


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
        self._runs: dict[str, RunningSession] = {}
        self.updates = UpdateBatcher(lambda: self._client.api, self._running_count)
        """Sends the updates of the sessions due together in one call."""

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
            limit=None if created.limit is None else created.limit.value,
            now=self._clock(),
            limit_units=limit_units,
            answer_budget=answer_budget(created.update_interval),
        )
        run = RunningSession(
            self._env(),
            session_id=created.session_id,
            service=service,
            machine=machine,
            meter=meter,
            estimator=self.component.make_estimator(service, created.started_at),
            lock=lock,
            patience=self._patience,
            started_at=created.started_at,
        )
        run.gateway = created.gateway  # gateway-served: billclient.core.gateway_run consumes it
        meter.start()
        self._launch(run)
        return run

    def running(self) -> list[RunningSession]:
        """The sessions this runner started that have not finished, oldest first."""
        return [run for run in self._runs.values() if not run.done]

    async def stop_all(self, cause: str = "user") -> list[RunProgress]:
        """Stop every running session with ``cause`` and wait until each has ended (or
        left its end in the journal); their final progress, in start order."""
        runs = self.running()
        if not runs:
            return []
        ended = await asyncio.gather(*(run.stop(cause) for run in runs), return_exceptions=True)
        return [outcome for outcome in ended if isinstance(outcome, RunProgress)]

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
                        unsent(journaled, journaled.acked_units, str(error)),
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
            outcome = unsent(journaled, used, "the server does not know this session")
            self.journal.finish(session_id, outcome_record(outcome))
            return outcome
        except ServerUnreachable as error:
            lock.release()
            return replace(
                unsent(journaled, used, str(error)), state=RunState.UNSETTLED, cause=None
            )
        late = server.cause == "update_timeout" and used > server.used_units
        if server.state == "ended" and not late:
            lock.release()
            outcome = progress_from_resource(journaled.service_id, server, recovered=True)
            self.journal.finish(session_id, outcome_record(outcome))
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
                self.journal.append(session_id, journal_call(call))
        else:
            machine.phase = Phase.STOPPING
        service = await self._service_or_none(journaled.service_id)
        run = RunningSession(
            self._env(),
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
        self._launch(run)
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

    def _launch(self, run: RunningSession) -> None:
        for finished in [key for key, known in self._runs.items() if known.done]:
            del self._runs[finished]
        self._runs[run.session_id] = run
        run.launch()

    def _publish(self, progress: RunProgress) -> None:
        self._client.bus.publish(Topic.RUN, progress)

    def _env(self) -> RunEnv:
        return RunEnv(
            api=self._client.api,
            pool=self._client.pool,
            journal=self.journal,
            clock=self._clock,
            tick=self._tick,
            publish=self._publish,
            updates=self.updates,
        )

    def _running_count(self) -> int:
        return sum(not run.done for run in self._runs.values())


def _not_offered(service_id: str, names: str) -> BillingError:
    return ServiceNotOffered(f"your plan does not offer {service_id!r} (services: {names})")
