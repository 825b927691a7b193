"""The failover policy, without I/O: which server next, how long to wait, when the
primary is taken back.

The pool (:mod:`billclient.core.pool`) does the I/O and asks this module what to do.
Servers are indexes into the pool's list; index 0 is the primary.

- A request starts on the current (sticky, last good) server and then tries the others
  in list order, wrapping round (:meth:`FailoverState.order`).
- Between full passes over the servers it waits a truncated exponential backoff with
  full jitter (:meth:`FailoverPolicy.backoff`), at least what a ``Retry-After`` asked.
- The server that answers becomes current (:meth:`FailoverState.succeeded`).
- While the current server is not the primary, the primary is probed; it is taken back
  after ``healthy_probes`` healthy probes in a row (:meth:`FailoverState.probed`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

__all__ = ["FailoverPolicy", "FailoverState"]


@dataclass(frozen=True)
class FailoverPolicy:
    """The tunables of failover (seconds)."""

    base_delay: float = 0.1
    """Backoff cap before the second pass; doubles every pass."""
    max_delay: float = 2.0
    """The backoff never exceeds this (truncation)."""
    rounds: int = 2
    """Passes over every server a request makes before it gives up."""
    probe_interval: float = 2.0
    """Seconds between health probes of the primary while another server is in use."""
    healthy_probes: int = 2
    """Healthy probes in a row before the primary is taken back."""
    max_retry_after: float = 30.0
    """A ``Retry-After`` longer than this ends the request instead of waiting."""
    reconnect_base: float = 0.25
    """First wait before a live event stream reconnects; doubles per failure."""
    reconnect_max: float = 15.0
    """The longest wait between reconnects of a live event stream."""

    def __post_init__(self) -> None:
        if self.base_delay < 0 or self.max_delay < 0 or self.probe_interval <= 0:
            raise ValueError("delays must not be negative and the probe interval positive")
        if self.rounds < 1 or self.healthy_probes < 1:
            raise ValueError("rounds and healthy_probes must be at least 1")

    def backoff(self, passes: int, jitter: float) -> float:
        """The wait before pass ``passes + 1`` after ``passes`` failed passes (>= 1).

        Full jitter: a uniform share (``jitter`` in [0, 1]) of
        ``min(max_delay, base_delay * 2 ** (passes - 1))``.
        """
        if passes < 1:
            return 0.0
        cap = min(self.max_delay, self.base_delay * 2.0 ** min(passes - 1, 62))
        return cap * min(1.0, max(0.0, jitter))

    def reconnect_delay(self, failures: int, jitter: float) -> float:
        """The wait before reconnecting a stream after ``failures`` failures in a row (>= 1).

        Equal jitter: between half and all of
        ``min(reconnect_max, reconnect_base * 2 ** (failures - 1))``, so that a
        reconnect never spins and many clients do not reconnect in step.
        """
        if failures < 1:
            return 0.0
        cap = min(self.reconnect_max, self.reconnect_base * 2.0 ** min(failures - 1, 62))
        return cap * (0.5 + 0.5 * min(1.0, max(0.0, jitter)))

    def wait(self, passes: int, jitter: float, retry_after: float | None) -> float | None:
        """The wait before the next pass, or None when the request should give up.

        A ``Retry-After`` is honoured (the wait is at least that long) unless it is
        longer than ``max_retry_after``; after ``rounds`` passes the request gives up.
        """
        if passes >= self.rounds:
            return None
        delay = self.backoff(passes, jitter)
        if retry_after is not None:
            if retry_after > self.max_retry_after:
                return None
            delay = max(delay, retry_after)
        return delay


@dataclass(frozen=True)
class FailoverState:
    """Which of ``count`` servers is in use, and the primary's recent health."""

    count: int
    current: int = 0
    healthy_streak: int = 0

    def __post_init__(self) -> None:
        if self.count < 0 or not (0 <= self.current < max(self.count, 1)):
            raise ValueError("current must index one of the servers")

    @property
    def on_primary(self) -> bool:
        """True while the primary (index 0) is in use."""
        return self.current == 0

    def order(self) -> list[int]:
        """The servers to try for one pass: the current one, then the rest in list order."""
        return [(self.current + step) % self.count for step in range(self.count)]

    def succeeded(self, index: int) -> FailoverState:
        """``index`` answered: it becomes the current server (sticky)."""
        if not 0 <= index < self.count:
            raise ValueError("no such server")
        if index == self.current:
            return self
        return replace(self, current=index, healthy_streak=0)

    def probed(self, healthy: bool, policy: FailoverPolicy) -> FailoverState:
        """A health probe of the primary finished; take it back after enough healthy ones."""
        if self.on_primary:
            return replace(self, healthy_streak=0)
        streak = self.healthy_streak + 1 if healthy else 0
        if streak >= policy.healthy_probes:
            return replace(self, current=0, healthy_streak=0)
        return replace(self, healthy_streak=streak)

    def resized(self, count: int, current: int | None) -> FailoverState:
        """The state for a new server list where the current server is at ``current``."""
        if count == 0:
            return FailoverState(0)
        index = current if current is not None and 0 <= current < count else 0
        return FailoverState(count, index, 0)
