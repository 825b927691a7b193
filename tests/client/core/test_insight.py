"""Spending insight is pure: per day, per service, the balance and the range figures
add up exactly to the records it was given, in any time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billclient.core.insight import DAYS, OPENING, Figure, records_since, summarize


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
    kind: str = "topup"


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


def _statement_balance(ledger: list[Line], moment: datetime) -> int | None:
    """What the account's whole statement says the balance was at ``moment``: after the
    last line by then; before the first line, that line's balance less its amount, or
    nothing at all when the first line is the account's opening."""
    before = [line for line in ledger if line.at <= moment]
    if before:
        return before[-1].balance
    if not ledger or ledger[0].kind == OPENING:
        return None
    return ledger[0].balance - ledger[0].amount


def _shown_at(figures: list[Figure], moment: datetime) -> Figure | None:
    """The figure a step line through ``figures`` shows at ``moment``."""
    shown = None
    for figure in figures:
        if figure.at > moment:
            break
        shown = figure
    return shown


movements = st.lists(
    st.tuples(
        st.floats(min_value=0.001, max_value=5 * 86400),
        st.integers(min_value=-(10**8), max_value=10**8),
        st.sampled_from(["charge", "topup", "adjustment"]),
    ),
    max_size=25,
)


@given(
    moments,
    zones,
    st.floats(min_value=0, max_value=60 * 86400),
    st.one_of(st.none(), st.integers(min_value=1, max_value=10**9)),
    movements,
    charges,
    st.floats(min_value=60, max_value=30 * 86400),
    st.lists(st.floats(min_value=0, max_value=1), min_size=1, max_size=12),
)
def test_the_balance_shown_is_the_statements_at_every_moment(
    moment: datetime,
    zone: timezone,
    opened_back: float,
    opening: int | None,
    steps: list[tuple[float, int, str]],
    rows: list[tuple[float, str, int]],
    span: float,
    probes: list[float],
) -> None:
    """An account opened some time ago (with an opening line, or at 0 without one) moves
    money now and then; the server gives the lines since ``records_since``. At any moment
    of any range the figures show the balance the whole statement gives, and none where
    the account did not exist yet."""
    now = moment.astimezone(zone)
    at = now - timedelta(seconds=opened_back)
    balance = opening or 0
    ledger = [Line(at, balance, balance, OPENING)] if opening is not None else []
    for gap, amount, kind in steps:
        at += timedelta(seconds=gap)
        if at > now:
            break
        balance += amount
        ledger.append(Line(at, amount, balance, kind))
    since = records_since(now)
    records = [Charge(now - timedelta(seconds=back), sid, amount) for back, sid, amount in rows]
    served = [line for line in ledger if line.at >= since]  # GET /v1/account/statement?from=
    spending = summarize(records, served, now, balance_now=balance)
    start = now - timedelta(seconds=span)
    figures = spending.figures_since(start)
    for fraction in [0.0, 1.0, *probes]:
        probe = start + (now - start) * fraction
        shown = _shown_at(figures, probe)
        expected = _statement_balance(ledger, probe)
        if not ledger:  # no money ever moved: the account's balance now all along
            expected = balance
        assert (shown.balance if shown else None) == expected, probe
        spent = sum(r.charged for r in records if start < r.ended_at <= probe)
        assert (shown.spent if shown else 0) == spent, probe
