"""The ledger's pure row builder (billserver.ledger.rows.build), with hypothesis.

Whatever sequence of operations it is given, it either refuses the whole batch or
returns rows that keep the books: every transfer's entries sum to zero, an account's
figures move exactly by its entries and its holds, every hold keeps
``reserved_total = posted + released + remaining``, and no move that lowers an
account's ``available`` leaves it below zero (invoiced tax aside).
"""

from __future__ import annotations

from collections import defaultdict

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billserver.ledger import (
    SYS_REVENUE,
    AccountState,
    Actor,
    Close,
    Hold,
    HoldState,
    LedgerError,
    Operation,
    Post,
    Refusal,
    Refused,
    Resize,
    Transfer,
    TransferKind,
    available_of,
    customer_book,
)
from billserver.ledger.rows import build

ACTOR = Actor.system("test", "test")
ACCOUNTS = ("a", "b")
HOLDS = ("h-a", "h-b")
amounts = st.integers(min_value=-5, max_value=60)


@st.composite
def states(draw: st.DrawFn) -> tuple[dict[str, AccountState], dict[str, HoldState]]:
    accounts = {}
    for account_id in ACCOUNTS:
        kind = draw(st.sampled_from(["prepaid", "postpaid"]))
        limit = draw(st.integers(0, 50)) if kind == "postpaid" else 0
        reserved = draw(st.integers(0, 40))
        balance = draw(st.integers(-limit + reserved, 100))
        retired = draw(st.booleans())
        accounts[account_id] = AccountState(account_id, kind, balance, reserved, limit, retired)
    holds = {}
    for hold_id, account_id in zip(HOLDS, ACCOUNTS, strict=True):
        pending = draw(st.booleans())
        remaining = min(accounts[account_id].reserved, draw(st.integers(0, 40))) if pending else 0
        holds[hold_id] = HoldState(
            hold_id, account_id, "pending" if pending else "released", remaining
        )
    return accounts, holds


def operations() -> st.SearchStrategy[Operation]:
    refs = st.text("xyz", min_size=1, max_size=3)
    hold_ids = st.sampled_from(HOLDS)
    books = st.sampled_from([*(customer_book(a) for a in ACCOUNTS), SYS_REVENUE, "sys:cards"])
    return st.one_of(
        st.builds(Hold, refs, st.sampled_from(ACCOUNTS), amounts),
        st.builds(Resize, hold_ids, amounts),
        st.builds(Post, refs, hold_ids, amounts, st.just("memo")),
        st.builds(Close, hold_ids),
        st.builds(
            Transfer, refs, st.sampled_from(list(TransferKind)), books, books, amounts, st.just("m")
        ),
    )


@given(states(), st.lists(operations(), max_size=8))
def test_a_batch_is_refused_whole_or_keeps_the_books(
    state: tuple[dict[str, AccountState], dict[str, HoldState]], ops: list[Operation]
) -> None:
    accounts, holds = state
    try:
        batch = build(ops, accounts=accounts, holds=holds, actor=ACTOR, now=1)
    except LedgerError as refusal:
        _check_refusal(refusal, accounts)
        return
    by_transfer: dict[str, int] = defaultdict(int)
    by_book: dict[str, int] = defaultdict(int)
    for entry in batch.entries:
        by_transfer[entry["transfer_id"]] += entry["amount"]
        by_book[entry["ledger_id"]] += entry["amount"]
    assert len(batch.entries) == 2 * len(batch.transfers) == 2 * len(batch.audits)
    assert all(total == 0 for total in by_transfer.values())
    assert all(transfer["amount"] > 0 for transfer in batch.transfers)
    reserved_change: dict[str, int] = defaultdict(int)
    for row in batch.new_holds:
        assert row["reserved_total"] == row["posted"] + row["released"] + row["remaining"]
        assert min(row["posted"], row["released"], row["remaining"]) >= 0
        reserved_change[row["account_id"]] += row["remaining"]
    for change in batch.hold_changes + batch.hold_closes:
        before = holds[change["b_hold"]]
        grown, posted, released = change["b_grown"], change["b_posted"], change["b_released"]
        assert before.state == "pending" and min(grown, posted, released) >= 0
        assert before.remaining + grown == posted + released + change["b_remaining"]
        reserved_change[before.account_id] += change["b_remaining"] - before.remaining
    taxed = {
        entry["ledger_id"]
        for entry, transfer in zip(batch.entries[::2], batch.transfers, strict=True)
        if transfer["kind"] == "tax"
    }
    for account_id, start in accounts.items():
        after = batch.figures[account_id]
        assert after.balance == start.balance + by_book[customer_book(account_id)]
        assert after.reserved == start.reserved + reserved_change[account_id]
        assert after.available == available_of(
            start.kind, after.balance, after.reserved, start.credit_limit
        )
        before = available_of(start.kind, start.balance, start.reserved, start.credit_limit)
        if customer_book(account_id) not in taxed:
            assert after.available >= min(before, 0)
        if start.retired:  # closed: no money in or out, no new reservation
            assert after.balance == start.balance
            assert after.reserved <= start.reserved


def _check_refusal(refusal: LedgerError, accounts: dict[str, AccountState]) -> None:
    """A refusal for funds names a move that would take ``available`` below zero; one
    for a retired account names a retired account."""
    if isinstance(refusal, Refused) and refusal.reason is Refusal.ACCOUNT_RETIRED:
        assert accounts[refusal.account_id].retired
    elif isinstance(refusal, Refused):
        assert refusal.needed > 0
        assert refusal.available - refusal.needed < 0


@pytest.mark.parametrize(
    "refused_op",
    [
        Transfer("t", TransferKind.TOPUP, "sys:cards", customer_book("a"), 5, "m"),
        Transfer("t", TransferKind.ADJUSTMENT, customer_book("a"), "sys:adjustments", 1, "m"),
        Hold("h", "a", 1),
        Post("p", "h-a", 1, "m"),
        Resize("h-a", 5),
    ],
)
def test_a_retired_account_takes_no_money(refused_op: Operation) -> None:
    with pytest.raises(Refused) as refused:
        build([refused_op], accounts={"a": RETIRED}, holds={"h-a": HELD}, actor=ACTOR, now=1)
    assert refused.value.reason is Refusal.ACCOUNT_RETIRED
    assert "retired" in str(refused.value)


@pytest.mark.parametrize(("release", "left"), [(Close("h-a"), 0), (Resize("h-a", 1), 1)])
def test_a_retired_account_releases_what_it_holds(release: Operation, left: int) -> None:
    batch = build([release], accounts={"a": RETIRED}, holds={"h-a": HELD}, actor=ACTOR, now=1)
    assert batch.figures["a"].reserved == left


RETIRED = AccountState("a", "prepaid", 10, 4, 0, True)
HELD = HoldState("h-a", "a", "pending", 4)
