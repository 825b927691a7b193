"""Reading what an invoice covers: the bill-to tree, its CDRs, adjustments, payments.

An account is *billed through its parent* when it is postpaid under a postpaid
parent, or when it spends from its parent's balance (``shared_balance``). Its
charges then appear on the invoice (or statement) of the topmost account of
that chain, its *bill-to* account, which alone gets a document.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import Connection, and_, select

from billclient.protocol import AccountKind

from ..db import AnyRow
from ..ledger import customer_book
from ..tables import accounts, cdrs, ledger_entries, ledger_transfers, plan_versions, services
from .arithmetic import Adjustment, Usage

__all__ = ["Hierarchy", "Period", "adjustments", "load_hierarchy", "payments", "tax_rates", "usage"]


@dataclass(frozen=True, slots=True)
class Period:
    """A half-open window ``[start, end)`` in microseconds since the epoch."""

    start: int
    end: int


class Hierarchy:
    """Accounts with their parents: who is billed through whom."""

    def __init__(self, rows: Iterable[AnyRow]) -> None:
        self.rows: dict[str, AnyRow] = {row.account_id: row for row in rows}
        self.children: dict[str, list[str]] = {}
        for row in self.rows.values():
            if row.parent_id is not None and row.parent_id in self.rows:
                self.children.setdefault(row.parent_id, []).append(row.account_id)

    def through_parent(self, account_id: str) -> bool:
        """Whether ``account_id``'s charges are billed to its parent."""
        row = self.rows[account_id]
        parent = self.rows.get(row.parent_id) if row.parent_id is not None else None
        if parent is None:
            return False
        return bool(row.shared_balance) or (row.kind == parent.kind == AccountKind.POSTPAID)

    def bill_to(self, account_id: str) -> str:
        """The account whose document carries ``account_id``'s charges."""
        seen = {account_id}
        while self.through_parent(account_id):
            account_id = self.rows[account_id].parent_id
            if account_id in seen:  # a cycle cannot be imported; stop rather than spin
                break
            seen.add(account_id)
        return account_id

    def covered(self, root: str) -> list[str]:
        """``root`` and every descendant billed through it (sorted)."""
        found, stack = [root], [root]
        while stack:
            for child in self.children.get(stack.pop(), []):
                if self.through_parent(child) and child not in found:
                    found.append(child)
                    stack.append(child)
        return sorted(found)

    def descendants(self, root: str) -> list[str]:
        """Every account below ``root`` (any kind), sorted."""
        found: list[str] = []
        stack = [root]
        while stack:
            for child in self.children.get(stack.pop(), []):
                if child not in found and child != root:
                    found.append(child)
                    stack.append(child)
        return sorted(found)

    def roots(self) -> list[str]:
        """Every account that gets a document of its own (not retired)."""
        return sorted(
            a for a, row in self.rows.items() if not row.retired and not self.through_parent(a)
        )


def load_hierarchy(conn: Connection) -> Hierarchy:
    """Every account's place in the hierarchy."""
    return Hierarchy(
        conn.execute(
            select(
                accounts.c.account_id,
                accounts.c.parent_id,
                accounts.c.kind,
                accounts.c.plan_id,
                accounts.c.shared_balance,
                accounts.c.retired,
                accounts.c.currency,
                accounts.c.name,
            )
        ).all()
    )


def usage(conn: Connection, account_ids: list[str], period: Period) -> list[Usage]:
    """The period's charge records of ``account_ids`` (by ``ended_at``), superseded ones left
    out: a corrected CDR replaces the one it supersedes."""
    superseding = select(cdrs.c.supersedes).where(cdrs.c.supersedes.is_not(None))
    rows = conn.execute(
        select(
            cdrs.c.account_id,
            cdrs.c.plan_id,
            cdrs.c.service_id,
            cdrs.c.billed_units,
            cdrs.c.charged,
        )
        .where(
            cdrs.c.account_id.in_(account_ids),
            cdrs.c.ended_at >= period.start,
            cdrs.c.ended_at < period.end,
            cdrs.c.cdr_id.not_in(superseding),
        )
        .order_by(cdrs.c.ended_at, cdrs.c.cdr_id)
    ).all()
    return [
        Usage(r.account_id, r.plan_id, r.service_id, int(r.billed_units), int(r.charged))
        for r in rows
    ]


def adjustments(
    conn: Connection, account_ids: list[str], plans: Mapping[str, str], period: Period
) -> list[Adjustment]:
    """Support adjustments of the period, positive when they debited the customer."""
    rows = conn.execute(
        select(ledger_transfers.c.account_id, ledger_transfers.c.memo, ledger_entries.c.amount)
        .select_from(
            ledger_transfers.join(
                ledger_entries,
                and_(
                    ledger_entries.c.transfer_id == ledger_transfers.c.transfer_id,
                    ledger_entries.c.ledger_id.like("acct:%"),
                ),
            )
        )
        .where(
            ledger_transfers.c.kind == "adjustment",
            ledger_transfers.c.account_id.in_(account_ids),
            ledger_transfers.c.created_at >= period.start,
            ledger_transfers.c.created_at < period.end,
        )
        .order_by(ledger_transfers.c.created_at, ledger_transfers.c.transfer_id)
    ).all()
    return [
        Adjustment(r.account_id, plans[r.account_id], f"Adjustment: {r.memo}", -int(r.amount))
        for r in rows
    ]


def payments(
    conn: Connection, account_ids: list[str], period: Period
) -> list[tuple[str | None, int, str, int]]:
    """Money received in the period: (top-up id, instant, description, amount)."""
    books = [customer_book(a) for a in account_ids]
    rows = conn.execute(
        select(
            ledger_transfers.c.transfer_id,
            ledger_transfers.c.created_at,
            ledger_transfers.c.memo,
            ledger_entries.c.amount,
        )
        .select_from(
            ledger_transfers.join(
                ledger_entries, ledger_entries.c.transfer_id == ledger_transfers.c.transfer_id
            )
        )
        .where(
            ledger_transfers.c.kind == "topup",
            ledger_entries.c.ledger_id.in_(books),
            ledger_transfers.c.created_at >= period.start,
            ledger_transfers.c.created_at < period.end,
        )
        .order_by(ledger_transfers.c.created_at)
    ).all()
    result = []
    for row in rows:
        memo = str(row.memo)
        topup = memo.split()[1] if memo.startswith("top-up ") else None
        result.append((topup, int(row.created_at), memo, int(row.amount)))
    return result


def tax_rates(conn: Connection, plan_ids: Iterable[str]) -> dict[str, str | None]:
    """The tax rate of each plan's current version."""
    wanted = sorted(set(plan_ids))
    rows = conn.execute(
        select(plan_versions.c.plan_id, plan_versions.c.tax_rate).where(
            plan_versions.c.plan_id.in_(wanted), plan_versions.c.current.is_(True)
        )
    ).all()
    return {r.plan_id: r.tax_rate for r in rows}


def service_names(conn: Connection) -> dict[str, str]:
    """Every service's display name."""
    return {
        r.service_id: r.name for r in conn.execute(select(services.c.service_id, services.c.name))
    }
