"""``billserver verify``'s checks of spending limits (:mod:`~.limits`).

- every account's counters agree with the ledger: ``limit_held`` is what its pending
  holds keep reserved, ``spent_daily`` and ``spent_monthly`` what the charges counted
  against it in the period they were last written for;
- no account spent more than its limit in a period (nor holds more than what is left):
  a session may spend past a limit by nothing at all, since its grants never reach
  beyond it. A period in which the limit was changed is left out: lowering a limit
  below what was already spent is allowed.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Connection, and_, case, func, or_, select

from billclient.protocol.money import format_money

from ..tables import accounts, holds, ledger_transfers
from .operations import TransferKind
from .state import PENDING

__all__ = ["LIMIT_CHECKS"]


def _held_matches_holds(conn: Connection) -> list[str]:
    pending = (
        select(holds.c.spender_id, func.sum(holds.c.remaining).label("total"))
        .where(holds.c.state == PENDING, holds.c.spender_id.is_not(None))
        .group_by(holds.c.spender_id)
        .subquery()
    )
    found = func.coalesce(pending.c.total, 0)
    rows = conn.execute(
        select(accounts.c.account_id, accounts.c.limit_held, found.label("found"))
        .select_from(accounts.outerjoin(pending, pending.c.spender_id == accounts.c.account_id))
        .where(accounts.c.limit_held != found)
    ).all()
    return [
        f"account {r.account_id}: holds counted against its limits {format_money(r.limit_held)}, "
        f"its pending holds keep {format_money(r.found)}"
        for r in rows
    ]


def _spent_matches_charges(conn: Connection) -> list[str]:
    problems = []
    for name, spent, since, until in (
        ("day", accounts.c.spent_daily, accounts.c.daily_since, accounts.c.daily_until),
        ("month", accounts.c.spent_monthly, accounts.c.monthly_since, accounts.c.monthly_until),
    ):
        counted = and_(
            ledger_transfers.c.spender_id == accounts.c.account_id,
            ledger_transfers.c.kind == TransferKind.CHARGE.value,
            ledger_transfers.c.created_at >= since,
            ledger_transfers.c.created_at < until,
        )
        sums = (
            select(accounts.c.account_id, func.sum(ledger_transfers.c.amount).label("total"))
            .select_from(accounts.join(ledger_transfers, counted))
            .group_by(accounts.c.account_id)
            .subquery()
        )
        found = func.coalesce(sums.c.total, 0)
        rows = conn.execute(
            select(accounts.c.account_id, spent.label("spent"), found.label("found"))
            .select_from(accounts.outerjoin(sums, sums.c.account_id == accounts.c.account_id))
            .where(spent != found)
        ).all()
        problems += [
            f"account {r.account_id}: spent {format_money(r.spent)} this {name} by its "
            f"counter, its charges sum to {format_money(r.found)}"
            for r in rows
        ]
    return problems


def _least(own: ColumnElement[int], ceiling: ColumnElement[int]) -> ColumnElement[int]:
    return case(
        (own.is_(None), ceiling),
        (ceiling.is_(None), own),
        (own < ceiling, own),
        else_=ceiling,
    )


def _within_limits(conn: Connection) -> list[str]:
    problems = []
    for name, own, ceiling, spent, since in (
        ("daily", accounts.c.limit_daily, accounts.c.parent_limit_daily,
         accounts.c.spent_daily, accounts.c.daily_since),
        ("monthly", accounts.c.limit_monthly, accounts.c.parent_limit_monthly,
         accounts.c.spent_monthly, accounts.c.monthly_since),
    ):  # fmt: skip
        limit = _least(own, ceiling)
        unchanged = or_(
            accounts.c.limits_changed_at.is_(None), accounts.c.limits_changed_at < since
        )
        rows = conn.execute(
            select(accounts.c.account_id, spent.label("spent"), limit.label("limit")).where(
                and_(limit.is_not(None), unchanged, spent > limit)
            )
        ).all()
        problems += [
            f"account {r.account_id}: spent {format_money(r.spent)} in a period with a "
            f"{name} limit of {format_money(r.limit)}"
            for r in rows
        ]
    return problems


LIMIT_CHECKS = (
    ("holds counted against spending limits equal pending holds", _held_matches_holds),
    ("money spent per period equals the charges counted", _spent_matches_charges),
    ("no account spent past a spending limit", _within_limits),
)
"""The checks, as ``(name, check)`` pairs for :func:`~.verify.verify`."""
