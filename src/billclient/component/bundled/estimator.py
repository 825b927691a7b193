"""The local charge estimate: the service's rate through ``billclient.rating``."""

from __future__ import annotations

from datetime import datetime

from billclient.protocol import Service
from billclient.protocol.money import format_money
from billclient.rating import Rate, charge

__all__ = ["RateEstimator", "make_estimator", "rate_of"]


def rate_of(service: Service) -> Rate:
    """The rating engine's :class:`Rate` for a service of ``GET /v1/services``."""
    info = service.rate
    return Rate.from_text(
        unit=service.unit.value,
        timezone=info.timezone,
        price=info.price,
        per=info.per,
        increment=info.increment,
        first_increment=info.first_increment,
        setup_fee=format_money(info.setup_fee),
        min_charge=format_money(info.min_charge),
        windows=[window.model_dump() for window in info.windows],
    )


class RateEstimator:
    """Charges of one session of a service that started at ``started_at``."""

    def __init__(self, rate: Rate, started_at: datetime) -> None:
        if started_at.tzinfo is None or started_at.utcoffset() is None:
            raise ValueError(f"started_at must be timezone-aware, got {started_at.isoformat()}")
        self.rate = rate
        self.started_at = started_at

    def charge(self, used_units: int) -> int:
        """Micro-units for ``used_units`` used, by CATALOG.md (the server's own rules)."""
        return charge(self.rate, self.started_at, used_units)


def make_estimator(service: Service, started_at: datetime) -> RateEstimator:
    """An estimator for a session of ``service`` started at the aware ``started_at``."""
    return RateEstimator(rate_of(service), started_at)
