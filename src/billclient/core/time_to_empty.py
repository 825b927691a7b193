"""How long the money lasts at what the running services cost from now on (pure).

The rate that matters is the marginal one: what the next units of each running
service cost, not the average since it started. At the start of a call billed per
second after a first minute, the whole first minute is already charged: its next
59 seconds cost nothing more, and after it every second costs a sixtieth of the
minute's price. An average since the start would count the first minute's charge
as if every few seconds cost that much (9.90 EUR at 0.09 EUR/min looked like 12
minutes instead of 110).

So the time to empty is found by rating the future with the catalogue's own rules
(:func:`billclient.rating.charge`): after ``t`` more seconds, a service that has used
``u`` units has used ``u + floor(r * t)`` (``r`` units per second: 1 for time
services, the measured pace for bytes and events), and has cost ``charge(u + r t) -
charge(u)`` more: increments already paid cost nothing, the setup fee is behind it,
a minimum charge is used up first, and the time-of-day prices ahead apply. The
answer is the first whole second at which that spend exceeds the money left,
found by bisection (the spend only grows with ``t``).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from billclient.rating import Rate, Unit, charge

__all__ = [
    "HORIZON",
    "PaceMeter",
    "RunningSet",
    "RunningUse",
    "seconds_to_empty",
    "spend_ahead",
]

HORIZON = 30 * 86400
"""Seconds looked ahead: money that lasts longer than this "does not run out soon"."""


@dataclass(frozen=True, slots=True)
class RunningUse:
    """One service running now: its rate, start, usage so far and pace."""

    rate: Rate
    started_at: datetime
    used_units: int
    units_per_second: float
    """1 for a time service; for bytes and events, the pace measured lately."""

    def spent_after(self, seconds: int) -> int:
        """Micro-units this service costs in the next ``seconds`` beyond what it cost so far."""
        more = math.floor(self.units_per_second * seconds)
        if more <= 0:
            return 0
        now = charge(self.rate, self.started_at, self.used_units)
        return charge(self.rate, self.started_at, self.used_units + more) - now


def spend_ahead(uses: Sequence[RunningUse], seconds: int, extra_per_second: float = 0.0) -> int:
    """What everything running costs in the next ``seconds`` (micro-units).

    ``extra_per_second`` is spending known only as a steady rate (sessions of other
    devices, whose rates this client does not know).
    """
    spent = sum(use.spent_after(seconds) for use in uses)
    return spent + math.floor(extra_per_second * seconds)


def seconds_to_empty(
    left: int,
    uses: Sequence[RunningUse],
    *,
    extra_per_second: float = 0.0,
    horizon: int = HORIZON,
) -> int | None:
    """Whole seconds from now until the spend of ``uses`` exceeds ``left`` micro-units.

    0 when nothing is left; None when nothing running spends anything, or when the
    money outlasts ``horizon``.
    """
    if not any(use.units_per_second > 0 for use in uses) and extra_per_second <= 0:
        return None
    if left <= 0:
        return 0
    if spend_ahead(uses, horizon, extra_per_second) <= left:
        return None
    low, high = 0, horizon  # spend(low) <= left < spend(high)
    while high - low > 1:
        middle = (low + high) // 2
        if spend_ahead(uses, middle, extra_per_second) > left:
            high = middle
        else:
            low = middle
    return high


class PaceMeter:
    """Units per second of running sessions, from their usage over the last ``window``
    seconds (for bytes and events, whose pace is whatever the person does)."""

    def __init__(self, window: float = 30.0) -> None:
        self.window = window
        self._seen: dict[str, deque[tuple[float, int]]] = {}

    def observe(self, session_id: str, at: float, used_units: int) -> None:
        """A session's usage as of ``at`` (seconds on any one clock)."""
        seen = self._seen.setdefault(session_id, deque())
        if seen and at <= seen[-1][0]:
            seen[-1] = (seen[-1][0], max(seen[-1][1], used_units))
        else:
            seen.append((at, used_units))
        while len(seen) > 2 and seen[1][0] <= at - self.window:
            seen.popleft()

    def forget(self, session_id: str) -> None:
        """The session ended."""
        self._seen.pop(session_id, None)

    def per_second(self, session_id: str) -> float:
        """The pace over the samples kept (0 with fewer than two, or no time between)."""
        seen = self._seen.get(session_id)
        if not seen or len(seen) < 2:
            return 0.0
        (first_at, first_used), (last_at, last_used) = seen[0], seen[-1]
        if last_at <= first_at:
            return 0.0
        return max(last_used - first_used, 0) / (last_at - first_at)


@dataclass(frozen=True, slots=True)
class _Known:
    rate: Rate
    started_at: datetime
    per_unit_of_time: bool


class RunningSet:
    """The sessions running now, as the time to empty needs them: usage as it is seen
    (``seen``), each session's rate and start once looked up (``describe``)."""

    def __init__(self, pace_window: float = 30.0) -> None:
        self.pace = PaceMeter(pace_window)
        self._used: dict[str, int] = {}
        self._known: dict[str, _Known] = {}

    def seen(self, session_id: str, used_units: int, at: float) -> bool:
        """A running session's usage as of ``at``; True when its rate is still unknown."""
        self._used[session_id] = max(used_units, self._used.get(session_id, 0))
        self.pace.observe(session_id, at, used_units)
        return session_id not in self._known

    def describe(self, session_id: str, rate: Rate, started_at: datetime) -> None:
        """The rate and start of a session (its rate is in the catalogue; its start
        in the session's answer)."""
        self._known[session_id] = _Known(rate, started_at, rate.unit is Unit.SECOND)

    def ended(self, session_id: str) -> None:
        """The session is over."""
        self._used.pop(session_id, None)
        self._known.pop(session_id, None)
        self.pace.forget(session_id)

    @property
    def running(self) -> int:
        """How many sessions run."""
        return len(self._used)

    def uses(self) -> list[RunningUse] | None:
        """What runs, for :func:`seconds_to_empty`; None while a rate is not known yet."""
        found = []
        for session_id, used in self._used.items():
            known = self._known.get(session_id)
            if known is None:
                return None
            pace = 1.0 if known.per_unit_of_time else self.pace.per_second(session_id)
            found.append(RunningUse(known.rate, known.started_at, used, pace))
        return found
