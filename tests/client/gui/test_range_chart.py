"""The dashboard chart's ranges: the server's records first, then the live figures
seen after they were read, their spend continuing the records' (pure, hypothesis)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from billclient.core.insight import summarize
from billclient.gui.spend import Sample
from billclient.gui.widgets.balance_chart import DAY, HOUR, step_line, value_at
from billclient.gui.widgets.range_chart import RANGES, merged


@dataclass(frozen=True)
class Charge:
    ended_at: datetime
    service_id: str
    charged: int


NOW = datetime(2026, 6, 15, 12, tzinfo=UTC)

charges = st.lists(
    st.tuples(st.integers(min_value=1, max_value=40 * 86400), st.integers(0, 10**7)),
    max_size=40,
)
live_steps = st.lists(
    st.tuples(st.floats(min_value=0.5, max_value=120), st.integers(0, 10**6)), max_size=30
)


@given(charges, live_steps, st.sampled_from(RANGES))
def test_records_then_live_figures(
    rows: list[tuple[int, int]], steps: list[tuple[float, int]], span: float
) -> None:
    records = [Charge(NOW - timedelta(seconds=back), "sms", amount) for back, amount in rows]
    spending = summarize(records, [], NOW, balance_now=50_000_000)
    read_at = NOW.timestamp()
    live = [Sample(read_at - 30, 50_000_000, 1_000)]  # seen before the records were read
    at, spent, balance = read_at, 1_000, 50_000_000
    for gap, amount in steps:
        at, spent, balance = at + gap, spent + amount, balance - amount
        live.append(Sample(at, balance, spent))
    now = at + 1
    shown = merged(spending, live, now, span)
    in_range = sum(r.charged for r in records if r.ended_at.timestamp() > now - span)
    assert abs(shown[0].at - (now - span)) < 1e-3  # datetime keeps microseconds
    assert [s.at for s in shown] == sorted(s.at for s in shown)
    assert shown[-1].spent - shown[0].spent == in_range + (spent - 1_000)
    assert shown[-1].balance == balance


def test_without_records_the_live_samples_are_shown() -> None:
    live = [Sample(1.0, 5, 0), Sample(2.0, 4, 1)]
    assert merged(None, live, 3.0, HOUR) == live
    assert DAY in RANGES


samples_with_gaps = st.lists(
    st.tuples(
        st.floats(min_value=0, max_value=100),
        st.one_of(st.none(), st.integers(-(10**9), 10**9)),
    ),
    max_size=30,
)


@given(samples_with_gaps, st.lists(st.floats(min_value=-10, max_value=3100), max_size=20))
def test_the_line_shows_the_last_figure_and_nothing_where_there_is_none(
    steps: list[tuple[float, int | None]], probes: list[float]
) -> None:
    at, samples = 0.0, []
    for gap, balance in steps:
        at += gap
        samples.append(Sample(at, balance, 0))
    runs = step_line(samples, lambda sample: sample.balance)
    for run in runs:
        assert [t for t, _ in run.corners] == sorted(t for t, _ in run.corners)
    for moment in [*probes, *(sample.at for sample in samples)]:
        before = [sample for sample in samples if sample.at <= moment]
        expected = before[-1].balance if before else None
        assert value_at(runs, moment) == expected, moment
