"""The session runner's state machine: pure, no I/O, no clock of its own.

The runner feeds it meter readings (:meth:`RunMachine.tick`), the answers of the
server (:meth:`accepted`, :meth:`ended`) and failures (:meth:`unreachable`); it
answers with the calls to journal and send, strictly in ``seq`` order, one at a
time (:meth:`head`). Rules (PROTOCOL.md, "Sessions"):

- an update every ``update_interval`` seconds, cumulative ``used_units``;
- an update at once when the usage reaches a non-final grant (to get the next one);
- the end, with a cause, when the requested amount is used (``service_done``), the
  final grant is used up (``credit_exhausted``, or ``spending_limit`` when a spending
  limit made it final), a server says ``terminate``, or the person stops;
- with no server answering (or the call in flight unanswered for longer than
  ``answer_budget``), the service continues only up to the units already granted,
  then ends (``credit_exhausted``) and says why;
- a ``terminate`` answer drops the updates queued behind it (never sent) and the end
  takes the next ``seq``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

__all__ = ["Call", "Change", "Phase", "RunMachine"]


class Phase(StrEnum):
    """Where a run is."""

    RUNNING = "running"
    STOPPING = "stopping"  # the end call is queued, not answered yet
    ENDED = "ended"


@dataclass(frozen=True, slots=True)
class Call:
    """A call to send: an update (``cause`` None) or the end."""

    seq: int
    used_units: int
    cause: str | None = None

    @property
    def is_end(self) -> bool:
        """True for the end call."""
        return self.cause is not None


@dataclass(frozen=True, slots=True)
class Change:
    """What an answer changed in the queue: calls to forget, calls to add."""

    discarded: tuple[int, ...] = ()
    added: tuple[Call, ...] = ()


@dataclass(slots=True)
class RunMachine:
    """One session's run; figures are units and micro-units, times monotonic seconds."""

    update_interval: float
    granted_units: int
    final: bool
    now: float
    last_seq: int = 0
    acked_units: int = 0
    charged: int = 0
    limit_units: int | None = None
    answer_budget: float = 1.0
    phase: Phase = Phase.RUNNING
    used_units: int = 0
    online: bool = True
    offline_since: float | None = None
    cause: str | None = None
    reason: str | None = None
    limit: str | None = None  # the spending limit that made the grant final, if one did
    cdr_id: str | None = None
    queue: list[Call] = field(default_factory=list)
    next_update_at: float = 0.0
    sent_at: float | None = None

    def __post_init__(self) -> None:
        self.used_units = max(self.used_units, self.acked_units)
        self.next_update_at = self.now + self.update_interval

    # -- inputs --------------------------------------------------------------------

    def tick(self, now: float, used_units: int, *, join: bool = False) -> list[Call]:
        """A meter reading at ``now``; returns the new calls to journal, in order.

        ``join``: other sessions' updates are leaving now; an update at least half an
        interval old goes with them rather than alone later (never more often than
        every half interval, never later than alone)."""
        self.now = max(self.now, now)
        if self.phase is not Phase.RUNNING:
            return []
        used = max(self.used_units, used_units)
        if self.limit_units is not None:
            used = min(used, self.limit_units)
        self.used_units = used
        if self.limit_units is not None and used >= self.limit_units:
            return self.stop("service_done", f"the requested {self.limit_units} units are used")
        if used >= self.granted_units and self.final:
            if self.limit is not None:
                return self.stop("spending_limit", f"the {self.limit} spending limit is reached")
            return self.stop(
                "credit_exhausted", f"the final grant of {self.granted_units} units is used up"
            )
        if used >= self.granted_units and (not self.online or self._overdue()):
            return self.stop(
                "credit_exhausted",
                f"no billing server answered; stopped at the {self.granted_units} units "
                "granted before",
            )
        want_grant = used >= self.granted_units and not self.queue
        joining = join and not self.queue and self.now >= self._half_due()
        if want_grant or joining or self.now >= self.next_update_at:
            self.next_update_at = self.now + self.update_interval
            return [self._enqueue(None)]
        return []

    def sending(self, now: float) -> None:
        """The head call is being sent (first attempt or again)."""
        self.now = max(self.now, now)
        if self.sent_at is None:
            self.sent_at = self.now

    def stop(self, cause: str, reason: str | None = None) -> list[Call]:
        """End the session with ``cause``; returns the end call (none if already ending)."""
        if self.phase is not Phase.RUNNING:
            return []
        self.phase = Phase.STOPPING
        self.cause, self.reason = cause, reason
        return [self._enqueue(cause)]

    def accepted(
        self,
        seq: int,
        *,
        used_units: int,
        charged: int,
        granted_units: int,
        final: bool,
        terminate: bool = False,
        reason: str | None = None,
        limit: str | None = None,
    ) -> Change:
        """A server accepted update ``seq`` (the head) with these figures."""
        self._pop(seq)
        self.sent_at = None
        self.online, self.offline_since = True, None
        self.acked_units = max(self.acked_units, used_units)
        self.charged = charged
        self.granted_units, self.final = granted_units, final
        self.limit = limit if final else None
        if not terminate or self.phase is Phase.ENDED:
            return Change()
        discarded = tuple(call.seq for call in self.queue)
        pending_end = next((call for call in self.queue if call.is_end), None)
        self.queue.clear()
        self.last_seq = seq
        why = f"the server ended the service ({reason or 'terminate'})"
        if pending_end is not None:  # already stopping: the end moves up to the next seq
            self.phase = Phase.RUNNING
            added = self.stop(pending_end.cause or "user", self.reason)
        else:
            causes = {None: "credit_exhausted", "credit_exhausted": "credit_exhausted",
                      "spending_limit": "spending_limit"}  # fmt: skip
            cause = causes.get(reason, "client_error")
            added = self.stop(cause, why)
        return Change(discarded, tuple(added))

    def ended(
        self, *, used_units: int, charged: int, cause: str | None, cdr_id: str | None
    ) -> None:
        """The session is over: answered end call, or the server had ended it already."""
        self.queue.clear()
        self.sent_at = None
        self.phase = Phase.ENDED
        self.online, self.offline_since = True, None
        self.acked_units = max(self.acked_units, used_units)
        self.used_units = max(self.used_units, used_units)
        self.charged = charged
        self.cause = cause or self.cause
        self.cdr_id = cdr_id

    def unreachable(self, now: float) -> None:
        """No server answered the head call; it stays queued and is sent again."""
        self.now = max(self.now, now)
        self.online = False
        if self.offline_since is None:
            self.offline_since = self.now

    # -- views ---------------------------------------------------------------------

    def head(self) -> Call | None:
        """The next call to send (the oldest unanswered), or None."""
        return self.queue[0] if self.queue else None

    def estimate(self, rate: Callable[[int], int]) -> int:
        """The charge so far: the server's figure plus the local rating of what followed."""
        extra = rate(self.used_units) - rate(self.acked_units) if self.used_units else 0
        return self.charged + max(0, extra)

    # -- internals -----------------------------------------------------------------

    def _enqueue(self, cause: str | None) -> Call:
        self.last_seq += 1
        call = Call(self.last_seq, self.used_units, cause)
        self.queue.append(call)
        return call

    def _half_due(self) -> float:
        return self.next_update_at - self.update_interval / 2

    def _overdue(self) -> bool:
        """The call in flight has waited longer than a server may take to answer."""
        return self.sent_at is not None and self.now - self.sent_at > self.answer_budget

    def _pop(self, seq: int) -> None:
        if not self.queue or self.queue[0].seq != seq:
            raise ValueError(f"seq {seq} is not the call in flight")
        self.queue.pop(0)
