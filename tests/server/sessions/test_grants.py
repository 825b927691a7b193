"""Properties of the credit-control arithmetic (pure, no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from billclient.rating import Rate, charge
from billserver.sessions.grants import next_grant, settle

START = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)


@st.composite
def rates(draw: st.DrawFn) -> Rate:
    unit = draw(st.sampled_from(["second", "byte", "event"]))
    increment = draw(st.integers(1, 30))
    windows = []
    if draw(st.booleans()):
        windows.append(
            {
                "days": ["mon", "sun"],
                "start": "01:00",
                "end": "03:30",
                "price": str(draw(st.integers(0, 500))) + ".0001",
            }
        )
    return Rate.from_text(
        unit=unit,
        timezone="Europe/Berlin",
        price=f"0.{draw(st.integers(0, 99999)):05d}",
        per=draw(st.sampled_from([1, 60, 1000])),
        increment=increment,
        first_increment=draw(st.integers(1, 60)),
        setup_fee=f"0.0{draw(st.integers(0, 9))}",
        min_charge=f"0.{draw(st.integers(0, 20)):02d}",
        windows=windows,
    )


starts = st.integers(0, 7 * 86_400).map(lambda s: START + timedelta(seconds=s))


@given(rates(), starts, st.integers(0, 500), st.integers(0, 5_000_000), st.integers(1, 120))
def test_next_grant_is_the_largest_affordable_slide(
    rate: Rate, start: datetime, used: int, budget: int, grant_size: int
) -> None:
    charged = charge(rate, start, used)
    budget += charged  # the session's own charge is always inside its budget
    grant = next_grant(rate, start, used, charged, budget, grant_size)
    assert used <= grant.granted_units <= used + grant_size
    assert grant.hold == charge(rate, start, grant.granted_units) - charged
    assert charge(rate, start, grant.granted_units) <= budget
    if grant.final:
        assert charge(rate, start, used + grant_size) > budget
        if grant.granted_units < used + grant_size:
            assert charge(rate, start, grant.granted_units + 1) > budget
    else:
        assert grant.granted_units == used + grant_size


@given(rates(), starts, st.integers(0, 400), st.integers(0, 3_000_000))
def test_settle_charges_exactly_what_the_budget_covers(
    rate: Rate, start: datetime, used: int, budget: int
) -> None:
    settled = settle(rate, start, used, budget)
    assert settled.billable_units + settled.unbilled_units == used
    assert settled.charged == charge(rate, start, settled.billable_units)
    if charge(rate, start, used) <= budget:
        assert settled.unbilled_units == 0
    else:
        assert settled.charged <= budget
        assert charge(rate, start, settled.billable_units + 1) > budget


@given(rates(), starts, st.integers(0, 400), st.integers(0, 400), st.integers(0, 3_000_000))
def test_settle_respects_a_unit_cap(
    rate: Rate, start: datetime, used: int, cap: int, budget: int
) -> None:
    settled = settle(rate, start, used, budget, cap=cap)
    assert settled.billable_units <= min(used, cap)
    assert settled.billable_units + settled.unbilled_units == used
    assert settled.charged <= max(budget, 0) or settled.billable_units == 0
