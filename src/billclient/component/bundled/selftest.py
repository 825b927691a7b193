"""The component's self-test: meters and estimator on known figures, no I/O."""

from __future__ import annotations

from datetime import UTC, datetime

from billclient.protocol import Service

from .estimator import make_estimator
from .meters import make_meter

__all__ = ["self_test"]


def _service(unit: str, price: str, **rate: object) -> Service:
    return Service.model_validate(
        {
            "service_id": f"selftest-{unit}",
            "name": "self-test",
            "unit": unit,
            "media": "test",
            "update_interval": 30,
            "grant": 60,
            "rate": {
                "timezone": "UTC",
                "price": price,
                "per": rate.get("per", 1),
                "increment": rate.get("increment", 1),
                "first_increment": rate.get("first_increment", 1),
                "setup_fee": rate.get("setup_fee", "0"),
                "min_charge": rate.get("min_charge", "0"),
                "windows": [],
            },
        }
    )


def _expect(what: str, got: object, want: object) -> None:
    if got != want:
        raise AssertionError(f"{what}: expected {want!r}, got {got!r}")


def self_test() -> None:
    """Raise AssertionError naming the first wrong figure; return None when all hold."""
    now = [100.0]
    timed = _service("second", "0.02", increment=60, first_increment=60, setup_fee="0.10")
    meter = make_meter(timed, clock=lambda: now[0])
    meter.start()
    now[0] += 90.5
    meter.add(5)
    _expect("time meter after 90.5 s", meter.used_units(), 91)
    meter.stop()
    now[0] += 10
    _expect("time meter after stop", meter.used_units(), 91)
    started = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
    # 91 s bill as 120 s at 0.02/s = 2.40, plus the 0.10 setup fee
    _expect("charge of 91 s", make_estimator(timed, started).charge(91), 2_500_000)
    _expect("charge of nothing", make_estimator(timed, started).charge(0), 0)

    data = _service("byte", "0.50", per=1_000_000, min_charge="0.01")
    counter = make_meter(data, clock=lambda: now[0])
    counter.start()
    counter.add(1_500_000)
    counter.add(0)
    counter.stop()
    counter.add(7)
    _expect("byte meter", counter.used_units(), 1_500_000)
    _expect("charge of 1.5 MB", make_estimator(data, started).charge(1_500_000), 750_000)
    _expect("minimum charge", make_estimator(data, started).charge(1), 10_000)
