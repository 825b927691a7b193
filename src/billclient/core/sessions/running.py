"""One session being run: the loop around the pure :class:`RunMachine`.

Every tick reads the meter and feeds the machine; the calls it makes are journaled
before they are sent, one at a time, in ``seq`` order; answers and failures go
back into the machine; the progress is published whenever it changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from filelock import FileLock

from billclient.component import Estimator, Meter
from billclient.protocol import ClientEndCause, Service, SessionResource, UpdateResult
from billclient.protocol.sessions import GatewayAccess

from ..api import ApiClient, update_budget
from ..errors import Conflict, RateLimited, ServerError, ServerUnreachable, SessionEnded
from ..journal import Journal, JournalCall
from ..pool import ServerPool
from .batcher import UpdateBatcher
from .machine import Call, Change, Phase, RunMachine
from .progress import RunProgress, RunState, outcome_record

__all__ = ["RunEnv", "RunningSession", "answer_budget", "journal_call"]

_log = logging.getLogger(__name__)

_RETRY_FIRST, _RETRY_MAX = 0.5, 2.0


@dataclass(frozen=True, slots=True)
class RunEnv:
    """What a run works with (given by :class:`~billclient.core.sessions.SessionRunner`)."""

    api: ApiClient
    pool: ServerPool
    journal: Journal
    clock: Callable[[], float]
    tick: float
    publish: Callable[[RunProgress], None]
    updates: UpdateBatcher


class RunningSession:
    """One session being run; created by :meth:`SessionRunner.start`."""

    def __init__(
        self,
        env: RunEnv,
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
        started_at: datetime | None = None,
    ) -> None:
        self.session_id = session_id
        self.started_at = started_at
        self.service = service
        self.meter = meter
        self.gateway: GatewayAccess | None = None
        """Where to consume a gateway-served service (from the session's answer)."""
        self._env = env
        self._machine = machine
        self._estimator = estimator
        self._lock = lock
        self._patience = patience
        self._recovered = recovered
        self._service_id = service_id or (service.service_id if service else "")
        self._wake = asyncio.Event()
        self._join = False
        self._task: asyncio.Task[RunProgress] | None = None
        self._state_override: RunState | None = None
        self._failure: str | None = None
        self._server: str | None = None
        self._seq = machine.last_seq - len(machine.queue)
        self.progress = self._snapshot()

    def launch(self) -> None:
        """Start the background loop (done by the runner)."""
        self._task = asyncio.get_running_loop().create_task(self._loop())
        self._env.updates.follow(self.join_updates)

    def join_updates(self) -> None:
        """Other sessions' updates are leaving: send this one's along if it is half due."""
        self._join = True
        self._wake.set()

    async def stop(self, cause: str = "user") -> RunProgress:
        """Stop the service and end the session with ``cause``; the final progress."""
        self._journal_new(
            self._machine.stop(cause, "stopped by the person" if cause == "user" else None)
        )
        self._wake.set()
        return await self.wait()

    @property
    def done(self) -> bool:
        """True once the run's loop has finished (ended, journaled or failed)."""
        return self._task is not None and self._task.done()

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
        machine, journal = self._machine, self._env.journal
        clock = self._env.clock
        sender: asyncio.Task[UpdateResult | SessionResource] | None = None
        in_flight: Call | None = None
        retry_at, backoff = 0.0, _RETRY_FIRST
        stopping_since: float | None = None
        try:
            while True:
                now = clock()
                if self.meter is not None and machine.phase is Phase.RUNNING:
                    join, self._join = self._join, False
                    self._journal_new(machine.tick(now, self.meter.used_units(), join=join))
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
                    await asyncio.wait_for(self._wake.wait(), self._env.tick)
        finally:
            self._env.updates.unfollow(self.join_updates)
            if sender is not None and not sender.done():
                sender.cancel()
            if self.meter is not None:
                self.meter.stop()
            self._lock.release()
            self._publish()
        if machine.phase is Phase.ENDED or (
            self._recovered and self._state_override == RunState.FAILED
        ):
            journal.finish(self.session_id, outcome_record(self.progress))
        return self.progress

    async def _send(self, call: Call) -> UpdateResult | SessionResource:
        api = self._env.api
        budget = update_budget(self._machine.update_interval)
        if call.is_end:
            return await api.end_session(
                self.session_id,
                seq=call.seq,
                used_units=call.used_units,
                cause=ClientEndCause(call.cause or "client_error"),
                budget=budget,
            )
        return await self._env.updates.update(
            self.session_id,
            seq=call.seq,
            used_units=call.used_units,
            measured_at=datetime.now(UTC),
            budget=budget,
        )

    def _settle(self, call: Call, sender: asyncio.Task[UpdateResult | SessionResource]) -> bool:
        """Apply the outcome of sending ``call``; False if it should be tried again."""
        machine, journal = self._machine, self._env.journal
        error = sender.exception() if not sender.cancelled() else None
        self._server = self._env.pool.current
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
                    limit=None if answer.limit is None else answer.limit.value,
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
            machine.unreachable(self._env.clock())
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
            self._env.journal.discard(self.session_id, list(change.discarded))
        self._journal_new(list(change.added))

    def _journal_new(self, calls: list[Call]) -> None:
        for call in calls:
            self._env.journal.append(self.session_id, journal_call(call))

    # -- progress --------------------------------------------------------------------

    def _publish(self) -> None:
        snapshot = self._snapshot()
        if snapshot != self.progress:
            self.progress = snapshot
            self._env.publish(snapshot)

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
            offline_since=_wall(machine.offline_since, self._env.clock),
            recovered=self._recovered,
            started_at=self.started_at,
        )


def answer_budget(update_interval: float) -> float:
    """How long a call may stay unanswered before the grant is all the run may use:
    two passes over two servers (the pool's failover), then the run is offline."""
    return 4 * update_budget(update_interval)


def _wall(monotonic: float | None, clock: Callable[[], float]) -> datetime | None:
    if monotonic is None:
        return None
    return datetime.fromtimestamp(time.time() - (clock() - monotonic), UTC)


def journal_call(call: Call) -> JournalCall:
    """The journal row of a call, stamped now."""
    return JournalCall(call.seq, call.used_units, call.cause, datetime.now(UTC).isoformat())
