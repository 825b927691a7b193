"""When a silent session is ended: its deadline, and when the stored one is rewritten.

A session whose updates stop is ended by the reaper (cause ``update_timeout``) once
three update intervals have passed since its last accepted report: its *deadline*,
``last_activity + 3 * update_interval``. The reaper finds candidates through an
index on the stored ``sessions.deadline``; rewriting that index entry on every update
is work nobody needs, so an update writes the deadline only when the stored one lags
the true one by a whole interval or more. The stored deadline is therefore never
later than the true one and at most one interval earlier: the reaper may find a
session up to one interval early, checks the true deadline (:func:`passed`) and, if
it has not passed, stores it (:func:`stale`) instead of ending the session.
"""

from __future__ import annotations

__all__ = ["deadline", "moved", "passed", "stale"]

_US = 1_000_000
_SILENT_INTERVALS = 3


def deadline(last_activity: int, update_interval: int) -> int:
    """The true deadline of a session last heard of at ``last_activity`` (µs)."""
    return last_activity + _SILENT_INTERVALS * update_interval * _US


def moved(stored: int | None, now: int, update_interval: int) -> int | None:
    """The deadline an update accepted at ``now`` stores: the true one when ``stored``
    lags it by an interval or more (or is unset), else None (``stored`` stays)."""
    true = deadline(now, update_interval)
    if stored is None or true - stored >= update_interval * _US:
        return true
    return None


def passed(last_activity: int, update_interval: int, now: int) -> bool:
    """Whether the session's true deadline has passed at ``now``."""
    return deadline(last_activity, update_interval) < now


def stale(stored: int | None, last_activity: int, update_interval: int) -> int | None:
    """The true deadline when ``stored`` is earlier than it (to store), else None."""
    true = deadline(last_activity, update_interval)
    return true if stored is None or stored < true else None
