"""The paying account and the lock order (pure logic of billserver.accounts.payer)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from billserver.accounts.payer import payer_in, ranked

IDS = ["a", "ab", "b", "m", "m1", "z"]


@st.composite
def forests(draw: st.DrawFn) -> dict[str, Any]:
    """Accounts whose parents come earlier in a random order (no cycles), some sharing."""
    order = draw(st.permutations(IDS))
    rows: dict[str, Any] = {}
    for index, account_id in enumerate(order):
        parent = draw(st.none() | st.sampled_from(order[:index])) if index else None
        shared = parent is not None and draw(st.booleans())
        rows[account_id] = SimpleNamespace(
            account_id=account_id, parent_id=parent, shared_balance=shared
        )
    return rows


@given(forests())
def test_the_payer_is_up_the_shared_chain_and_shares_with_nobody(rows: dict[str, Any]) -> None:
    for account_id in rows:
        payer = payer_in(rows, account_id)
        current = account_id
        while current != payer:  # every step up to the payer is a shared balance
            assert rows[current].shared_balance
            current = rows[current].parent_id
        assert not rows[payer].shared_balance
        assert payer_in(rows, payer) == payer


@given(forests())
def test_the_lock_order_puts_each_payer_right_before_its_members(rows: dict[str, Any]) -> None:
    paying = {a: payer_in(rows, a) for a in rows}
    order = sorted(rows, key=lambda a: ranked(a, paying[a]))
    groups = [paying[a] for a in order]
    # accounts of one paying account are contiguous, the paying account first
    assert groups == sorted(groups)
    for index, account_id in enumerate(order):
        if paying[account_id] == account_id:
            assert all(paying[a] != account_id for a in order[:index])


def test_a_cycle_stops_rather_than_spins() -> None:
    rows = {
        "x": SimpleNamespace(account_id="x", parent_id="y", shared_balance=True),
        "y": SimpleNamespace(account_id="y", parent_id="x", shared_balance=True),
    }
    assert payer_in(rows, "x") in {"x", "y"}
