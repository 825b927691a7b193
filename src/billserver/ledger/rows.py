"""The one pure function that turns a batch of ledger operations into rows.

:func:`build` applies :mod:`~billserver.ledger.operations` in order to the states of
the accounts and holds they touch (read under lock by the caller or by
:func:`~billserver.ledger.kernel.apply`) and returns every row to write: new holds,
hold changes, account figures, transfers, their entries and their audit rows. It does
no I/O and refuses a batch before anything is written:

- a transfer moves a positive amount between two different books; its two entries
  sum to zero;
- a hold never goes negative; it is posted at most what it has left, and a closed
  hold can be neither posted, resized nor closed again
  (``reserved_total = posted + released + remaining`` holds by construction);
- an operation that lowers an account's ``available`` must leave it at or above
  zero (:mod:`~billserver.ledger.funds`), else :class:`~.errors.Refused`;
- a hold that grows, or a charge, with a spending account takes no more than is left
  under that account's spending limits (:mod:`~.limits`), else ``Refused`` with
  :attr:`~.errors.Refusal.SPENDING_LIMIT`; what is posted counts as spent, and the
  notices due at 80 % and 100 % of a limit are part of the batch (the 100 % one
  also when the caller says a limit stopped the account's spending short of it);
- a retired account (deleted by the operator) is closed: any operation that would
  change its balance or reserve more of it is :class:`~.errors.Refused`
  (``account_retired``); releasing a hold it still has is allowed;
- ``accounts.reserved`` moves with the remaining amounts of its pending holds and
  ``accounts.balance`` with the entries of its book.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .actor import Actor
from .audit import audit_row
from .books import CUSTOMER_PREFIX, SYS_REVENUE, customer_book
from .errors import LedgerError, Refusal, Refused
from .funds import available_of
from .limits import LimitNotice, LimitState, Period
from .operations import Close, Hold, Operation, Post, Resize, Transfer, TransferKind
from .state import PENDING, RELEASED, AccountState, Figures, HoldState

__all__ = ["Batch", "build"]


@dataclass(slots=True)
class Batch:
    """The rows of one batch of operations (dicts keyed by column or bind name)."""

    new_holds: list[dict[str, Any]] = field(default_factory=list)
    hold_changes: list[dict[str, Any]] = field(default_factory=list)
    hold_closes: list[dict[str, Any]] = field(default_factory=list)
    account_changes: list[dict[str, Any]] = field(default_factory=list)
    transfers: list[dict[str, Any]] = field(default_factory=list)
    entries: list[dict[str, Any]] = field(default_factory=list)
    audits: list[dict[str, Any]] = field(default_factory=list)
    figures: dict[str, Figures] = field(default_factory=dict)
    """The figures after the batch of every account it touched."""
    notices: list[LimitNotice] = field(default_factory=list)
    """The spending-limit notices the batch made due (the caller sends them)."""


@dataclass(slots=True)
class _Account:
    start: AccountState
    balance: int
    reserved: int
    limits: LimitState | None = None  # as of the batch's ``now``

    @property
    def available(self) -> int:
        return available_of(self.start.kind, self.balance, self.reserved, self.start.credit_limit)

    def move(self, *, balance: int = 0, reserved: int = 0, bounded: bool = True) -> None:
        """Change the figures; a change lowering ``available`` must leave it >= 0, and a
        retired account only releases what it holds."""
        before = self.available
        change = balance - reserved
        if self.start.retired and (balance or reserved > 0):
            raise Refused(
                Refusal.ACCOUNT_RETIRED,
                account_id=self.start.account_id,
                available=before,
                needed=max(0, -change),
            )
        if bounded and change < 0 and before + change < 0:
            raise Refused(
                Refusal.INSUFFICIENT_FUNDS,
                account_id=self.start.account_id,
                available=before,
                needed=-change,
            )
        self.balance += balance
        self.reserved += reserved

    def count(self, *, held: int = 0, spent: int = 0) -> None:
        """Count a hold's change and a charge against the limits; a hold growing or a
        charge must fit in what is left under them."""
        limits = self.limits
        if limits is None:
            raise LedgerError(f"the limits of account {self.start.account_id!r} were not read")
        taken = max(0, held + spent)  # posting from a hold takes nothing new
        left = limits.left()
        if left is not None and taken > left:
            period = limits.binding()
            assert period is not None
            raise Refused(
                Refusal.SPENDING_LIMIT,
                account_id=self.start.account_id,
                available=left,
                needed=taken,
                period=period,
                limit=limits.limit(period),
                resets_at=limits.resets_at(period),
            )
        self.limits = limits.moved(held=held, spent=spent)


@dataclass(slots=True)
class _Hold:
    hold_id: str
    account_id: str
    state: str
    remaining: int
    before: int | None  # remaining as read (None: created by this batch)
    owner: str | None = None
    reserved_total: int = 0
    posted: int = 0
    released: int = 0
    closed_at: int | None = None
    spender: str | None = None

    def pending(self) -> _Hold:
        if self.state != PENDING:
            raise LedgerError(f"hold {self.hold_id} is closed")
        return self


def build(
    operations: Sequence[Operation],
    *,
    accounts: Mapping[str, AccountState],
    holds: Mapping[str, HoldState],
    actor: Actor,
    now: int,
    stops: Mapping[str, Period] | None = None,
) -> Batch:
    """The rows of ``operations`` applied in order (see the module); ``stops`` names
    the accounts whose spending a limit stops (:meth:`~.limits.LimitState.stopped`,
    its 100 % notice is due). Raises
    :class:`~.errors.LedgerError` (or :class:`~.errors.Refused`) for a batch the ledger
    refuses, before anything is written."""
    books = {
        key: _Account(state, state.balance, state.reserved, state.limits and state.limits.at(now))
        for key, state in accounts.items()
    }
    held = {
        key: _Hold(
            state.hold_id,
            state.account_id,
            state.state,
            state.remaining,
            state.remaining,
            spender=state.spender,
        )
        for key, state in holds.items()
    }
    batch = Batch()

    def account(account_id: str) -> _Account:
        found = books.get(account_id)
        if found is None:
            raise LedgerError(f"no account {account_id!r}")
        return found

    def hold(hold_id: str) -> _Hold:
        found = held.get(hold_id)
        if found is None:
            raise LedgerError(f"no hold {hold_id}")
        return found

    for op in operations:
        if isinstance(op, Hold):
            if op.amount < 0:
                raise LedgerError("a hold cannot be negative")
            if op.hold_id in held:
                raise LedgerError(f"hold {op.hold_id} exists (reference {op.ref!r} used twice)")
            _take(account(op.account_id), _spender(account, op.spender), op.amount)
            held[op.hold_id] = _Hold(
                op.hold_id, op.account_id, PENDING, op.amount, None, op.owner, op.amount,
                spender=op.spender,
            )  # fmt: skip
        elif isinstance(op, Resize):
            target = hold(op.hold_id).pending()
            if op.remaining < 0:
                raise LedgerError("a hold cannot be negative")
            delta = op.remaining - target.remaining
            _take(account(target.account_id), _spender(account, target.spender), delta)
            target.remaining = op.remaining
            if delta > 0:
                target.reserved_total += delta
            else:
                target.released -= delta
        elif isinstance(op, Post):
            target = hold(op.hold_id).pending()
            if op.amount < 0 or op.amount > target.remaining:
                raise LedgerError(
                    f"cannot post {op.amount} from a hold with {target.remaining} remaining"
                )
            if op.amount == 0:
                continue
            target.remaining -= op.amount
            target.posted += op.amount
            account(target.account_id).move(balance=-op.amount, reserved=-op.amount)
            if target.spender:
                account(target.spender).count(held=-op.amount, spent=op.amount)
            charge = Transfer(op.ref, TransferKind.CHARGE, customer_book(target.account_id),
                              SYS_REVENUE, op.amount, op.memo, op.owner,
                              target.spender, at=op.at)  # fmt: skip
            _transfer(batch, books, actor, now, charge, hold_id=op.hold_id)
        elif isinstance(op, Close):
            target = hold(op.hold_id).pending()
            account(target.account_id).move(reserved=-target.remaining)
            if target.spender:
                account(target.spender).count(held=-target.remaining)
            target.released += target.remaining
            target.remaining = 0
            target.state = RELEASED
            target.closed_at = now
        else:
            _check_transfer(op)
            if op.spender:
                account(op.spender).count(spent=op.amount)
            for book, signed in ((op.debit, -op.amount), (op.credit, op.amount)):
                if book.startswith(CUSTOMER_PREFIX):
                    account(book.removeprefix(CUSTOMER_PREFIX)).move(
                        balance=signed, bounded=op.kind.bounded
                    )
            _transfer(batch, books, actor, now, op, hold_id=None)
    _hold_rows(batch, held.values(), now)
    for account_id, figures in books.items():
        limits = figures.limits
        if limits is not None:
            limits, notices = limits.crossings(account_id)
            batch.notices += notices
            if stops and account_id in stops:
                limits, notices = limits.stopped(account_id, stops[account_id])
                batch.notices += notices
        money = (figures.balance, figures.reserved) != (
            figures.start.balance,
            figures.start.reserved,
        )
        if money or limits != figures.start.limits:
            counters = dict.fromkeys(LimitState.BINDS) if limits is None else limits.bound_columns()
            batch.account_changes.append(
                {
                    "b_account": account_id,
                    "b_old_balance": figures.start.balance,
                    "b_old_reserved": figures.start.reserved,
                    "b_balance": figures.balance,
                    "b_reserved": figures.reserved,
                    **counters,
                }
            )
        batch.figures[account_id] = Figures(figures.balance, figures.reserved, figures.available)
    return batch


def _spender(account: Callable[[str], _Account], account_id: str | None) -> _Account | None:
    return None if account_id is None else account(account_id)


def _take(payer: _Account, spender: _Account | None, amount: int) -> None:
    """Reserve ``amount`` (negative: release) on ``payer`` and count it against the
    ``spender``'s limits; a refusal names the one that leaves less."""
    if not spender:
        payer.move(reserved=amount)
        return
    left = spender.limits.left() if spender.limits is not None else None
    if left is not None and left < payer.available:
        spender.count(held=amount)
        payer.move(reserved=amount)
    else:
        payer.move(reserved=amount)
        spender.count(held=amount)


def _check_transfer(op: Transfer) -> None:
    if op.amount <= 0:
        raise LedgerError(f"a transfer moves a positive amount, not {op.amount}")
    if op.debit == op.credit:
        raise LedgerError("a transfer needs two different books")


def _transfer(
    batch: Batch,
    books: Mapping[str, _Account],
    actor: Actor,
    now: int,
    op: Transfer,
    *,
    hold_id: str | None,
) -> None:
    """The transfer's row, its two entries (running balances of customer books: the
    books' figures already include this transfer) and its audit row."""
    transfer_id = op.transfer_id
    account_id = None
    for book in (op.debit, op.credit):
        if book.startswith(CUSTOMER_PREFIX):
            account_id = book.removeprefix(CUSTOMER_PREFIX)
    batch.transfers.append(
        {
            "transfer_id": transfer_id,
            "kind": op.kind.value,
            "account_id": account_id,
            "amount": op.amount,
            "hold_id": hold_id,
            "session_id": op.owner,
            "memo": op.memo,
            "created_at": now,
            "spender_id": op.spender,
        }
    )
    running = _running_balances(books, op.debit, op.credit)
    for book, signed in ((op.debit, -op.amount), (op.credit, op.amount)):
        batch.entries.append(
            {
                "transfer_id": transfer_id,
                "ledger_id": book,
                "amount": signed,
                "balance_after": running.get(book),
            }
        )
    batch.audits.append(
        audit_row(
            actor,
            f"money.{op.kind.value}",
            account_id=account_id,
            now=now,
            transfer_id=transfer_id,
            amount=op.amount,
            debit=op.debit,
            credit=op.credit,
            session_id=op.owner,
            memo=op.memo,
        )
    )


def _running_balances(books: Mapping[str, _Account], debit: str, credit: str) -> dict[str, int]:
    """The balance after this transfer of each customer book it touches (the account's
    current balance: it already includes the transfer)."""
    return {
        book: books[book.removeprefix(CUSTOMER_PREFIX)].balance
        for book in (debit, credit)
        if book.startswith(CUSTOMER_PREFIX)
    }


def _moved(hold: _Hold) -> bool:
    return bool(hold.reserved_total or hold.released or hold.posted)


def _hold_rows(batch: Batch, holds: Iterable[_Hold], now: int) -> None:
    for hold in holds:
        if hold.before is None:
            batch.new_holds.append(
                {
                    "hold_id": hold.hold_id,
                    "account_id": hold.account_id,
                    "session_id": hold.owner,
                    "state": hold.state,
                    "reserved_total": hold.reserved_total,
                    "posted": hold.posted,
                    "released": hold.released,
                    "remaining": hold.remaining,
                    "created_at": now,
                    "closed_at": hold.closed_at,
                    "spender_id": hold.spender,
                }
            )
        elif hold.closed_at is not None or hold.remaining != hold.before or _moved(hold):
            change = {
                "b_hold": hold.hold_id,
                "b_before": hold.before,
                "b_remaining": hold.remaining,
                "b_posted": hold.posted,
                "b_grown": hold.reserved_total,
                "b_released": hold.released,
            }
            if hold.closed_at is None:
                batch.hold_changes.append(change)
            else:
                batch.hold_closes.append({**change, "b_closed": hold.closed_at})
