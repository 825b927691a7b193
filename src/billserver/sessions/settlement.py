"""What a session's usage costs, and the ledger operations that take it.

Every path that moves a session's money (an update, an end, late usage, an end by
the server) charges through :func:`charge`: out of the session's hold first, the
rest directly from the paying account's balance, then the hold is resized to the
next grant or closed. The ledger enforces the paying account's floor itself.
"""

from __future__ import annotations

from sqlalchemy import Connection

from billclient.rating import Rate

from ..clock import from_us
from ..db import AnyRow
from ..events import append_limit_notices
from ..ledger import (
    PENDING,
    SYS_REVENUE,
    AccountState,
    Actor,
    Close,
    Figures,
    Headroom,
    Operation,
    Period,
    Post,
    Resize,
    Transfer,
    TransferKind,
    apply,
    customer_book,
    headroom,
)
from .grants import Settlement, settle
from .policy import SessionPolicy
from .records import hold_of, limits_of, payer_of

__all__ = ["budget", "charge", "rate_of_session", "room", "settle_usage"]

_US = 1_000_000


def rate_of_session(conn: Connection, record: AnyRow, policy: SessionPolicy) -> Rate:
    """The rate of the session's plan version and service."""
    rate = policy.rates.rate(conn, record.plan_version_id, record.service_id)
    assert rate is not None  # a session's plan version always rates its service
    return rate


def room(record: AnyRow, now: int, *, payer: AccountState | None = None) -> Headroom:
    """What the session may take beyond its hold now: the paying account's available
    money, bounded by what is left under the session's account's spending limits.
    ``payer``: :func:`~.records.payer_of` the record, when the caller has it already."""
    payer = payer or payer_of(record)
    limits = payer.limits if payer.limits is not None else limits_of(record)
    return headroom(payer, limits, now=now)


def budget(record: AnyRow, now: int, *, payer: AccountState | None = None) -> int:
    """The most the session's total charge may reach now: what it has been charged,
    plus what its hold has left (while open), plus :func:`room`."""
    held = int(record.hold_remaining) if record.hold_state == PENDING else 0
    return int(record.charged) + held + room(record, now, payer=payer).amount


def settle_usage(
    conn: Connection,
    record: AnyRow,
    used_units: int,
    policy: SessionPolicy,
    *,
    now: int,
    cap: int | None = None,
) -> Settlement:
    """How much of ``used_units`` the session is charged now (see :func:`.grants.settle`)."""
    rate = rate_of_session(conn, record, policy)
    return settle(rate, from_us(record.started_at), used_units, budget(record, now), cap=cap)


def charge(
    conn: Connection,
    actor: Actor,
    record: AnyRow,
    charged: int,
    *,
    seq: int,
    then: Resize | Close | None,
    now: int,
    stop: Period | None = None,
    payer: AccountState | None = None,
) -> Figures:
    """Bring the session's charge to ``charged`` (the increase out of the hold first),
    then ``then``; the paying account's figures afterwards. The transfers' idempotency
    references name the session and the report's ``seq``. ``stop``: the limit of the
    session's account that stops it now (its 100 % notice is due). ``payer``:
    :func:`~.records.payer_of` the record, when the caller has it already."""
    amount = charged - int(record.charged)
    ref = f"{record.session_id}:{seq}"
    # when report ``seq`` is due (the start and seq intervals): fixed by the reference,
    # so the transfers' ids stay the same however often it is sent, and follow time
    at = int(record.started_at) + seq * int(record.update_interval) * _US
    memo = f"{record.service_id} session {record.session_id}"
    open_hold = record.hold_state == PENDING
    covered = min(amount, int(record.hold_remaining)) if amount > 0 and open_hold else 0
    operations: list[Operation] = []
    if covered:
        operations.append(
            Post(f"{ref}:hold", record.hold_id, covered, memo, owner=record.session_id, at=at)
        )
    if amount > covered:
        operations.append(
            Transfer(
                f"{ref}:balance",
                TransferKind.CHARGE,
                customer_book(record.payer_id),
                SYS_REVENUE,
                amount - covered,
                memo,
                owner=record.session_id,
                spender=record.account_id,
                at=at,
            )
        )
    if then is not None:
        operations.append(then)
    outcome = apply(
        conn,
        actor,
        operations,
        now=now,
        accounts_read=[payer or payer_of(record)],
        holds_read=[hold_of(record)],
        stops=None if stop is None else {record.account_id: stop},
    )
    append_limit_notices(conn, outcome.notices, now)
    return outcome.of(record.payer_id)
