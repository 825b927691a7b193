"""The ledger API against a plain in-memory model, on SQLite and PostgreSQL.

A hypothesis state machine opens, resizes, posts from and closes holds, makes
transfers of every kind, repeats idempotency references and sends batches that fail
half-way, each in its own write transaction of a real database; after every step the
database must agree with the model: balances and reservations, every transfer's
entries summing to zero, no hold posted beyond its amount or after it closed, and no
account's ``available`` below its floor (invoiced tax aside: it is owed whatever the
credit limit).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import Engine, func, insert, select
from sqlalchemy.exc import IntegrityError

from billserver import db
from billserver.db import make_engine
from billserver.ledger import (
    SYS_CARDS,
    SYS_REVENUE,
    Actor,
    Close,
    Hold,
    LedgerError,
    Operation,
    Post,
    Refused,
    Resize,
    Transfer,
    TransferKind,
    apply,
    customer_book,
)
from billserver.migrations.upgrade import upgrade
from billserver.tables import accounts, holds, ledger_entries, ledger_transfers
from tests.support.fixtures import ServerFactory

ACTOR = Actor.system("ledger-test", "test")
amounts = st.integers(min_value=-3, max_value=40)
moments = st.none() | st.integers(min_value=0, max_value=(2**48 - 1) * 1000)
"""The moment a transfer stands for (its id starts with it), or none (a name-based id)."""


@dataclass
class ModelAccount:
    kind: str
    credit_limit: int
    balance: int = 0
    reserved: int = 0
    taxed: bool = False

    @property
    def available(self) -> int:
        floor = -self.credit_limit if self.kind == "postpaid" else 0
        return self.balance - self.reserved - floor


@dataclass
class ModelHold:
    account: str
    remaining: int
    posted: int = 0
    released: int = 0
    open: bool = True


class Rejected(Exception):
    """The model's verdict: the ledger must refuse this batch."""

    def __init__(self, refused: bool) -> None:
        super().__init__()
        self.refused = refused  # Refused (funds) rather than another LedgerError


class Model:
    """The ledger's rules, written plainly over dictionaries."""

    def __init__(self) -> None:
        self.accounts: dict[str, ModelAccount] = {}
        self.holds: dict[str, ModelHold] = {}

    def run(self, ops: list[Operation]) -> None:
        """Apply ``ops`` all or nothing; raises Rejected (nothing applied) when the ledger
        must refuse them."""
        accounts = {k: ModelAccount(**vars(v)) for k, v in self.accounts.items()}
        holds = {k: ModelHold(**vars(v)) for k, v in self.holds.items()}
        for op in ops:
            if isinstance(op, Hold):
                account = accounts[op.account_id]
                if op.amount < 0 or op.hold_id in holds:
                    raise Rejected(False)
                if op.amount > 0 and account.available < op.amount:
                    raise Rejected(True)
                account.reserved += op.amount
                holds[op.hold_id] = ModelHold(op.account_id, op.amount)
                continue
            if isinstance(op, Transfer):
                self._transfer(accounts, op)
                continue
            hold = holds.get(op.hold_id)
            if hold is None or not hold.open:  # never opened (refused), or closed
                raise Rejected(False)
            account = accounts[hold.account]
            if isinstance(op, Resize):
                if op.remaining < 0:
                    raise Rejected(False)
                grow = op.remaining - hold.remaining
                if grow > 0 and account.available < grow:
                    raise Rejected(True)
                hold.released += max(0, -grow)
                hold.remaining = op.remaining
                account.reserved += grow
            elif isinstance(op, Post):
                if not 0 <= op.amount <= hold.remaining:
                    raise Rejected(False)
                hold.remaining -= op.amount
                hold.posted += op.amount
                account.balance -= op.amount
                account.reserved -= op.amount
            else:
                account.reserved -= hold.remaining
                hold.released += hold.remaining
                hold.remaining = 0
                hold.open = False
        self.accounts, self.holds = accounts, holds

    @staticmethod
    def _transfer(accounts: dict[str, ModelAccount], op: Transfer) -> None:
        if op.amount <= 0 or op.debit == op.credit:
            raise Rejected(False)
        debit = accounts.get(op.debit.removeprefix("acct:"))
        credit = accounts.get(op.credit.removeprefix("acct:"))
        if debit is not None:
            if op.kind is not TransferKind.TAX and debit.available < op.amount:
                raise Rejected(True)
            debit.balance -= op.amount
            debit.taxed |= op.kind is TransferKind.TAX
        if credit is not None:
            credit.balance += op.amount


class LedgerMachine(RuleBasedStateMachine):
    """Random sequences of ledger operations against :class:`Model`."""

    engine: Engine  # set by the test

    account_ids = Bundle("accounts")
    hold_ids = Bundle("holds")
    references = Bundle("references")

    def __init__(self) -> None:
        super().__init__()
        self.model = Model()
        self.prefix = uuid.uuid4().hex[:10]

    @initialize(
        target=account_ids,
        kinds=st.lists(st.sampled_from(["prepaid", "postpaid"]), min_size=2, max_size=2),
        limits=st.lists(st.integers(0, 30), min_size=2, max_size=2),
        openings=st.lists(st.integers(0, 60), min_size=2, max_size=2),
    )
    def open_accounts(self, kinds: list[str], limits: list[int], openings: list[int]) -> object:
        ids = [f"{self.prefix}-{n}" for n in range(2)]
        with db.write(self.engine) as conn:
            for account_id, kind, limit in zip(ids, kinds, limits, strict=True):
                credit_limit = limit if kind == "postpaid" else 0
                conn.execute(insert(accounts).values(account_id=account_id, name=account_id,
                    kind=kind, plan_id="", status="active", currency="EUR",
                    credit_limit=credit_limit, retired=False, balance=0, reserved=0,
                    created_at=0))  # fmt: skip
                self.model.accounts[account_id] = ModelAccount(kind, credit_limit)
        for account_id, amount in zip(ids, openings, strict=True):
            if amount:
                self._run([Transfer(f"{account_id}:open", TransferKind.OPENING, "sys:opening",
                                    customer_book(account_id), amount, "opening")])  # fmt: skip
        return ids[0]

    @rule(target=account_ids)
    def second_account(self) -> str:
        return f"{self.prefix}-1"

    @rule(target=hold_ids, account=account_ids, amount=amounts)
    def hold(self, account: str, amount: int) -> str:
        op = Hold(f"{self.prefix}:{uuid.uuid4().hex}", account, amount)
        self._run([op])
        return op.hold_id

    @rule(hold=hold_ids, remaining=amounts)
    def resize(self, hold: str, remaining: int) -> None:
        self._run([Resize(hold, remaining)])

    @rule(target=references, hold=hold_ids, amount=amounts, at=moments)
    def post(self, hold: str, amount: int, at: int | None) -> Operation:
        op = Post(f"{self.prefix}:{uuid.uuid4().hex}", hold, amount, "charge", at=at)
        self._run([op])
        return op

    @rule(hold=hold_ids)
    def close(self, hold: str) -> None:
        self._run([Close(hold)])

    @rule(
        target=references,
        kind=st.sampled_from(list(TransferKind)),
        debit=st.one_of(account_ids, st.sampled_from([SYS_CARDS, SYS_REVENUE])),
        credit=st.one_of(account_ids, st.sampled_from([SYS_CARDS, SYS_REVENUE])),
        amount=amounts,
        at=moments,
    )
    def transfer(
        self, kind: TransferKind, debit: str, credit: str, amount: int, at: int | None
    ) -> Operation:
        book = {a: customer_book(a) for a in self.model.accounts}
        op = Transfer(f"{self.prefix}:{uuid.uuid4().hex}", kind, book.get(debit, debit),
                      book.get(credit, credit), amount, "move", at=at)  # fmt: skip
        self._run([op])
        return op

    @rule(op=references)
    def repeat_a_reference(self, op: Operation) -> None:
        """The same operation twice never applies twice: its reference names its row (a
        post of nothing made no row, and an operation the ledger refused neither)."""
        if not self._made(op):
            return
        with pytest.raises((IntegrityError, LedgerError)):
            self._apply([op])

    def _made(self, op: Operation) -> bool:
        ref_id = op.transfer_id if isinstance(op, Post | Transfer) else ""
        with db.read(self.engine) as conn:
            return (
                conn.execute(
                    select(ledger_transfers.c.transfer_id).where(
                        ledger_transfers.c.transfer_id == ref_id
                    )
                ).first()
                is not None
            )

    def _apply(self, ops: list[Operation]) -> None:
        with db.write(self.engine) as conn:
            apply(conn, ACTOR, ops, now=2)

    @rule(hold=hold_ids, amount=st.integers(1, 40))
    def fail_half_way(self, hold: str, amount: int) -> None:
        """A batch whose last operation fails leaves nothing of its first ones."""
        account = f"{self.prefix}-0"
        first = Transfer(f"{self.prefix}:{uuid.uuid4().hex}", TransferKind.TOPUP, SYS_CARDS,
                         customer_book(account), amount, "top-up")  # fmt: skip
        self._run([first, Post(f"{self.prefix}:{uuid.uuid4().hex}", hold, 10**9, "too much")])

    def _run(self, ops: list[Operation]) -> None:
        try:
            self.model.run(ops)
        except Rejected as rejected:
            with pytest.raises(Refused if rejected.refused else LedgerError):
                self._apply(ops)
            return
        self._apply(ops)

    @invariant()
    def the_books_agree_with_the_model(self) -> None:
        if not self.model.accounts:
            return
        ids = list(self.model.accounts)
        with db.read(self.engine) as conn:
            rows = conn.execute(
                select(accounts.c.account_id, accounts.c.balance, accounts.c.reserved).where(
                    accounts.c.account_id.in_(ids)
                )
            ).all()
            stored = conn.execute(select(holds).where(holds.c.account_id.in_(ids))).all()
            unbalanced = conn.execute(
                select(ledger_entries.c.transfer_id)
                .join(ledger_transfers)
                .where(ledger_transfers.c.account_id.in_(ids))
                .group_by(ledger_entries.c.transfer_id)
                .having((func.sum(ledger_entries.c.amount) != 0) | (func.count() != 2))
            ).all()
            books = dict(
                conn.execute(
                    select(ledger_entries.c.ledger_id, func.sum(ledger_entries.c.amount))
                    .where(ledger_entries.c.ledger_id.in_([customer_book(a) for a in ids]))
                    .group_by(ledger_entries.c.ledger_id)
                ).all()
            )
        assert not unbalanced
        for row in rows:
            model = self.model.accounts[row.account_id]
            assert (int(row.balance), int(row.reserved)) == (model.balance, model.reserved)
            assert int(books.get(customer_book(row.account_id), 0)) == model.balance
            assert model.taxed or model.available >= 0
        assert {row.hold_id for row in stored} == set(self.model.holds)
        for row in stored:
            model_hold = self.model.holds[row.hold_id]
            assert int(row.reserved_total) == row.posted + row.released + row.remaining
            assert (row.remaining, row.posted, row.released) == (
                model_hold.remaining,
                model_hold.posted,
                model_hold.released,
            )
            assert (row.state == "pending") == model_hold.open


@pytest.fixture(scope="module")
def ledger_engine(module_servers: ServerFactory) -> Iterator[Engine]:
    """A migrated database of the module's engine (SQLite or PostgreSQL)."""
    engine = make_engine(module_servers.db_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def test_the_ledger_keeps_the_books_of_any_sequence(ledger_engine: Engine) -> None:
    LedgerMachine.engine = ledger_engine
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(max_examples=25, stateful_step_count=30, deadline=None),
    )
