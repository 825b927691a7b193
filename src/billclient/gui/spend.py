"""Balance and spend over time, for the dashboard's chart (pure, no Qt).

The time to empty is the core's (:mod:`billclient.core.time_to_empty`): from what the
running services cost from now on, not from the spend seen lately.

Times are seconds (any monotonic or epoch clock, as long as one is used throughout);
money is integer micro-units. ``spent`` is a running total that only grows: the sum
of every increase of every session's charge seen so far.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import deque
from dataclasses import dataclass

__all__ = ["Sample", "SpendHistory", "SpendTotal"]


@dataclass(frozen=True, slots=True)
class Sample:
    """The figures at one moment (``balance`` None where there is none: before the
    account's opening, in the server's records)."""

    at: float
    balance: int | None
    spent: int


class SpendTotal:
    """Adds up charge increases per session; a figure lower than the last is ignored
    (a late event never un-spends money)."""

    def __init__(self) -> None:
        self._charges: dict[str, int] = {}
        self.total = 0

    def observe(self, session_id: str, charged: int) -> int:
        """Take the charge of a session so far; returns the new total."""
        before = self._charges.get(session_id)
        if before is None:
            self._charges[session_id] = charged
            self.total += charged
        elif charged > before:
            self._charges[session_id] = charged
            self.total += charged - before
        return self.total


class SpendHistory:
    """Samples of the last ``span`` seconds, oldest first, at most one per ``resolution``
    seconds (a newer figure within that replaces the last sample's)."""

    def __init__(self, span: float = 3600.0, resolution: float = 1.0) -> None:
        self.span = span
        self.resolution = resolution
        self._samples: deque[Sample] = deque()

    def record(self, at: float, balance: int, spent: int) -> None:
        """Add a sample (times never go back: an earlier ``at`` is taken as the last one's)."""
        if self._samples and at < self._samples[-1].at:
            at = self._samples[-1].at
        samples = self._samples
        if len(samples) >= 2 and samples[-1].at - samples[-2].at < self.resolution:
            samples.pop()  # the last sample is too close to the one before: refine it
        elif samples and samples[-1].at == at:
            samples.pop()
        self._samples.append(Sample(at, balance, spent))
        self.trim(at)

    def trim(self, now: float) -> None:
        """Forget samples older than ``span`` but keep one at or before the window's start,
        so lines can be drawn from the left edge."""
        start = now - self.span
        while len(self._samples) >= 2 and self._samples[1].at <= start:
            self._samples.popleft()

    def samples(self) -> list[Sample]:
        """The samples, oldest first."""
        return list(self._samples)

    def latest(self) -> Sample | None:
        """The newest sample."""
        return self._samples[-1] if self._samples else None

    def spent_since(self, start: float) -> int:
        """How much was spent from ``start`` to the latest sample."""
        if not self._samples:
            return 0
        times = [sample.at for sample in self._samples]
        index = max(bisect_left(times, start) - 1, 0)
        return self._samples[-1].spent - self._samples[index].spent
