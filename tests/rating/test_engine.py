"""The rating engine against CATALOG.md: hand-computed cases and a naive reference."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta, timezone
from fractions import Fraction
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billclient.rating import (
    Rate,
    Segment,
    Unit,
    Window,
    billed_units,
    charge,
    max_affordable_units,
    price_segments,
)

ZONES = (
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "Pacific/Chatham",
)
PICO = 10**12
DAY = 86_400

# --- the naive reference: one billed unit at a time, Fractions, no cleverness ---


def ref_covers(window: Window, weekday: int, minute: int) -> bool:
    """CATALOG.md step 3, spelled out day by day."""
    for day in window.days:
        if window.start < window.end:
            if weekday == day and window.start <= minute < window.end:
                return True
        else:
            if weekday == day and minute >= window.start:
                return True
            if weekday == (day + 1) % 7 and minute < window.end:
                return True
    return False


def ref_price(rate: Rate, instant: datetime) -> tuple[int, int | None]:
    local = instant.astimezone(ZoneInfo(rate.timezone))
    for index, window in enumerate(rate.windows):
        if ref_covers(window, local.weekday(), local.hour * 60 + local.minute):
            return window.price, index
    return rate.price, None


def ref_billed(rate: Rate, units: int) -> int:
    if units == 0:
        return 0
    if units <= rate.first_increment:
        return rate.first_increment
    blocks = Fraction(units - rate.first_increment, rate.increment).__ceil__()
    return rate.first_increment + blocks * rate.increment


def ref_unit_prices(rate: Rate, start: datetime, units: int) -> list[tuple[int, int | None]]:
    origin = start.astimezone(UTC)
    prices = []
    for k in range(ref_billed(rate, units)):
        instant = origin + timedelta(seconds=k) if rate.unit is Unit.SECOND else origin
        prices.append(ref_price(rate, instant))
    return prices


def ref_charge_from(rate: Rate, units: int, prices: list[tuple[int, int | None]]) -> int:
    if units == 0:
        return 0
    usage = sum((Fraction(price, rate.per * PICO) for price, _ in prices), Fraction(0))
    total = max(Fraction(rate.min_charge, 10**6), Fraction(rate.setup_fee, 10**6) + usage)
    return (total * 10**6 + Fraction(1, 2)).__floor__()  # half up; charges are >= 0


def ref_charge(rate: Rate, start: datetime, units: int) -> int:
    return ref_charge_from(rate, units, ref_unit_prices(rate, start, units))


def run_lengths(prices: list[tuple[int, int | None]]) -> list[Segment]:
    segments: list[Segment] = []
    for k, (price, window) in enumerate(prices):
        if segments and (segments[-1].price, segments[-1].window) == (price, window):
            last = segments[-1]
            segments[-1] = Segment(last.first_unit, last.count + 1, price, window)
        else:
            segments.append(Segment(k, 1, price, window))
    return segments


# --- strategies ---


@cache
def transitions(name: str) -> tuple[datetime, ...]:
    """Instants in 2026 where ``name`` changes its UTC offset (to the second)."""
    tz = ZoneInfo(name)
    found = []
    t = datetime(2026, 1, 1, tzinfo=UTC)
    while t.year == 2026:
        nxt = t + timedelta(hours=1)
        if t.astimezone(tz).utcoffset() != nxt.astimezone(tz).utcoffset():
            lo, hi = t, nxt
            while hi - lo > timedelta(seconds=1):
                mid = lo + (hi - lo) / 2
                mid = mid.replace(microsecond=0)
                if mid.astimezone(tz).utcoffset() == t.astimezone(tz).utcoffset():
                    lo = mid
                else:
                    hi = mid
            found.append(hi)
        t = nxt
    return tuple(found)


def test_known_transitions_are_found() -> None:
    assert datetime(2026, 3, 29, 1, tzinfo=UTC) in transitions("Europe/Berlin")
    assert datetime(2026, 10, 25, 1, tzinfo=UTC) in transitions("Europe/Berlin")
    assert datetime(2026, 3, 8, 7, tzinfo=UTC) in transitions("America/New_York")
    assert datetime(2026, 11, 1, 6, tzinfo=UTC) in transitions("America/New_York")
    assert len(transitions("Australia/Lord_Howe")) == 2
    assert transitions("Asia/Kolkata") == ()


PRICES = st.one_of(
    st.sampled_from([0, 1, 7, 333_333_333_333, 20_000_000_000, 40_000_000_000, 10**12]),
    st.integers(0, 5 * 10**12),
)
MINUTES = st.one_of(
    st.sampled_from([0, 30, 60, 120, 180, 360, 480, 1080, 1320]), st.integers(0, 1439)
)
DAYS = st.one_of(st.none(), st.frozensets(st.integers(0, 6), min_size=1))


@st.composite
def starts(draw: st.DrawFn, name: str) -> datetime:
    """Random instants, often within 3 hours of a DST transition, in various tzinfos."""
    near = transitions(name)
    use_near: bool = draw(st.booleans())
    if near and use_near:
        base = draw(st.sampled_from(near))
        instant = base + timedelta(seconds=draw(st.integers(-3 * 3600, 3 * 3600)))
    else:
        instant = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(
            seconds=draw(st.integers(0, 6 * 365 * DAY))
        )
    instant += timedelta(microseconds=draw(st.sampled_from([0, 1, 500_000, 999_999])))
    instant += timedelta(microseconds=draw(st.integers(0, 999_999)) * draw(st.booleans()))
    shown_in = draw(
        st.sampled_from(
            [
                UTC,
                ZoneInfo(name),
                timezone(timedelta(hours=5, minutes=45)),
                timezone(-timedelta(hours=3)),
            ]
        )
    )
    return instant.astimezone(shown_in)


@st.composite
def windows(draw: st.DrawFn, around: int | None) -> Window:
    """A window; with ``around`` (a local minute) its edges are drawn close to it."""
    if around is not None and draw(st.booleans()):
        start = (around + draw(st.integers(-5, 5))) % 1440
    else:
        start = draw(MINUTES)
    end = draw(st.one_of(MINUTES, st.just(1440)).filter(lambda m: m != start))
    days = draw(DAYS)
    return Window(
        days=frozenset(range(7)) if days is None else days, start=start, end=end, price=draw(PRICES)
    )


@st.composite
def rated_usage(draw: st.DrawFn, max_units: int = 2 * DAY) -> tuple[Rate, datetime, int]:
    name = draw(st.sampled_from(ZONES))
    start = draw(starts(name))
    local = start.astimezone(ZoneInfo(name))
    around = local.hour * 60 + local.minute if draw(st.booleans()) else None
    increment = draw(st.one_of(st.just(1), st.integers(1, 120)))
    rate = Rate(
        unit=draw(st.sampled_from(Unit)) if draw(st.integers(0, 3)) == 0 else Unit.SECOND,
        timezone=name,
        price=draw(PRICES),
        per=draw(st.sampled_from([1, 7, 60, 1000])),
        increment=increment,
        first_increment=draw(st.one_of(st.just(increment), st.integers(1, 300))),
        setup_fee=draw(st.sampled_from([0, 0, 1, 50_000, 123_457])),
        min_charge=draw(st.sampled_from([0, 0, 1, 100_000, 2_000_000])),
        windows=tuple(draw(st.lists(windows(around), max_size=3))),
    )
    units = draw(
        st.one_of(
            st.integers(0, 200),
            st.integers(0, 4 * 3600),
            st.integers(0, 6 * 3600),
            st.integers(0, max_units),
        )
    )
    return rate, start, units


# --- properties against the reference ---


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rated_usage())
def test_charge_and_segments_match_the_reference(case: tuple[Rate, datetime, int]) -> None:
    rate, start, units = case
    prices = ref_unit_prices(rate, start, units)
    assert charge(rate, start, units) == ref_charge_from(rate, units, prices)
    assert price_segments(rate, start, units) == run_lengths(prices)
    assert billed_units(rate, units) == len(prices)


@settings(max_examples=150, deadline=None)
@given(rated_usage(max_units=20 * DAY), st.integers(0, 20 * DAY))
def test_charge_is_monotone_in_units(case: tuple[Rate, datetime, int], more: int) -> None:
    rate, start, units = case
    assert charge(rate, start, units) <= charge(rate, start, units + more)


@settings(max_examples=100, deadline=None)
@given(rated_usage(max_units=10 * DAY))
def test_segment_counts_add_up_to_billed_units(case: tuple[Rate, datetime, int]) -> None:
    rate, start, units = case
    segments = price_segments(rate, start, units)
    assert sum(segment.count for segment in segments) == billed_units(rate, units)
    assert all(segment.count > 0 for segment in segments)
    for before, after in itertools.pairwise(segments):
        assert before.first_unit + before.count == after.first_unit
        assert (before.price, before.window) != (after.price, after.window)


def is_free(rate: Rate) -> bool:
    return rate.price == 0 and all(window.price == 0 for window in rate.windows)


@settings(max_examples=200, deadline=None)
@given(
    rated_usage(),
    st.one_of(st.integers(-5, 200), st.integers(0, 20_000_000)),
    st.one_of(st.none(), st.integers(0, 300), st.integers(0, 10**6)),
)
def test_max_affordable_units_is_the_largest_affordable_count(
    case: tuple[Rate, datetime, int], budget: int, limit: int | None
) -> None:
    rate, start, _ = case
    found = max_affordable_units(rate, start, budget, limit)
    if found is None:
        assert limit is None
        assert charge(rate, start, 10**7) <= budget  # free, or cheap for ten years
        if is_free(rate) or rate.unit is not Unit.SECOND or not rate.windows:
            assert charge(rate, start, 10**15) <= budget
        return
    assert found >= 0
    if limit is not None:
        assert found <= limit
    if budget < 0:
        assert found == 0
        return
    assert charge(rate, start, found) <= budget
    if found != limit:
        assert charge(rate, start, found + 1) > budget


@settings(max_examples=60, deadline=None)
@given(rated_usage(), st.integers(0, 300_000), st.one_of(st.none(), st.integers(0, 2000)))
def test_max_affordable_units_against_brute_force(
    case: tuple[Rate, datetime, int], budget: int, limit: int | None
) -> None:
    rate, start, _ = case
    rate = Rate(**{**_fields(rate), "price": max(rate.price, 10**11)})  # answers stay small
    ceiling = 3000 if limit is None else limit
    brute = 0
    for n in range(ceiling + 1):
        if charge(rate, start, n) > budget:
            break
        brute = n
    found = max_affordable_units(rate, start, budget, limit)
    if brute < ceiling:
        assert found == brute
    else:
        assert found is None or found >= ceiling


def _fields(rate: Rate) -> dict[str, Any]:
    return {name: getattr(rate, name) for name in Rate.__slots__}


# --- hand-computed cases (CATALOG.md) ---

MONDAY = datetime(2026, 3, 2, 12, tzinfo=UTC)


def voice(**overrides: Any) -> Rate:
    text: dict[str, Any] = {
        "unit": "second",
        "price": "0.0200",
        "per": 60,
        "increment": 1,
        "first_increment": 60,
        "setup_fee": "0.05",
    }
    return Rate.from_text(**{**text, **overrides})


def test_catalog_example_61_seconds() -> None:
    # 61 billed seconds at 0.02/60 = 0.020333... plus 0.05 setup = 0.070333(3) -> 0.070333
    assert charge(voice(), MONDAY, 61) == 70_333


def test_first_increment_is_billed_in_full() -> None:
    assert billed_units(voice(), 1) == 60
    assert charge(voice(), MONDAY, 1) == 70_000  # 0.02 + 0.05
    assert charge(voice(), MONDAY, 60) == 70_000


@pytest.mark.parametrize(
    ("first", "step", "units", "billed"),
    [
        (60, 30, 0, 0),
        (60, 30, 60, 60),
        (60, 30, 61, 90),
        (60, 30, 90, 90),
        (60, 30, 91, 120),
        (1, 1, 5, 5),
        (30, 6, 31, 36),
        (1, 60, 1, 1),
        (1, 60, 2, 61),
    ],
)
def test_billed_units(first: int, step: int, units: int, billed: int) -> None:
    rate = voice(first_increment=first, increment=step)
    assert billed_units(rate, units) == billed


def test_zero_units_cost_nothing() -> None:
    rate = voice(min_charge="1.00")
    assert charge(rate, MONDAY, 0) == 0
    assert price_segments(rate, MONDAY, 0) == []


def test_half_up_rounding() -> None:
    half = Rate.from_text(unit="event", price="0.0000005")
    assert charge(half, MONDAY, 1) == 1  # 0.0000005 -> 0.000001
    assert charge(half, MONDAY, 3) == 2  # 0.0000015 -> 0.000002
    below = Rate.from_text(unit="event", price="0.000000499999")
    assert charge(below, MONDAY, 1) == 0
    thirds = Rate.from_text(unit="second", price="0.01", per=3)
    assert charge(thirds, MONDAY, 1) == 3_333  # 0.003333...
    assert charge(thirds, MONDAY, 2) == 6_667  # 0.006666... rounds up


def test_rounding_happens_once_on_the_sum() -> None:
    # each unit costs 0.0000004 (would round to 0); ten of them cost 0.000004
    rate = Rate.from_text(unit="byte", price="0.0000004")
    assert charge(rate, MONDAY, 10) == 4


def test_minimum_charge() -> None:
    rate = voice(min_charge="0.10", setup_fee="0")
    assert charge(rate, MONDAY, 90) == 100_000  # usage 0.03 < 0.10
    assert charge(rate, MONDAY, 600) == 200_000  # usage 0.20 > 0.10


def test_minimum_applies_after_setup_fee() -> None:
    rate = voice(min_charge="0.06")
    assert charge(rate, MONDAY, 1) == 70_000  # 0.05 + 0.02 > 0.06


BERLIN_PEAK = {
    "days": ["mon", "tue", "wed", "thu", "fri"],
    "start": "08:00",
    "end": "18:00",
    "price": "0.0400",
}


def berlin(**overrides: Any) -> Rate:
    text: dict[str, Any] = {
        "unit": "second",
        "timezone": "Europe/Berlin",
        "price": "0.0200",
        "per": 60,
        "windows": [BERLIN_PEAK],
    }
    return Rate.from_text(**{**text, **overrides})


def test_window_boundary_splits_a_call() -> None:
    # Friday 17:59:30 CET: 30 s at 0.04/60 and 30 s at 0.02/60 = 0.02 + 0.01
    start = datetime(2026, 3, 27, 16, 59, 30, tzinfo=UTC)
    assert charge(berlin(), start, 60) == 30_000
    assert price_segments(berlin(), start, 60) == [
        Segment(0, 30, 40_000_000_000, 0),
        Segment(30, 30, 20_000_000_000, None),
    ]


def test_fraction_of_a_second_before_a_boundary() -> None:
    # 07:59:59.25 local: unit 0 is before 08:00, unit 1 (08:00:00.25) inside
    start = datetime(2026, 3, 2, 6, 59, 59, 250_000, tzinfo=UTC)
    segments = price_segments(berlin(), start, 3)
    assert segments == [Segment(0, 1, 20_000_000_000, None), Segment(1, 2, 40_000_000_000, 0)]


def test_window_wrapping_past_midnight_covers_the_next_morning() -> None:
    night = {"days": ["fri"], "start": "22:00", "end": "06:00", "price": "0"}
    rate = Rate.from_text(unit="second", timezone="UTC", price="0.01", windows=[night])
    friday_late = datetime(2026, 3, 6, 23, tzinfo=UTC)
    saturday_early = datetime(2026, 3, 7, 5, 59, 59, tzinfo=UTC)
    saturday_late = datetime(2026, 3, 7, 22, tzinfo=UTC)
    thursday_early = datetime(2026, 3, 5, 5, tzinfo=UTC)
    assert charge(rate, friday_late, 100) == 0
    assert price_segments(rate, saturday_early, 2) == [
        Segment(0, 1, 0, 0),
        Segment(1, 1, 10_000_000_000, None),
    ]
    assert charge(rate, saturday_late, 1) == 10_000
    assert charge(rate, thursday_early, 1) == 10_000


def test_window_ending_at_midnight_and_list_order_priority() -> None:
    rate = Rate.from_text(
        unit="second",
        price="0.01",
        windows=[
            {"start": "20:00", "end": "24:00", "price": "0.03"},
            {"start": "12:00", "end": "23:00", "price": "0.02"},
        ],
    )
    start = datetime(2026, 3, 2, 19, 59, 59, tzinfo=UTC)
    assert price_segments(rate, start, 5 * 3600) == [
        Segment(0, 1, 20_000_000_000, 1),
        Segment(1, 4 * 3600, 30_000_000_000, 0),
        Segment(4 * 3600 + 1, 3600 - 1, 10_000_000_000, None),
    ]


def test_spring_forward_in_berlin() -> None:
    # 01:59 CET, then 03:00 CEST: the 03:00-04:00 window starts after 60 seconds
    rate = berlin(windows=[{"start": "03:00", "end": "04:00", "price": "0.06"}])
    start = datetime(2026, 3, 29, 0, 59, tzinfo=UTC)
    assert price_segments(rate, start, 120) == [
        Segment(0, 60, 20_000_000_000, None),
        Segment(60, 60, 60_000_000_000, 0),
    ]


def test_fall_back_in_berlin_repeats_the_window_hour() -> None:
    # 02:00-03:00 happens twice on 2026-10-25: two hours in the window
    rate = berlin(windows=[{"start": "02:00", "end": "03:00", "price": "0.06"}])
    start = datetime(2026, 10, 25, 0, 0, tzinfo=UTC)  # 02:00 CEST
    assert price_segments(rate, start, 3 * 3600) == [
        Segment(0, 7200, 60_000_000_000, 0),
        Segment(7200, 3600, 20_000_000_000, None),
    ]
    assert charge(rate, start, 3 * 3600) == 7_200_000 + 1_200_000


def test_byte_units_take_the_price_at_start() -> None:
    rate = berlin(unit="byte", per=1_000_000)
    start = datetime(2026, 3, 27, 16, 59, 59, tzinfo=UTC)  # 17:59:59 Friday, peak
    assert price_segments(rate, start, 10**9) == [Segment(0, 10**9, 40_000_000_000, 0)]
    assert charge(rate, start, 10**9) == 40_000_000  # 40.00: 1000 MB at 0.04 each


def test_ten_hour_call_takes_few_segments() -> None:
    start = datetime(2026, 3, 27, 5, tzinfo=UTC)  # Friday 06:00 CET
    segments = price_segments(berlin(), start, 36_000)
    assert len(segments) < 10
    assert [(s.count, s.window) for s in segments] == [(7200, None), (28_800, 0)]


def test_charge_does_not_depend_on_how_start_is_written() -> None:
    instant = datetime(2026, 10, 25, 0, 30, 15, 500, tzinfo=UTC)
    rate = berlin(windows=[{"start": "02:00", "end": "03:00", "price": "0.06"}])
    expected = charge(rate, instant, 5000)
    for tz in (ZoneInfo("Europe/Berlin"), ZoneInfo("Asia/Tokyo"), timezone(timedelta(hours=-7))):
        assert charge(rate, instant.astimezone(tz), 5000) == expected


def test_naive_start_and_negative_units_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        charge(voice(), datetime(2026, 3, 2, 12), 10)
    with pytest.raises(ValueError, match="non-negative"):
        charge(voice(), MONDAY, -1)
    with pytest.raises(ValueError, match="timezone-aware"):
        max_affordable_units(voice(), datetime(2026, 3, 2, 12), 10)


def test_more_than_ten_years_of_timed_usage_is_refused() -> None:
    with pytest.raises(ValueError, match="ten years"):
        charge(berlin(), MONDAY, 11 * 366 * DAY)
    assert charge(voice(), MONDAY, 11 * 366 * DAY) > 0  # a constant price has no bound
    flat = berlin(windows=[{**BERLIN_PEAK, "price": "0.02"}])  # the same price all day
    assert charge(flat, MONDAY, 11 * 366 * DAY) == charge(
        voice(setup_fee="0"), MONDAY, 11 * 366 * DAY
    )


# --- max_affordable_units by hand ---


def test_max_affordable_units_examples() -> None:
    rate = voice()  # 0.05 setup, then 0.02 per minute, first 60 s billed in full
    assert max_affordable_units(rate, MONDAY, 69_999) == 0
    assert max_affordable_units(rate, MONDAY, 70_000) == 60
    assert max_affordable_units(rate, MONDAY, 70_333) == 61  # 0.0703333 rounds down
    assert max_affordable_units(rate, MONDAY, 1_050_000) == 3000
    assert max_affordable_units(rate, MONDAY, 1_050_000, limit=100) == 100
    assert max_affordable_units(rate, MONDAY, 1_050_000, limit=0) == 0
    assert max_affordable_units(rate, MONDAY, -1) == 0


def test_max_affordable_units_with_increments_and_limit() -> None:
    rate = voice(increment=60, setup_fee="0")  # whole minutes at 0.02
    assert max_affordable_units(rate, MONDAY, 50_000) == 120
    assert max_affordable_units(rate, MONDAY, 50_000, limit=100) == 100
    assert max_affordable_units(rate, MONDAY, 50_000, limit=150) == 120
    assert max_affordable_units(rate, MONDAY, 19_999, limit=30) == 0


def test_max_affordable_units_across_windows() -> None:
    # Friday 17:00 CET: one peak hour at 0.04/min (2.40), then 0.02/min
    start = datetime(2026, 3, 27, 16, tzinfo=UTC)
    assert max_affordable_units(berlin(), start, 2_400_000) == 3600
    assert max_affordable_units(berlin(), start, 3_600_000) == 3600 + 3600


def test_free_services_are_unlimited() -> None:
    free = voice(price="0", setup_fee="0")
    assert max_affordable_units(free, MONDAY, 0) is None
    assert max_affordable_units(free, MONDAY, 0, limit=500) == 500
    timed_free = berlin(price="0", windows=[{**BERLIN_PEAK, "price": "0"}])
    assert max_affordable_units(timed_free, MONDAY, 0) is None
    assert max_affordable_units(voice(price="0"), MONDAY, 49_999) == 0  # the setup fee


def test_cheap_timed_rate_beyond_ten_years_is_unlimited() -> None:
    rate = berlin(price="0.000000000001", windows=[{**BERLIN_PEAK, "price": "0.000000000002"}])
    assert max_affordable_units(rate, MONDAY, 10**6) is None


# --- from_text / to_text ---


def test_from_text_and_to_text() -> None:
    rate = berlin(first_increment=30, increment=6, setup_fee="0.05", min_charge="0.1")
    assert rate.price == 20_000_000_000
    assert rate.setup_fee == 50_000
    assert rate.windows[0] == Window(frozenset(range(5)), 480, 1080, 40_000_000_000)
    text = rate.to_text()
    assert text == {
        "timezone": "Europe/Berlin",
        "price": "0.02",
        "per": 60,
        "increment": 6,
        "first_increment": 30,
        "setup_fee": "0.05",
        "min_charge": "0.1",
        "windows": [{**BERLIN_PEAK, "price": "0.04"}],
    }
    assert Rate.from_text(unit="second", **text) == rate  # type: ignore[arg-type]


def test_defaults() -> None:
    rate = Rate.from_text(unit="event", price="1", increment=5)
    assert rate.first_increment == 5
    assert rate.timezone == "UTC"
    window = Window.from_text(days=None, start="00:00", end="24:00", price="0")
    assert window.days == frozenset(range(7))
    assert window.to_text()["end"] == "24:00"


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"unit": "minute"}, "unit"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"timezone": "../etc/passwd"}, "timezone"),
        ({"price": "-0.01"}, "price"),
        ({"price": "0.0000000000001"}, "price"),
        ({"price": "1e3"}, "price"),
        ({"price": 0.02}, "price"),
        ({"per": 0}, "per"),
        ({"per": True}, "per"),
        ({"increment": 0}, "increment"),
        ({"increment": 1.5}, "increment"),
        ({"first_increment": 0}, "first_increment"),
        ({"setup_fee": "0.0000001"}, "setup_fee"),
        ({"min_charge": "-1"}, "min_charge"),
        ({"windows": [{"start": "25:00", "end": "26:00", "price": "1"}]}, "windows[0].start"),
        (
            {"windows": [BERLIN_PEAK, {"start": "08:00", "end": "08:00", "price": "1"}]},
            "windows[1].end",
        ),
        ({"windows": [{"start": "24:00", "end": "01:00", "price": "1"}]}, "windows[0].start"),
        ({"windows": [{"start": "08:00", "end": "24:01", "price": "1"}]}, "windows[0].end"),
        ({"windows": [{"start": "8:00", "end": "09:00", "price": "1"}]}, "windows[0].start"),
        ({"windows": [{"start": "08:00", "end": "09:00", "price": "-1"}]}, "windows[0].price"),
        ({"windows": [{"start": "08:00", "end": "09:00"}]}, "windows[0].price"),
        ({"windows": [{"start": "08:00", "end": "09:00", "price": "1", "x": 1}]}, "windows[0].x"),
        ({"windows": [{**BERLIN_PEAK, "days": ["monday"]}]}, "windows[0].days"),
        ({"windows": [{**BERLIN_PEAK, "days": []}]}, "windows[0].days"),
        ({"windows": [{**BERLIN_PEAK, "days": "mon"}]}, "windows[0].days"),
        ({"windows": [{**BERLIN_PEAK, "days": ["mon", "mon"]}]}, "windows[0].days"),
    ],
)
def test_from_text_refuses_bad_values(overrides: dict[str, Any], key: str) -> None:
    with pytest.raises(ValueError, match="^" + re.escape(key) + ": "):
        berlin(**overrides)


def test_window_values_are_checked() -> None:
    with pytest.raises(ValueError, match="end"):
        Window(frozenset({0}), 60, 60, 1)
    with pytest.raises(ValueError, match="days"):
        Window(frozenset(), 60, 120, 1)
    with pytest.raises(ValueError, match="per"):
        Rate(Unit.SECOND, "UTC", 1, per=0)
    with pytest.raises(ValueError, match="timezone"):
        Rate(Unit.SECOND, "Nowhere/Land", 1)
