"""Spend history, burn rate and time to empty (pure)."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from billclient.gui.spend import SpendHistory, SpendTotal, time_to_empty


def test_a_steady_spend_gives_the_time_to_empty() -> None:
    history = SpendHistory()
    for second in range(61):
        history.record(1000.0 + second, 10_000_000 - second * 10_000, second * 10_000)
    rate = history.burn_rate(1060.0)
    assert rate == (600_000, 60.0)
    assert time_to_empty(9_400_000, rate) == 940.0  # 9.40 at 0.01 a second
    assert time_to_empty(0, rate) == 0.0
    assert time_to_empty(5, None) is None


def test_nothing_spent_has_no_rate() -> None:
    history = SpendHistory()
    history.record(0.0, 5, 0)
    history.record(30.0, 5, 0)
    assert history.burn_rate(30.0) is None


def test_late_figures_never_unspend() -> None:
    total = SpendTotal()
    assert total.observe("a", 100) == 100
    assert total.observe("a", 50) == 100
    assert total.observe("b", 10) == 110
    assert total.observe("a", 150) == 160


@given(
    st.lists(
        st.tuples(st.floats(0, 10_000, allow_nan=False), st.integers(0, 10**6)),
        min_size=1,
        max_size=60,
    )
)
def test_history_is_ordered_trimmed_and_monotone(steps: list[tuple[float, int]]) -> None:
    history = SpendHistory(span=600)
    spent = 0
    now = 0.0
    for at, amount in steps:
        spent += amount
        now = max(now, at)
        history.record(at, -spent, spent)
    samples = history.samples()
    assert [s.at for s in samples] == sorted(s.at for s in samples)
    assert all(s.at >= now - 600 for s in samples[1:])
    assert samples[-1].spent == spent
    assert 0 <= history.spent_since(now - 60) <= spent
    rate = history.burn_rate(now)
    if rate is not None:
        assert rate[0] > 0
        assert 0 < rate[1] <= 60


def test_samples_are_kept_at_most_once_a_second() -> None:
    history = SpendHistory()
    for tick in range(41):  # 4 figures a second for 10 seconds
        history.record(tick / 4, 1000 - tick, tick)
    samples = history.samples()
    assert len(samples) <= 12
    assert samples[-1].spent == 40
    settled = samples[:-1]  # the newest sample is refined until a second has passed
    assert all(b.at - a.at >= 1.0 for a, b in itertools.pairwise(settled))
