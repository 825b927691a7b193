"""What a billing component offers: meters, an estimator and a self-test."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Protocol, runtime_checkable

from billclient.protocol import Service

__all__ = ["Clock", "Component", "ComponentError", "Estimator", "Meter"]

Clock = Callable[[], float]
"""A monotonic clock in seconds (``time.monotonic``)."""


class ComponentError(Exception):
    """A component could not be built, installed or loaded; ``str(e)`` says why in one line."""


@runtime_checkable
class Meter(Protocol):
    """Counts the units a session uses.

    ``used_units()`` is cumulative since ``start()``. Time meters count whole
    seconds of their clock and ignore ``add``; byte and event meters count what
    ``add(n)`` reports (n >= 0) until ``stop()``.
    """

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def used_units(self) -> int: ...

    def add(self, n: int) -> None: ...


@runtime_checkable
class Estimator(Protocol):
    """The local estimate of a session's charge, by CATALOG.md (``billclient.rating``)."""

    def charge(self, used_units: int) -> int:
        """Micro-units for ``used_units`` used since the session started."""
        ...


MeterFactory = Callable[..., Meter]
EstimatorFactory = Callable[[Service, datetime], Estimator]


class Component:
    """One loaded version of the billing component.

    Built by the loader from a manifest's entry points; ``path`` is the installed
    directory (None for the version bundled with the client).
    """

    def __init__(
        self,
        *,
        version: str,
        make_meter: MeterFactory,
        make_estimator: EstimatorFactory,
        self_test: Callable[[], None],
        path: Path | None = None,
        module: str = "",
    ) -> None:
        self.version = version
        self.path = path
        self.module = module
        self._make_meter = make_meter
        self._make_estimator = make_estimator
        self._self_test = self_test

    @property
    def bundled(self) -> bool:
        """True for the version shipped inside the client package."""
        return self.path is None

    def make_meter(self, service: Service, *, clock: Clock = time.monotonic) -> Meter:
        """A fresh meter for one session of ``service``."""
        return self._make_meter(service, clock=clock)

    def make_estimator(self, service: Service, started_at: datetime) -> Estimator:
        """A local estimator of the charge of a session of ``service`` from ``started_at``."""
        return self._make_estimator(service, started_at)

    def self_test(self) -> None:
        """Run the component's own checks; raises ComponentError naming what failed."""
        try:
            self._self_test()
        except ComponentError:
            raise
        except Exception as exc:
            raise ComponentError(
                f"component {self.version} failed its self-test: {_one_line(exc)}"
            ) from exc

    def __repr__(self) -> str:
        where = "bundled" if self.path is None else str(self.path)
        return f"<Component {self.version} ({where})>"


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
