"""The spending-limit rule of the money kernel, pure, with hypothesis: calendar
periods in any time zone (23- and 25-hour days), rollover, what is left, the notices
once per period, and the row builder never letting a batch spend or hold past a limit.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from billserver.clock import from_us, to_us
from billserver.ledger import (
    SYS_REVENUE,
    AccountState,
    Actor,
    Close,
    Hold,
    HoldState,
    LedgerError,
    LimitState,
    Operation,
    Period,
    Post,
    Refusal,
    Refused,
    Resize,
    Transfer,
    TransferKind,
    customer_book,
    period_bounds,
)
from billserver.ledger.rows import build

ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata")
HOUR = 3600 * 1_000_000
instants = st.integers(
    to_us(datetime(2000, 1, 1, tzinfo=UTC)), to_us(datetime(2060, 1, 1, tzinfo=UTC))
)


@given(instants, st.sampled_from(ZONES))
def test_a_day_is_the_calendar_day_of_the_zone(now: int, zone: str) -> None:
    since, until = period_bounds(Period.DAILY, now, zone)
    assert since <= now < until
    start, end = (from_us(x).astimezone(ZoneInfo(zone)) for x in (since, until))
    assert (start.hour, start.minute, end.hour, end.minute) == (0, 0, 0, 0)
    assert end.date() == start.date() + timedelta(days=1)
    assert from_us(now).astimezone(ZoneInfo(zone)).date() == start.date()
    assert until - since in (23 * HOUR, 23.5 * HOUR, 24 * HOUR, 24.5 * HOUR, 25 * HOUR)


@given(instants, st.sampled_from(ZONES))
def test_a_month_is_the_calendar_month_of_the_zone(now: int, zone: str) -> None:
    since, until = period_bounds(Period.MONTHLY, now, zone)
    assert since <= now < until
    start, end = (from_us(x).astimezone(ZoneInfo(zone)) for x in (since, until))
    assert (start.day, start.hour, end.day, end.hour) == (1, 0, 1, 0)
    assert (end.year * 12 + end.month) - (start.year * 12 + start.month) == 1


def test_the_days_the_clocks_change_are_23_and_25_hours_long() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    for day, hours in (("2026-03-29", 23), ("2026-10-25", 25), ("2026-07-01", 24)):
        noon = to_us(datetime.fromisoformat(f"{day}T12:00").replace(tzinfo=berlin))
        since, until = period_bounds(Period.DAILY, noon, "Europe/Berlin")
        assert until - since == hours * HOUR


def fresh(daily: int | None, monthly: int | None, now: int, zone: str = "UTC") -> LimitState:
    empty = LimitState(daily, monthly, 0, 0, 0, 0, 0, 0, 0, 0, 0, zone)
    return empty.at(now)


@given(
    st.one_of(st.none(), st.integers(1, 10**8)),
    st.one_of(st.none(), st.integers(1, 10**9)),
    st.integers(0, 10**8),
    st.integers(0, 10**8),
    instants,
)
def test_what_is_left_is_the_least_of_each_limit_minus_spent_and_held(
    daily: int | None, monthly: int | None, spent: int, held: int, now: int
) -> None:
    state = fresh(daily, monthly, now).moved(held=held, spent=spent)
    left = state.left()
    if daily is None and monthly is None:
        assert left is None
        return
    expected = min(max(0, lim - spent - held) for lim in (daily, monthly) if lim is not None)
    assert left == expected
    period = state.binding()
    assert period is not None and state.left_under(period) == left


@given(st.integers(1, 10**6), st.lists(st.integers(0, 10**5), max_size=30), instants)
def test_notices_come_once_per_level_and_period(limit: int, charges: list[int], now: int) -> None:
    state = fresh(limit, None, now)
    levels = []
    for amount in charges:
        state, notices = state.moved(spent=amount).crossings("a")
        levels += [n.level for n in notices]
    assert levels == sorted(set(levels))  # each level at most once, in order
    reached = state.spent_daily * 100 / limit
    assert (100 in levels) == (reached >= 100)
    assert bool(levels) == (reached >= 80)
    # the next day starts over: nothing spent, nothing noticed
    tomorrow = state.at(state.daily_until)
    assert (tomorrow.spent_daily, tomorrow.daily_noticed) == (0, 0)
    assert (
        tomorrow.monthly_noticed == state.monthly_noticed
        or state.daily_until >= state.monthly_until
    )


@given(
    st.integers(1, 10**6),
    st.lists(st.tuples(st.integers(0, 10**5), st.booleans()), max_size=30),
    instants,
)
def test_a_limit_that_stops_spending_sends_its_100_notice_once(
    limit: int, steps: list[tuple[int, bool]], now: int
) -> None:
    """Spending interleaved with stops (a session cut or a charge refused short of the
    limit): the 100 % notice comes once, at the first stop or when spending reaches
    the limit, whichever is first, and carries what was really spent."""
    state = fresh(limit, None, now)
    hundreds: list[int] = []
    expected = None  # what was spent when the limit was first reached or stopped spending
    for amount, stop in steps:
        state, notices = state.moved(spent=amount).crossings("a")
        if stop:
            state, stopped = state.stopped("a", Period.DAILY)
            notices += stopped
        if expected is None and (stop or state.spent_daily >= limit):
            expected = state.spent_daily
        hundreds += [n.spent for n in notices if n.level == 100]
        assert all(n.period is Period.DAILY and n.amount == limit for n in notices)
    assert hundreds == ([] if expected is None else [expected])
    assert (state.daily_noticed == 100) == (expected is not None)
    # an unset limit is never noticed; the next day's stop is noticed afresh
    assert state.stopped("a", Period.MONTHLY) == (state, [])
    tomorrow, again = state.at(state.daily_until).stopped("a", Period.DAILY)
    assert [(n.level, n.spent) for n in again] == [(100, 0)]
    assert tomorrow.stopped("a", Period.DAILY)[1] == []


# -- the row builder: no batch spends or holds past a limit ---------------------------

ACTOR = Actor.system("test", "test")
NOW = to_us(datetime(2026, 12, 6, 12, tzinfo=UTC))
amounts = st.integers(-5, 60)


@st.composite
def limited(draw: st.DrawFn) -> tuple[dict[str, AccountState], dict[str, HoldState]]:
    limit = draw(st.integers(1, 100))
    spent = draw(st.integers(0, limit))
    held = draw(st.integers(0, limit - spent))
    limits = fresh(limit, None, NOW).moved(held=held, spent=spent)
    payer = AccountState("p", "prepaid", 1_000 + held, held, 0)
    member = AccountState("m", "prepaid", 0, 0, 0, limits=limits)
    hold = HoldState("h", "p", "pending", held, "m")
    return {"p": payer, "m": member}, {"h": hold}


def spending() -> st.SearchStrategy[Operation]:
    refs = st.text("xyz", min_size=1, max_size=3)
    return st.one_of(
        st.builds(Hold, refs, st.just("p"), amounts, st.none(), st.just("m")),
        st.builds(Resize, st.just("h"), amounts),
        st.builds(Post, refs, st.just("h"), amounts, st.just("memo")),
        st.builds(Close, st.just("h")),
        st.builds(
            Transfer,
            refs,
            st.just(TransferKind.CHARGE),
            st.just(customer_book("p")),
            st.just(SYS_REVENUE),
            amounts,
            st.just("m"),
            st.none(),
            st.just("m"),
        ),
    )


@given(limited(), st.lists(spending(), max_size=8))
def test_a_batch_never_spends_or_holds_past_the_limit(
    state: tuple[dict[str, AccountState], dict[str, HoldState]], ops: list[Operation]
) -> None:
    accounts, holds = state
    before = accounts["m"].limits
    assert before is not None and before.daily is not None
    try:
        batch = build(ops, accounts=accounts, holds=holds, actor=ACTOR, now=NOW)
    except Refused as refusal:
        refused = refusal
    except LedgerError:
        return
    else:
        refused = None
    if refused is not None:
        if refused.reason is Refusal.SPENDING_LIMIT:
            named = (refused.period, refused.limit, refused.resets_at)
            assert named == ("daily", before.daily, before.daily_until)
        return
    (change,) = [row for row in batch.account_changes if row["b_account"] == "m"] or [None]
    spent = before.spent_daily if change is None else change["b_spent_daily"]
    held = before.held if change is None else change["b_limit_held"]
    assert spent + held <= before.daily
    assert spent >= before.spent_daily  # spending never comes back
    charged = sum(t["amount"] for t in batch.transfers if t["spender_id"] == "m")
    assert spent == before.spent_daily + charged
