"""Invoice arithmetic (pure): totals, tax rounding and calendar-month periods."""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billserver.invoices.arithmetic import (
    Adjustment,
    Usage,
    compute,
    month_bounds,
    parse_tax_rate,
    tax_amount,
)

PLANS = ["std", "biz", "free"]
ACCOUNTS = ["org", "org-a", "org-b"]
SERVICES = ["voice", "sms", "message.submit"]

usages = st.builds(
    Usage,
    account_id=st.sampled_from(ACCOUNTS),
    plan_id=st.sampled_from(PLANS),
    service_id=st.sampled_from(SERVICES),
    billed_units=st.integers(0, 10**9),
    charged=st.integers(0, 10**12),
)
adjustments = st.builds(
    Adjustment,
    account_id=st.sampled_from(ACCOUNTS),
    plan_id=st.sampled_from(PLANS),
    description=st.just("goodwill"),
    amount=st.integers(-(10**10), 10**10),
)
rates = st.one_of(
    st.none(),
    st.decimals(min_value=0, max_value=1, places=6).map(lambda d: format(d, "f")),
)


def reference_tax(base: int, rate: str, places: int) -> int:
    """Half-up (away from zero) to the minor unit, by the decimal module."""
    exact = Decimal(base) / Decimal(10**6) * Decimal(rate)
    rounded = exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return int(rounded * 10**6)


@given(
    st.lists(usages, max_size=30),
    st.lists(adjustments, max_size=5),
    st.fixed_dictionaries(dict.fromkeys(PLANS, rates)),
    st.sampled_from([0, 2, 3]),
)
def test_total_is_charges_plus_adjustments_plus_tax_per_plan(
    usage: list[Usage], adjusted: list[Adjustment], tax_rates: dict[str, str | None], places: int
) -> None:
    totals = compute(usage, adjusted, tax_rates, bill_to="org", minor_places=places)
    charges = sum(u.charged for u in usage)
    adjustments_total = sum(a.amount for a in adjusted)
    assert totals.subtotal == charges + adjustments_total
    expected_tax = 0
    for plan in PLANS:
        base = sum(u.charged for u in usage if u.plan_id == plan) + sum(
            a.amount for a in adjusted if a.plan_id == plan
        )
        rate = tax_rates[plan]
        has_part = any(u.plan_id == plan for u in usage) or any(a.plan_id == plan for a in adjusted)
        if rate is not None and has_part:
            expected_tax += reference_tax(base, rate, places)
    assert totals.tax == expected_tax
    assert totals.total == totals.subtotal + totals.tax
    assert sum(line.amount for line in totals.lines) == totals.total
    assert totals.tax % 10 ** (6 - places) == 0
    usage_lines = [line for line in totals.lines if line.kind == "usage"]
    assert sum(line.quantity for line in usage_lines) == len(usage)
    assert len({(line.account_id, line.service_id, line.plan_id) for line in usage_lines}) == len(
        usage_lines
    )


@given(st.integers(-(10**15), 10**15), st.integers(0, 10**6), st.sampled_from([0, 2, 3]))
def test_tax_rounds_half_up_to_the_minor_unit(base: int, rate: int, places: int) -> None:
    text = format(Decimal(rate) / Decimal(10**6), "f")
    assert tax_amount(base, rate, places) == reference_tax(base, text, places)


def test_halves_round_away_from_zero() -> None:
    # 0.125 EUR * 1 = 0.125 -> 0.13; a credit of the same rounds to -0.13
    assert tax_amount(125_000, 1_000_000, 2) == 130_000
    assert tax_amount(-125_000, 1_000_000, 2) == -130_000
    assert tax_amount(124_999, 1_000_000, 2) == 120_000


@pytest.mark.parametrize("text", ["1.5", "-0.1", "0.1234567", "19", "0,19", ""])
def test_bad_tax_rates_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="decimal fraction"):
        parse_tax_rate(text)


@given(
    st.integers(1971, 2200),
    st.integers(1, 12),
    st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Pacific/Auckland", "Asia/Tokyo"]),
)
def test_months_are_local_calendar_months_that_abut(year: int, month: int, zone: str) -> None:
    period = f"{year}-{month:02d}"
    start, end = month_bounds(period, zone)
    local = start.astimezone(ZoneInfo(zone))
    assert (local.day, local.hour, local.minute, local.month) == (1, 0, 0, month)
    following = f"{year + (month == 12)}-{month % 12 + 1:02d}"
    assert month_bounds(following, zone)[0] == end
    assert timedelta(days=28) - timedelta(hours=2) <= end - start <= timedelta(days=31, hours=2)


@pytest.mark.parametrize("period", ["2026-13", "2026-1", "26-11", "2026/11", "november"])
def test_bad_periods_are_refused(period: str) -> None:
    with pytest.raises(ValueError, match="period"):
        month_bounds(period, "UTC")
