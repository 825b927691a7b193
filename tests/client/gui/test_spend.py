"""Spend history for the dashboard's chart (pure); the time to empty is the core's
(tests/client/core/test_time_to_empty.py)."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from billclient.gui.spend import SpendHistory, SpendTotal


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


def test_samples_are_kept_at_most_once_a_second() -> None:
    history = SpendHistory()
    for tick in range(41):  # 4 figures a second for 10 seconds
        history.record(tick / 4, 1000 - tick, tick)
    samples = history.samples()
    assert len(samples) <= 12
    assert samples[-1].spent == 40
    settled = samples[:-1]  # the newest sample is refined until a second has passed
    assert all(b.at - a.at >= 1.0 for a, b in itertools.pairwise(settled))
