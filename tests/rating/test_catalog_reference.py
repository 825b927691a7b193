"""The worked examples of docs/catalog.md, rated by the engine: the reference stays true."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from billclient.protocol.money import format_money
from billclient.rating import Rate, billed_units, charge

BERLIN = ZoneInfo("Europe/Berlin")
SATURDAY = datetime(2026, 11, 28, 12, 0, tzinfo=BERLIN)
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]

VOICE = Rate.from_text(
    unit="second",
    timezone="Europe/Berlin",
    price="0.09",
    per=60,
    increment=1,
    first_increment=60,
    windows=[{"days": WEEKDAYS, "start": "08:00", "end": "18:00", "price": "0.15"}],
)
VIDEO = Rate.from_text(
    unit="second", price="0.30", per=60, increment=10, first_increment=30, setup_fee="0.05"
)
WIFI = Rate.from_text(unit="second", price="1.20", per=3600, increment=60, min_charge="0.10")
DOWNLOAD = Rate.from_text(
    unit="byte",
    timezone="Europe/Berlin",
    price="0.02",
    per=1_000_000,
    windows=[{"start": "22:00", "end": "06:00", "price": "0.01"}],
)
NIGHT = Rate.from_text(
    unit="second",
    timezone="Europe/Berlin",
    price="0.06",
    per=60,
    windows=[{"start": "02:00", "end": "03:00", "price": "0.60"}],
)
TINY = Rate.from_text(unit="second", price="0.0000025", setup_fee="0.000001")


@pytest.mark.parametrize(
    ("rate", "start", "units", "charged"),
    [
        (VOICE, SATURDAY, 0, "0"),
        (VOICE, SATURDAY, 5, "0.09"),
        (VOICE, SATURDAY, 90, "0.135"),
        (VIDEO, SATURDAY, 20, "0.2"),
        (VIDEO, SATURDAY, 45, "0.3"),
        (DOWNLOAD, SATURDAY, 1_234_567, "0.024691"),
        (DOWNLOAD, datetime(2026, 11, 28, 23, 30, tzinfo=BERLIN), 1_234_567, "0.012346"),
        (VOICE, datetime(2026, 11, 25, 17, 59, 30, tzinfo=BERLIN), 90, "0.165"),
        (VOICE, datetime(2026, 11, 25, 10, 0, tzinfo=BERLIN), 90, "0.225"),
        (NIGHT, datetime(2026, 10, 25, 0, 30, tzinfo=UTC), 7200, "55.8"),  # 02:30 summer time
        (WIFI, SATURDAY, 120, "0.1"),
        (WIFI, SATURDAY, 300, "0.1"),
        (WIFI, SATURDAY, 1800, "0.6"),
        (WIFI, SATURDAY, 61, "0.1"),
        (TINY, SATURDAY, 3, "0.000009"),
        (TINY, SATURDAY, 1, "0.000004"),
    ],
)
def test_the_reference_s_examples(rate: Rate, start: datetime, units: int, charged: str) -> None:
    assert format_money(charge(rate, start, units)) == charged


def test_the_reference_s_billed_units() -> None:
    assert billed_units(VOICE, 5) == 60
    assert billed_units(VIDEO, 20) == 30
    assert billed_units(VIDEO, 45) == 50
    assert billed_units(WIFI, 61) == 120
