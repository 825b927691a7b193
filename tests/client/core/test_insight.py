"""Spending insight is pure: per day, per service, the balance and the range figures
add up exactly to the records it was given, in any time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billclient.core.insight import DAYS, records_since, summarize


@dataclass(frozen=True)
class Charge:
    ended_at: datetime
    service_id: str
    charged: int


@dataclass(frozen=True)
class Line:
    at: datetime
    amount: int
    balance: int


zones = st.integers(min_value=-12 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
moments = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
)
charges = st.lists(
    st.tuples(
        st.floats(min_value=0, max_value=45 * 86400),
        st.sampled_from(["sms", "voice", "dl"]),
        st.integers(min_value=0, max_value=10**9),
    ),
    max_size=60,
)


@given(moments, zones, charges)
def test_days_and_services_add_up_to_the_records(
    moment: datetime, zone: timezone, rows: list[tuple[float, str, int]]
) -> None:
    now = moment.astimezone(zone)
    records = [Charge(now - timedelta(seconds=back), sid, amount) for back, sid, amount in rows]
    spending = summarize(records, [], now)
    assert len(spending.days) == DAYS
    assert spending.days[-1].day == now.date()
    assert [d.day for d in spending.days] == sorted(d.day for d in spending.days)
    first = spending.days[0].day
    in_days = [r for r in records if r.ended_at.astimezone(zone).date() >= first]
    assert spending.last_days_total == sum(r.charged for r in in_days)
    this_month = [
        r
        for r in records
        if (r.ended_at.astimezone(zone).year, r.ended_at.astimezone(zone).month)
        == (now.year, now.month)
    ]
    assert spending.month_total == sum(r.charged for r in this_month)
    assert sum(s.records for s in spending.services) == len(this_month)
    amounts = [s.amount for s in spending.services]
    assert amounts == sorted(amounts, reverse=True)


@given(moments, zones)
def test_the_records_reach_back_over_every_figure(moment: datetime, zone: timezone) -> None:
    now = moment.astimezone(zone)
    since = records_since(now)
    assert since <= now - timedelta(days=DAYS)
    assert since.astimezone(zone).date() <= now.date().replace(day=1)
    assert since.astimezone(zone).date() <= now.date() - timedelta(days=DAYS - 1)


@given(
    moments,
    st.lists(st.integers(min_value=-(10**8), max_value=10**8), min_size=1, max_size=30),
    charges,
    st.floats(min_value=60, max_value=30 * 86400),
)
def test_range_figures_follow_the_statement_and_the_charges(
    moment: datetime, amounts: list[int], rows: list[tuple[float, str, int]], span: float
) -> None:
    now = moment
    since = records_since(now)
    step = (now - since) / (len(amounts) + 1)
    balance, lines = 5_000_000, []
    for number, amount in enumerate(amounts, start=1):
        balance += amount
        lines.append(Line(since + step * number, amount, balance))
    records = [Charge(now - timedelta(seconds=back), sid, amount) for back, sid, amount in rows]
    spending = summarize(records, lines, now)
    assert spending.balance[0].balance == 5_000_000
    assert spending.balance[-1].balance == balance
    start = now - timedelta(seconds=span)
    figures = spending.figures_since(start)
    assert figures[0].at == start
    assert figures[-1].balance == balance
    expected = sum(r.charged for r in records if r.ended_at > start)
    assert figures[-1].spent == expected
    spent = [figure.spent for figure in figures]
    assert spent == sorted(spent)


def test_a_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        summarize([], [], datetime(2026, 1, 1))


def test_no_money_moved_keeps_the_balance_now() -> None:
    now = datetime(2026, 3, 15, 12, tzinfo=UTC)
    spending = summarize([], [], now, balance_now=7_000_000)
    assert spending.balance_at(now) == 7_000_000
    assert [f.balance for f in spending.figures_since(now - timedelta(hours=1))] == [7_000_000]
