"""The shared words of both front ends (pure): money and units for people, prices and
endings in words."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billclient.core.words.formats import (
    format_bytes,
    format_duration,
    format_money,
    format_money_exact,
    format_price,
    format_time,
    format_units,
    minor_units,
    set_locale,
)
from billclient.core.words.prices import billing_steps, days_text, describe_rate
from billclient.core.words.rating import billed_for, cause_text, end_summary, record_summary
from billclient.protocol.catalog import Service, ServiceUnit


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    set_locale("en_US")
    yield
    set_locale("en_US")


def service(unit: str = "second", **rate: object) -> Service:
    base: dict[str, object] = {
        "timezone": "Europe/Berlin",
        "price": "0.09",
        "per": 60,
        "increment": 1,
        "first_increment": 60,
        "setup_fee": "0",
        "min_charge": "0",
        "windows": [],
    }
    base.update(rate)
    return Service.model_validate(
        {
            "service_id": "s",
            "name": "S",
            "unit": unit,
            "media": "voice",
            "update_interval": 10,
            "grant": 60,
            "rate": base,
        }
    )


WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]


def test_the_example_of_the_issue() -> None:
    voice = service(windows=[{"days": WEEKDAYS, "start": "08:00", "end": "18:00", "price": "0.15"}])
    assert describe_rate(voice, "EUR", local_timezone="Europe/Berlin") == (
        "0.09 EUR/min, billed per second after the first minute, 0.15 EUR/min weekdays 08-18"
    )
    assert describe_rate(voice, "EUR", local_timezone="UTC").endswith(", times in Europe/Berlin")


@pytest.mark.parametrize(
    ("unit", "rate", "text"),
    [
        (
            "second",
            {"price": "0.30", "increment": 10, "first_increment": 30, "setup_fee": "0.05"},
            "0.30 EUR/min, billed in 10 s steps after the first 30 s, 0.05 EUR setup fee",
        ),
        (
            "second",
            {
                "price": "1.2",
                "per": 3600,
                "increment": 60,
                "first_increment": 60,
                "min_charge": "0.1",
            },
            "1.20 EUR/h, billed per minute, minimum charge 0.10 EUR",
        ),
        ("byte", {"price": "0.02", "per": 1000000, "first_increment": 1}, "0.02 EUR/MB"),
        ("event", {"price": "0.08", "per": 1, "first_increment": 1}, "0.08 EUR each"),
        ("second", {"price": "0", "windows": [], "first_increment": 1}, "free"),
        (
            "second",
            {"price": "0.000012345678", "per": 1, "first_increment": 1},
            "0.000012345678 EUR/s, billed per second",
        ),
    ],
)
def test_prices_in_words(unit: str, rate: dict[str, object], text: str) -> None:
    assert describe_rate(service(unit, **rate), "EUR") == text


def test_days() -> None:
    assert days_text(WEEKDAYS) == "weekdays"
    assert days_text(["sat", "sun"]) == "weekends"
    assert days_text([*WEEKDAYS, "sat", "sun"]) == "daily"
    assert days_text(["mon", "tue", "wed", "thu"]) == "Mon-Thu"
    assert days_text(["mon", "wed"]) == "Mon, Wed"


@given(
    unit=st.sampled_from(list(ServiceUnit)),
    price=st.decimals(min_value=0, max_value=1000, places=6, allow_nan=False),
    per=st.integers(1, 10**9),
    increment=st.integers(1, 10**6),
    first=st.integers(1, 10**6),
    windows=st.lists(
        st.tuples(
            st.lists(
                st.sampled_from(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]),
                min_size=1,
                max_size=7,
                unique=True,
            ),
            st.integers(0, 23),
            st.integers(1, 24),
        ),
        max_size=3,
    ),
)
def test_any_rate_reads_as_one_line(
    unit: ServiceUnit,
    price: Decimal,
    per: int,
    increment: int,
    first: int,
    windows: list[tuple[list[str], int, int]],
) -> None:
    rows = [
        {"days": days, "start": f"{start:02d}:00", "end": f"{end:02d}:00", "price": "1"}
        for days, start, end in windows
        if start != end
    ]
    text = describe_rate(
        service(
            unit.value,
            price=str(price),
            per=per,
            increment=increment,
            first_increment=first,
            windows=rows,
        ),
        "EUR",
    )
    assert "\n" not in text
    assert text == "free" or text.startswith(format_price(str(price), "EUR"))
    assert text.count("EUR") >= 1 + len(rows) or text == "free"


def test_billing_steps() -> None:
    assert billing_steps(ServiceUnit.SECOND, 1, 1) == "billed per second"
    assert billing_steps(ServiceUnit.SECOND, 60, 60) == "billed per minute"
    assert billing_steps(ServiceUnit.BYTE, 1, 1) == ""
    assert billing_steps(ServiceUnit.BYTE, 1000, 1000) == "billed in 1 kB steps"


def test_money_in_minor_units_and_localised() -> None:
    assert format_money(1_500_000, "EUR") == "€1.50"
    assert format_money(14_901_000, "EUR") == "€14.90"
    assert format_money(1_500, "EUR") == "€0.00"
    assert format_money(5_000, "EUR") == "€0.01"  # half up, not half even
    assert format_money(-4_000, "EUR") == "€0.00"  # never "-€0.00"
    assert format_money(-123_456_789, "USD") == "-$123.46"
    assert format_money(1_500_000, "JPY") == "¥2"  # no minor units
    set_locale("de_DE")
    assert format_money(14_901_000, "EUR") == "14,90\xa0€"
    assert format_money_exact(1_500, "EUR") == "0,0015\xa0€"
    assert format_price("0.09", "EUR") == "0,09 EUR"
    assert format_time(datetime(2026, 1, 2, 13, 5, 9, tzinfo=UTC), UTC) == "13:05:09"


def test_the_live_meter_is_exact() -> None:
    assert format_money_exact(1_500_000, "EUR") == "€1.50"
    assert format_money_exact(1_500, "EUR") == "€0.0015"
    assert format_money_exact(-123_456_789, "USD") == "-$123.456789"


@given(st.integers(-(10**15), 10**15))
def test_exact_money_never_rounds(micro: int) -> None:
    text = format_money_exact(micro, "EUR").replace("€", "").replace(",", "")
    assert Decimal(text) == Decimal(micro) / 10**6


@given(st.integers(-(10**15), 10**15))
def test_minor_units_round_half_up(micro: int) -> None:
    # cents by integer arithmetic: half a cent (5000 micro-units) and more rounds away
    # from zero, as a person rounds
    cents = (abs(micro) + 5_000) // 10_000
    expected = Decimal(cents if micro >= 0 else -cents) / 100
    assert minor_units(micro, "EUR") == expected
    assert str(minor_units(micro, "EUR")).partition(".")[2] == f"{cents % 100:02d}"
    text = format_money(micro, "EUR").replace("€", "").replace(",", "")
    assert Decimal(text) == expected and not text.startswith("-0.00")


def test_units() -> None:
    assert format_duration(0) == "0 s"
    assert format_duration(61) == "1 min 1 s"
    assert format_duration(3600) == "1 h"
    assert format_duration(90061) == "1 d 1 h"
    assert format_bytes(1_500_000) == "1.5 MB"
    assert format_bytes(999) == "999 bytes"
    assert format_units(1, "event") == "1 event"
    assert format_units(1200, "event") == "1,200 events"
    assert format_units(125, "second") == "2 min 5 s"


def test_endings_in_plain_words() -> None:
    voice = service()
    assert billed_for(voice, 5) == 60
    assert end_summary(voice, 5, 90_000, "EUR") == (
        "Used 5 s, billed as 1 min (billed per second after the first minute); charged €0.09."
    )
    assert end_summary(voice, 125, 187_500, "EUR") == "Used 2 min 5 s; charged €0.19."
    assert cause_text("credit_exhausted").startswith("The balance ran out")
    assert cause_text("support") == "Support ended it."
    assert "boom" in cause_text("client_error", "boom")
    assert record_summary(0, 0, "gateway_closed") == (
        "Nothing was used, so nothing was charged. The metering gateway closed or refused "
        "the service."
    )
    assert record_summary(3, 0, "user") is None


def test_limit_figures_are_written_as_the_locale_writes_numbers() -> None:
    """``6.19 EUR of 25.00`` in English, ``6,19 EUR`` / ``25,00`` in German (the German
    dashboard showed English decimals next to a German balance)."""
    from datetime import timedelta

    from billclient.core.words.limits import LimitLine, limit_text

    now = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    line = LimitLine("daily", 25_000_000, 6_190_000, now + timedelta(hours=12))
    assert limit_text(line, "EUR", now, UTC).startswith("6.19 EUR of 25.00 today, resets ")
    big = LimitLine("monthly", 1_500_000_000, 1_234_500_000, now + timedelta(days=30))
    assert limit_text(big, "EUR", now, UTC).startswith("1,234.50 EUR of 1,500.00 this month")
    set_locale("de_DE")
    german = limit_text(line, "EUR", now, UTC)
    assert "6,19" in german and "25,00" in german and "6.19" not in german
