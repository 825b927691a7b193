"""The failover policy (pure): attempt order, backoff, Retry-After, taking the primary back."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billclient.core.failover import FailoverPolicy, FailoverState

policies = st.builds(
    FailoverPolicy,
    base_delay=st.floats(0, 5),
    max_delay=st.floats(0, 60),
    rounds=st.integers(1, 5),
    probe_interval=st.floats(0.01, 10),
    healthy_probes=st.integers(1, 5),
    max_retry_after=st.floats(0, 120),
    reconnect_base=st.floats(0, 5),
    reconnect_max=st.floats(0, 60),
)
jitters = st.floats(0, 1)


@st.composite
def states(draw: st.DrawFn) -> FailoverState:
    count = draw(st.integers(1, 8))
    return FailoverState(count, draw(st.integers(0, count - 1)))


@given(states())
def test_a_pass_tries_every_server_once_starting_with_the_current(state: FailoverState) -> None:
    order = state.order()
    assert sorted(order) == list(range(state.count))
    assert order[0] == state.current
    # after the current one, list order, wrapping round
    assert order == [*range(state.current, state.count), *range(state.current)]


@given(states(), st.data())
def test_the_server_that_answered_becomes_current(
    state: FailoverState, data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, state.count - 1))
    after = state.succeeded(index)
    assert after.current == index
    assert after.order()[0] == index
    with pytest.raises(ValueError, match="no such server"):
        state.succeeded(state.count)


@given(policies, st.integers(1, 200), jitters)
def test_backoff_is_truncated_and_jittered(
    policy: FailoverPolicy, passes: int, jitter: float
) -> None:
    delay = policy.backoff(passes, jitter)
    cap = min(policy.max_delay, policy.base_delay * 2 ** min(passes - 1, 62))
    assert 0 <= delay <= cap + 1e-9
    assert delay <= policy.max_delay + 1e-9
    assert policy.backoff(passes, 1.0) == pytest.approx(cap)
    assert policy.backoff(0, jitter) == 0


@given(policies, st.integers(1, 100), jitters)
def test_the_backoff_cap_never_shrinks(policy: FailoverPolicy, passes: int, jitter: float) -> None:
    assert policy.backoff(passes + 1, 1.0) >= policy.backoff(passes, 1.0)


@given(policies, st.integers(1, 8), jitters, st.none() | st.floats(0, 200))
def test_wait_honours_retry_after_and_gives_up_after_the_rounds(
    policy: FailoverPolicy, passes: int, jitter: float, retry_after: float | None
) -> None:
    wait = policy.wait(passes, jitter, retry_after)
    if passes >= policy.rounds or (
        retry_after is not None and retry_after > policy.max_retry_after
    ):
        assert wait is None
    else:
        assert wait is not None
        assert wait >= policy.backoff(passes, jitter)
        if retry_after is not None:
            assert wait >= retry_after


@given(policies, st.integers(1, 100), jitters)
def test_reconnects_wait_between_half_and_all_of_the_cap(
    policy: FailoverPolicy, failures: int, jitter: float
) -> None:
    cap = min(policy.reconnect_max, policy.reconnect_base * 2 ** min(failures - 1, 62))
    delay = policy.reconnect_delay(failures, jitter)
    assert cap / 2 - 1e-9 <= delay <= cap + 1e-9


@given(policies, states(), st.lists(st.booleans(), max_size=30))
def test_the_primary_is_taken_back_only_after_enough_healthy_probes_in_a_row(
    policy: FailoverPolicy, state: FailoverState, probes: list[bool]
) -> None:
    streak = 0
    for healthy in probes:
        before = state
        state = state.probed(healthy, policy)
        assert 0 <= state.current < state.count
        if before.on_primary:
            assert state.on_primary  # nothing to take back
            continue
        streak = streak + 1 if healthy else 0
        if streak >= policy.healthy_probes:
            assert state.on_primary
            streak = 0
        else:
            assert state.current == before.current


@given(states(), st.integers(0, 8), st.none() | st.integers(-2, 10))
def test_a_new_server_list_keeps_a_valid_current(
    state: FailoverState, count: int, current: int | None
) -> None:
    after = state.resized(count, current)
    assert after.count == count
    if count:
        assert 0 <= after.current < count
        if current is not None and 0 <= current < count:
            assert after.current == current


def test_bad_policies_are_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        FailoverPolicy(rounds=0)
    with pytest.raises(ValueError, match="negative"):
        FailoverPolicy(base_delay=-1)
