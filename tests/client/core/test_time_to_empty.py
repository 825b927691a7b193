"""Time to empty from what the running services cost from now on (pure, hypothesis).

The brute force walks the future one second at a time, rating each service's usage
so far plus what it will have used, until the money left does not cover it.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from billclient.core.time_to_empty import (
    PaceMeter,
    RunningSet,
    RunningUse,
    seconds_to_empty,
)
from billclient.rating import Rate, charge

START = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)  # a Saturday
LIMIT = 2_000
"""Seconds the brute force looks ahead (the horizon of both)."""


def voice(**changes: object) -> Rate:
    text: dict[str, object] = {
        "unit": "second",
        "price": "0.09",
        "per": 60,
        "increment": 1,
        "first_increment": 60,
    }
    text.update(changes)
    return Rate.from_text(**text)  # type: ignore[arg-type]


def brute_force(left: int, uses: list[RunningUse], horizon: int) -> int | None:
    if left <= 0:
        return 0
    for t in range(1, horizon + 1):
        spent = 0
        for use in uses:
            more = math.floor(use.units_per_second * t)
            now = charge(use.rate, use.started_at, use.used_units)
            spent += charge(use.rate, use.started_at, use.used_units + more) - now
        if spent > left:
            return t
    return None


def test_the_first_minute_does_not_shorten_the_time_to_empty() -> None:
    # 9.90 EUR left a few seconds into a 0.09 EUR/min call billed per second after a
    # first minute: the first minute is paid, then 0.0015 EUR a second.
    call = RunningUse(voice(), START, used_units=5, units_per_second=1)
    seconds = seconds_to_empty(9_900_000, [call])
    assert seconds == 55 + 9_900_000 // 1_500 + 1  # the rest of the minute, then 6600 s
    assert 109 * 60 < seconds < 112 * 60  # about 110 minutes, not 12
    average_since_start = 90_000 / 5  # micro-units per second so far
    assert 9_900_000 / average_since_start < 10 * 60  # what the old estimate said


def test_nothing_running_and_nothing_left() -> None:
    call = RunningUse(voice(), START, 5, 1)
    assert seconds_to_empty(0, [call]) == 0
    assert seconds_to_empty(10, []) is None
    assert seconds_to_empty(10, [RunningUse(voice(), START, 0, 0)]) is None  # no pace yet
    free = RunningUse(voice(price="0"), START, 5, 1)
    assert seconds_to_empty(10, [free]) is None  # never runs out
    assert seconds_to_empty(10**12, [call]) is None  # beyond the horizon


def test_a_window_ahead_is_counted() -> None:
    # 17:59 on a weekday: the price drops from 0.60 to 0.06 a minute at 18:00
    weekday = datetime(2026, 11, 26, 17, 59, tzinfo=UTC)
    windows = [{"days": ["thu"], "start": "08:00", "end": "18:00", "price": "0.60"}]
    rate = voice(price="0.06", first_increment=1, windows=windows)
    call = RunningUse(rate, weekday, 0, 1)
    # 0.60 for the last minute of the window, then 0.001 a second
    assert seconds_to_empty(1_600_000, [call]) == 60 + 1_000 + 1


rates = st.builds(
    lambda price, first, step, setup, minimum, per: Rate.from_text(
        unit="second",
        price=price,
        per=per,
        increment=step,
        first_increment=first,
        setup_fee=setup,
        min_charge=minimum,
    ),
    price=st.sampled_from(["0.09", "0.6", "1.2", "0.000333", "0"]),
    first=st.sampled_from([1, 30, 60, 120]),
    step=st.sampled_from([1, 10, 60]),
    setup=st.sampled_from(["0", "0.05", "0.5"]),
    minimum=st.sampled_from(["0", "0.10", "2"]),
    per=st.sampled_from([1, 60]),
)


@settings(max_examples=40, deadline=None)
@given(
    sessions=st.lists(
        st.tuples(rates, st.integers(0, 400), st.sampled_from([1.0, 0.5, 2.5])),
        min_size=1,
        max_size=2,
    ),
    left=st.integers(-5, 3_000_000),
)
def test_agrees_with_the_brute_force(sessions: list[tuple[Rate, int, float]], left: int) -> None:
    uses = [RunningUse(rate, START, used, pace) for rate, used, pace in sessions]
    expected = brute_force(left, uses, LIMIT)
    assert seconds_to_empty(left, uses, horizon=LIMIT) == expected


def test_the_pace_of_bytes_and_events_is_measured() -> None:
    pace = PaceMeter(window=10)
    pace.observe("dl", 0.0, 0)
    assert pace.per_second("dl") == 0.0
    for second in range(1, 31):
        pace.observe("dl", float(second), second * 1000)
    assert pace.per_second("dl") == 1000.0
    pace.observe("dl", 31.0, 31_000)
    pace.observe("dl", 31.0, 30_000)  # a late, lower figure changes nothing
    assert pace.per_second("dl") == 1000.0
    pace.forget("dl")
    assert pace.per_second("dl") == 0.0


def test_a_running_set_needs_every_rate() -> None:
    running = RunningSet()
    assert running.seen("a", 5, 100.0)  # unknown: look it up
    assert running.uses() is None
    running.describe("a", voice(), START)
    assert not running.seen("a", 6, 101.0)
    (use,) = running.uses() or []
    assert (use.used_units, use.units_per_second) == (6, 1.0)
    download = Rate.from_text(unit="byte", price="0.02", per=1_000_000)
    running.seen("b", 0, 100.0)
    running.describe("b", download, START + timedelta(seconds=1))
    running.seen("b", 500_000, 110.0)
    paces = {use.rate.unit.value: use.units_per_second for use in running.uses() or []}
    assert paces == {"second": 1.0, "byte": 50_000.0}
    running.ended("a")
    assert running.running == 1
