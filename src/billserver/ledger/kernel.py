"""``apply``: the only way money moves.

Callers lock the rows of the accounts involved first, in the lock order of every
writer (a paying account before the accounts spending from it;
:mod:`billserver.accounts.payer`), then ask the ledger to apply operations. States the
caller already read under lock are passed in (the update path reads everything in
one statement); the ledger reads the others itself, locked. It works inside the
caller's transaction, so a money move commits together with the change it explains,
its audit rows and (the caller's) live events. In a transaction that defers its
writes, what it reads itself is seen as the pending writes leave it (:mod:`.writer`);
states passed in are read that way by the caller (``lock_session`` does).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from sqlalchemy import Connection, select

from ..db.deferred import flush
from ..tables import accounts, holds
from .actor import Actor
from .books import CUSTOMER_PREFIX
from .errors import LedgerError
from .funds import LIMIT_COLUMNS
from .limits import LimitNotice, Period
from .operations import Close, Hold, Operation, Post, Resize, Transfer
from .rows import build
from .state import AccountState, Figures, HoldState
from .writer import pending_figures, write

__all__ = ["Outcome", "apply"]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a batch did: the figures afterwards of every account it touched."""

    figures: dict[str, Figures]
    notices: list[LimitNotice] = field(default_factory=list)
    """Spending-limit notices the batch made due: the caller sends them (a ``limit``
    event each) in the same transaction."""

    def of(self, account_id: str) -> Figures:
        """The figures of ``account_id`` after the batch."""
        return self.figures[account_id]


def apply(
    conn: Connection,
    actor: Actor,
    operations: Sequence[Operation],
    *,
    now: int,
    accounts_read: Iterable[AccountState] = (),
    holds_read: Iterable[HoldState] = (),
    stops: Mapping[str, Period] | None = None,
) -> Outcome:
    """Apply ``operations`` in order, all or nothing (see :mod:`~.rows` for the rules).

    ``stops`` maps an account to the limit of its that stops its spending now (a
    session cut or a charge refused at it): that limit's 100 % notice is due if it was
    not sent this period. With no operations, that notice is all the batch records
    (the caller of a refusal that rolled back records it in its own small write)."""
    known_holds = {state.hold_id: state for state in holds_read}
    created = {op.hold_id for op in operations if isinstance(op, Hold)}
    wanted = {
        op.hold_id
        for op in operations
        if isinstance(op, Resize | Post | Close)
        and op.hold_id not in known_holds
        and op.hold_id not in created
    }
    if wanted:
        flush(conn)  # a hold read here is read as written
        for row in conn.execute(
            select(
                holds.c.hold_id,
                holds.c.account_id,
                holds.c.state,
                holds.c.remaining,
                holds.c.spender_id,
            )
            .where(holds.c.hold_id.in_(sorted(wanted)))
            .with_for_update()
        ):
            known_holds[row.hold_id] = HoldState.of(row)
    known = {state.account_id: state for state in accounts_read}
    needed = {state.account_id for state in known_holds.values()}
    # the accounts whose spending limits the batch counts against: their limits too
    spenders = {state.spender for state in known_holds.values() if state.spender is not None}
    for op in operations:
        if isinstance(op, Hold):
            needed.add(op.account_id)
        elif isinstance(op, Transfer):
            needed.update(
                book.removeprefix(CUSTOMER_PREFIX)
                for book in (op.debit, op.credit)
                if book.startswith(CUSTOMER_PREFIX)
            )
        if isinstance(op, Hold | Transfer) and op.spender is not None:
            spenders.add(op.spender)
    spenders.update(stops or ())
    needed |= spenders
    missing = sorted(
        account_id
        for account_id in needed
        if account_id not in known or (account_id in spenders and known[account_id].limits is None)
    )
    if missing:
        for found in conn.execute(
            select(
                accounts.c.account_id,
                accounts.c.kind,
                accounts.c.balance,
                accounts.c.reserved,
                accounts.c.credit_limit,
                *LIMIT_COLUMNS,
                accounts.c.retired,
            )
            .where(accounts.c.account_id.in_(missing))
            .order_by(accounts.c.account_id)
            .with_for_update()
        ):
            known[found.account_id] = _as_pending(conn, AccountState.of(found))
    if not needed <= known.keys():
        raise LedgerError(f"no account {sorted(needed - known.keys())[0]!r}")
    batch = build(operations, accounts=known, holds=known_holds, actor=actor, now=now, stops=stops)
    write(conn, batch)
    return Outcome(batch.figures, batch.notices)


def _as_pending(conn: Connection, state: AccountState) -> AccountState:
    """``state`` as the transaction's pending writes leave it (itself when none are)."""
    pending = pending_figures(conn, state.account_id)
    if pending is None:
        return state
    limits = None if state.limits is None else state.limits.with_columns(pending)
    return replace(state, balance=pending["balance"], reserved=pending["reserved"], limits=limits)
