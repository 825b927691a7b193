"""``billserver verify``: prove that the books balance.

Checks, each as one aggregate query so it scales with the database:

- every transfer has two entries that sum to zero, and its amount is positive;
- every account's cached balance equals the sum of its book's entries;
- holds keep ``reserved_total = posted + released + remaining``, closed holds
  keep nothing, and every account's cached ``reserved`` equals its pending holds;
- pending holds are exactly the holds of active sessions;
- every session's charge equals what the ledger charged it, and its CDR says so;
- no prepaid account's ``available`` below zero, no postpaid balance below
  ``-credit_limit`` (invoiced tax aside: it is debited whatever the limit);
- application charges: a reserved charge has a pending hold and a closed one
  none; each charge's ``charged`` equals what the ledger posted and its CDR;
- billing events: each batch transfer equals the sum of its events' charges;
- invoices: ``total = subtotal + tax``; an issued invoice's tax was debited;
- spending limits: their counters agree with the ledger and no account spent past
  a limit (:mod:`~.verify_limits`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine, Subquery, and_, func, literal, or_, select
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.schema import Table

from billclient.protocol.money import format_money

from .. import db
from ..tables import (
    accounts,
    app_charges,
    billing_events,
    cdrs,
    holds,
    invoices,
    ledger_entries,
    ledger_transfers,
    sessions,
)
from .books import CUSTOMER_PREFIX
from .funds import FLOOR
from .operations import TransferKind
from .state import PENDING
from .verify_limits import LIMIT_CHECKS

__all__ = ["VerifyReport", "verify"]

_LIMIT = 20  # problems listed per check; the count is always complete


@dataclass
class VerifyReport:
    """What ``verify`` found: the checks run and the problems, per check."""

    checks: list[str] = field(default_factory=list)
    problems: dict[str, list[str]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether every check passed."""
        return not self.problems

    def render(self) -> str:
        """A readable report, one line per check and one per listed problem."""
        lines = []
        for check in self.checks:
            found = self.problems.get(check, [])
            lines.append(f"{'FAIL' if found else 'ok  '}  {check}")
            lines += [f"        - {p}" for p in found[:_LIMIT]]
            if len(found) > _LIMIT:
                lines.append(f"        ... and {len(found) - _LIMIT} more")
        totals = ", ".join(f"{v} {k}" for k, v in self.counts.items())
        verdict = "the books balance" if self.ok else f"{len(self.problems)} check(s) failed"
        lines.append(f"{verdict} ({totals})")
        return "\n".join(lines)


def verify(engine: Engine) -> VerifyReport:
    """Run every check in one consistent snapshot."""
    report = VerifyReport()
    with db.read(engine) as conn:
        for name, check in _CHECKS:
            report.checks.append(name)
            found = check(conn)
            if found:
                report.problems[name] = found
        for label, table in (
            ("accounts", accounts),
            ("transfers", ledger_transfers),
            ("sessions", sessions),
            ("CDRs", cdrs),
        ):
            report.counts[label] = int(
                conn.execute(select(func.count()).select_from(table)).scalar_one()
            )
    return report


def _transfers_balance(conn: Connection) -> list[str]:
    sums = (
        select(
            ledger_transfers.c.transfer_id,
            ledger_transfers.c.amount,
            func.count(ledger_entries.c.entry_id).label("n"),
            func.coalesce(func.sum(ledger_entries.c.amount), 0).label("total"),
        )
        .select_from(ledger_transfers.outerjoin(ledger_entries))
        .group_by(ledger_transfers.c.transfer_id, ledger_transfers.c.amount)
        .subquery()
    )
    rows = conn.execute(
        select(sums).where(or_(sums.c.total != 0, sums.c.n != 2, sums.c.amount <= 0))
    ).all()
    return [
        f"transfer {r.transfer_id}: {r.n} entries summing to {format_money(r.total)}" for r in rows
    ]


def _balances_match_entries(conn: Connection) -> list[str]:
    sums = (
        select(ledger_entries.c.ledger_id, func.sum(ledger_entries.c.amount).label("total"))
        .where(ledger_entries.c.ledger_id.like(CUSTOMER_PREFIX + "%"))
        .group_by(ledger_entries.c.ledger_id)
        .subquery()
    )
    book = literal(CUSTOMER_PREFIX) + accounts.c.account_id
    rows = conn.execute(
        select(
            accounts.c.account_id, accounts.c.balance, func.coalesce(sums.c.total, 0).label("found")
        )
        .select_from(accounts.outerjoin(sums, sums.c.ledger_id == book))
        .where(accounts.c.balance != func.coalesce(sums.c.total, 0))
    ).all()
    return [
        f"account {r.account_id}: cached balance {format_money(r.balance)}, "
        f"entries sum to {format_money(r.found)}"
        for r in rows
    ]


def _holds_consistent(conn: Connection) -> list[str]:
    rows = conn.execute(
        select(holds).where(
            or_(
                holds.c.reserved_total != holds.c.posted + holds.c.released + holds.c.remaining,
                holds.c.posted < 0,
                holds.c.released < 0,
                holds.c.remaining < 0,
                and_(holds.c.state != PENDING, holds.c.remaining != 0),
            )
        )
    ).all()
    problems = [
        f"hold {r.hold_id}: reserved {r.reserved_total} != posted {r.posted} + released "
        f"{r.released} + remaining {r.remaining} (state {r.state})"
        for r in rows
    ]
    pending = (
        select(holds.c.account_id, func.sum(holds.c.remaining).label("total"))
        .where(holds.c.state == PENDING)
        .group_by(holds.c.account_id)
        .subquery()
    )
    rows = conn.execute(
        select(
            accounts.c.account_id,
            accounts.c.reserved,
            func.coalesce(pending.c.total, 0).label("found"),
        )
        .select_from(accounts.outerjoin(pending, pending.c.account_id == accounts.c.account_id))
        .where(accounts.c.reserved != func.coalesce(pending.c.total, 0))
    ).all()
    problems += [
        f"account {r.account_id}: cached reserved {format_money(r.reserved)}, pending holds "
        f"{format_money(r.found)}"
        for r in rows
    ]
    return problems


def _owners_disagreeing(
    conn: Connection, owners: Table, owner_id: ColumnElement[str], live: str, noun: str
) -> list[str]:
    """The holders of a hold (sessions, application charges) whose state disagrees
    with their hold's: live (``live``) with a hold not pending, or ended with one pending."""
    state = owners.c.state
    rows = conn.execute(
        select(owner_id.label("owner_id"), state, holds.c.state.label("hold_state"))
        .select_from(owners.join(holds, holds.c.hold_id == owners.c.hold_id))
        .where(
            or_(
                and_(state == live, holds.c.state != PENDING),
                and_(state != live, holds.c.state == PENDING),
            )
        )
    ).all()
    return [f"{noun} {r.owner_id} is {r.state} but its hold is {r.hold_state}" for r in rows]


def _holds_match_sessions(conn: Connection) -> list[str]:
    problems = _owners_disagreeing(conn, sessions, sessions.c.session_id, "active", "session")
    orphans = conn.execute(
        select(holds.c.hold_id)
        .select_from(
            holds.outerjoin(sessions, sessions.c.hold_id == holds.c.hold_id).outerjoin(
                app_charges, app_charges.c.hold_id == holds.c.hold_id
            )
        )
        .where(
            holds.c.state == PENDING,
            sessions.c.session_id.is_(None),
            app_charges.c.charge_id.is_(None),
        )
    ).all()
    problems += [f"hold {r.hold_id} is pending without a session or charge" for r in orphans]
    problems += _owners_disagreeing(
        conn, app_charges, app_charges.c.charge_id, "reserved", "charge"
    )
    return problems


def _posted_charges() -> Subquery:
    """The ledger's charge postings summed per session (application charges use their
    charge id as the session id): columns ``session_id`` and ``total``."""
    return (
        select(ledger_transfers.c.session_id, func.sum(ledger_transfers.c.amount).label("total"))
        .where(
            ledger_transfers.c.kind == TransferKind.CHARGE.value,
            ledger_transfers.c.session_id.is_not(None),
        )
        .group_by(ledger_transfers.c.session_id)
        .subquery()
    )


def _sessions_match_ledger(conn: Connection) -> list[str]:
    posted = _posted_charges()
    rows = conn.execute(
        select(
            sessions.c.session_id,
            sessions.c.charged,
            func.coalesce(posted.c.total, 0).label("found"),
        )
        .select_from(sessions.outerjoin(posted, posted.c.session_id == sessions.c.session_id))
        .where(sessions.c.charged != func.coalesce(posted.c.total, 0))
    ).all()
    problems = [
        f"session {r.session_id}: charged {format_money(r.charged)}, ledger posted "
        f"{format_money(r.found)}"
        for r in rows
    ]
    rows = conn.execute(
        select(sessions.c.session_id, sessions.c.charged, cdrs.c.charged.label("cdr_charged"))
        .select_from(sessions.outerjoin(cdrs, cdrs.c.cdr_id == sessions.c.cdr_id))
        .where(
            sessions.c.state == "ended",
            or_(cdrs.c.cdr_id.is_(None), cdrs.c.charged != sessions.c.charged),
        )
    ).all()
    problems += [
        f"session {r.session_id}: ended with charge {format_money(r.charged)} but its CDR "
        + ("is missing" if r.cdr_charged is None else f"says {format_money(r.cdr_charged)}")
        for r in rows
    ]
    return problems


def _no_overdraft(conn: Connection) -> list[str]:
    taxed = (
        select(ledger_entries.c.ledger_id, func.sum(ledger_entries.c.amount).label("total"))
        .select_from(ledger_entries.join(ledger_transfers))
        .where(
            ledger_transfers.c.kind == TransferKind.TAX.value,
            ledger_entries.c.ledger_id.like(CUSTOMER_PREFIX + "%"),
        )
        .group_by(ledger_entries.c.ledger_id)
        .subquery()
    )
    book = literal(CUSTOMER_PREFIX) + accounts.c.account_id
    # invoiced tax is debited whatever the credit limit: it does not count against it
    balance = accounts.c.balance - func.coalesce(taxed.c.total, 0)
    rows = conn.execute(
        select(accounts)
        .select_from(accounts.outerjoin(taxed, taxed.c.ledger_id == book))
        .where(or_(balance - accounts.c.reserved < FLOOR, balance < FLOOR))
    ).all()
    return [
        f"account {r.account_id} ({r.kind}): balance {format_money(r.balance)}, reserved "
        f"{format_money(r.reserved)}, credit limit {format_money(r.credit_limit)}: "
        "available is below zero"
        for r in rows
    ]


def _charges_match_ledger(conn: Connection) -> list[str]:
    posted = _posted_charges()
    rows = conn.execute(
        select(
            app_charges.c.charge_id,
            app_charges.c.charged,
            func.coalesce(posted.c.total, 0).label("found"),
            cdrs.c.charged.label("cdr_charged"),
            app_charges.c.state,
        )
        .select_from(
            app_charges.outerjoin(posted, posted.c.session_id == app_charges.c.charge_id).outerjoin(
                cdrs, cdrs.c.cdr_id == app_charges.c.cdr_id
            )
        )
        .where(
            or_(
                app_charges.c.charged != func.coalesce(posted.c.total, 0),
                and_(
                    app_charges.c.state.in_(["committed", "failed"]),
                    or_(cdrs.c.cdr_id.is_(None), cdrs.c.charged != app_charges.c.charged),
                ),
            )
        )
    ).all()
    return [
        f"charge {r.charge_id} ({r.state}): charged {format_money(r.charged)}, ledger posted "
        f"{format_money(r.found)}, CDR "
        + ("missing" if r.cdr_charged is None else format_money(r.cdr_charged))
        for r in rows
    ]


def _events_match_ledger(conn: Connection) -> list[str]:
    sums = (
        select(billing_events.c.transfer_id, func.sum(billing_events.c.charged).label("total"))
        .where(billing_events.c.transfer_id.is_not(None))
        .group_by(billing_events.c.transfer_id)
        .subquery()
    )
    rows = conn.execute(
        select(sums.c.transfer_id, sums.c.total, ledger_transfers.c.amount)
        .select_from(
            sums.outerjoin(ledger_transfers, ledger_transfers.c.transfer_id == sums.c.transfer_id)
        )
        .where(or_(ledger_transfers.c.amount.is_(None), ledger_transfers.c.amount != sums.c.total))
    ).all()
    return [
        f"billing events of transfer {r.transfer_id}: charged {format_money(r.total)}, "
        + ("no such transfer" if r.amount is None else f"transfer {format_money(r.amount)}")
        for r in rows
    ]


def _invoices_add_up(conn: Connection) -> list[str]:
    rows = conn.execute(
        select(invoices).where(invoices.c.total != invoices.c.subtotal + invoices.c.tax)
    ).all()
    problems = [
        f"invoice {r.invoice_id}: total {format_money(r.total)} != subtotal "
        f"{format_money(r.subtotal)} + tax {format_money(r.tax)}"
        for r in rows
    ]
    rows = conn.execute(
        select(invoices.c.invoice_id, invoices.c.tax, ledger_transfers.c.amount)
        .select_from(
            invoices.outerjoin(
                ledger_transfers, ledger_transfers.c.transfer_id == invoices.c.tax_transfer_id
            )
        )
        .where(
            invoices.c.kind == "invoice",
            invoices.c.state != "draft",
            invoices.c.tax != 0,
            or_(
                ledger_transfers.c.amount.is_(None),
                ledger_transfers.c.amount != func.abs(invoices.c.tax),
            ),
        )
    ).all()
    problems += [
        f"invoice {r.invoice_id}: tax {format_money(r.tax)} but "
        + ("no tax transfer" if r.amount is None else f"a tax transfer of {format_money(r.amount)}")
        for r in rows
    ]
    return problems


_CHECKS = (
    ("every transfer has two entries summing to zero", _transfers_balance),
    ("cached balances equal the sums of their entries", _balances_match_entries),
    ("holds are consistent and cached reservations equal pending holds", _holds_consistent),
    ("pending holds are exactly those of active sessions", _holds_match_sessions),
    ("session charges equal the ledger and their CDRs", _sessions_match_ledger),
    ("no prepaid available below zero, no postpaid balance below -credit_limit", _no_overdraft),
    ("application charges equal the ledger and their CDRs", _charges_match_ledger),
    ("billing event batches equal their ledger transfers", _events_match_ledger),
    ("invoices add up and their tax was debited", _invoices_add_up),
    *LIMIT_CHECKS,
)
