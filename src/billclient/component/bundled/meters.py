"""Meters: a time meter on a monotonic clock, and counters for bytes and events."""

from __future__ import annotations

import math
from collections.abc import Callable

from billclient.protocol import Service, ServiceUnit

__all__ = ["CountMeter", "TimeMeter", "make_meter"]


class TimeMeter:
    """Whole seconds of ``clock`` between ``start()`` and ``stop()`` (cumulative).

    A second starts counting as soon as it begins: 0.2 s used is 1 unit, as a
    caller reporting usage must not under-report a started second. ``add`` is
    ignored: time is measured, not reported.
    """

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._started: float | None = None
        self._elapsed = 0.0
        self._stopped = False

    def start(self) -> None:
        """Start (or resume) measuring."""
        if self._started is None and not self._stopped:
            self._started = self._clock()

    def stop(self) -> None:
        """Stop measuring; the count is final."""
        if self._started is not None:
            self._elapsed += max(0.0, self._clock() - self._started)
            self._started = None
        self._stopped = True

    def used_units(self) -> int:
        """Seconds used so far, rounded up."""
        elapsed = self._elapsed
        if self._started is not None:
            elapsed += max(0.0, self._clock() - self._started)
        return math.ceil(elapsed - 1e-9) if elapsed > 0 else 0

    def add(self, n: int) -> None:
        """Ignored by a time meter (checked like any report)."""
        _check_amount(n)


class CountMeter:
    """Counts what ``add(n)`` reports (bytes or events) until ``stop()``.

    Reports after ``stop()`` are ignored: usage after a session's end is not billed.
    """

    def __init__(self) -> None:
        self._count = 0
        self._stopped = False

    def start(self) -> None:
        """Nothing to do: counting is driven by ``add``."""

    def stop(self) -> None:
        """Stop counting; the count is final."""
        self._stopped = True

    def used_units(self) -> int:
        """Units reported so far."""
        return self._count

    def add(self, n: int) -> None:
        """Count ``n`` more units (a non-negative integer)."""
        _check_amount(n)
        if not self._stopped:
            self._count += n


def _check_amount(n: int) -> None:
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise ValueError(f"units must be a non-negative integer, got {n!r}")


def make_meter(service: Service, *, clock: Callable[[], float]) -> TimeMeter | CountMeter:
    """The meter for ``service``'s unit: time for ``second``, a counter otherwise."""
    if service.unit == ServiceUnit.SECOND:
        return TimeMeter(clock)
    return CountMeter()
