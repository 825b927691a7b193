"""Batches of billing events: rate, charge and record each event once.

A batch runs in one write transaction, in the order given. Per event: a
duplicate ``event_id`` (already processed, or earlier in the same batch) is
counted and skipped; an unknown or inactive account, a service its plan does not
offer, an instant in the future or inside a period already invoiced, or a charge
the paying account cannot afford is rejected with a reason (nothing recorded:
the event may be sent again), and so is one beyond what is left under the account's
spending limits (counted when the batch is booked). Every accepted event gets an
immutable CDR (cause ``service_done``) and a ``billing_events`` row. The money moves
as one ledger transfer per charged account and batch (its paying account -> revenue,
the batch's sum for that account, counted against its limits) with the paying
account's balance event and audit row: the CDRs explain it, and
``billserver verify`` checks that the events' charges equal the transfers.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Connection, insert, select

from billclient.protocol import EndCause, format_money
from billclient.protocol.integration import BillingEvent, EventOutcome, EventResult
from billclient.rating import Rate, billed_units, charge

from ..accounts import inactive_detail, lock_account, payer_in, ranked
from ..cdrs import ChargeRecord, write_records
from ..clock import from_us, to_us
from ..db import AnyRow
from ..events import append_figures, append_limit_notices
from ..invoices import load_hierarchy
from ..ledger import (
    SYS_REVENUE,
    AccountState,
    Actor,
    LimitState,
    Transfer,
    TransferKind,
    apply,
    customer_book,
    record,
    spendable,
)
from ..plans import current_plan_version, rate_of
from ..tables import billing_events, invoices, services

__all__ = ["BatchOutcome", "process_batch"]

_CHUNK = 900  # ids per IN (...) query: below SQLite's variable limit
_FUTURE_SLACK_US = 300 * 1_000_000
_MAX_AMOUNT = 2**53  # micro-units: far above any real charge, far below BIGINT


@dataclass
class BatchOutcome:
    """Counts, the amount charged, and the rejections of one batch."""

    charged: int = 0
    duplicates: int = 0
    amount: int = 0
    rejections: list[EventResult] = field(default_factory=list)


@dataclass
class _Payer:
    row: AnyRow
    spendable: int


class _Spender:
    """An account charged by the batch: what is left under its spending limits (None:
    no limit) and what the batch charged it."""

    def __init__(self, row: AnyRow, now: int) -> None:
        self.limits = LimitState.of(row).at(now)
        self.left = self.limits.left()
        self.total = 0
        self.transfer_rows: list[dict[str, object]] = []

    def take(self, amount: int) -> None:
        self.total += amount
        if self.left is not None:
            self.left -= amount

    def reached(self) -> str:
        period = self.limits.binding()
        assert period is not None
        amount = format_money(self.limits.limit(period) or 0)
        resets = from_us(self.limits.resets_at(period)).isoformat()
        return (
            f"the account's {period.value} limit of {amount} leaves "
            f"{format_money(self.left or 0)} until {resets}"
        )


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def process_batch(
    conn: Connection, actor: Actor, batch: Sequence[BillingEvent], *, now: int, server_id: str
) -> BatchOutcome:
    """Process ``batch`` (see the module doc) in the caller's write transaction."""
    outcome = BatchOutcome()
    ids = list(dict.fromkeys(event.event_id for event in batch))
    seen: set[str] = set()
    for chunk in _chunks(ids):
        seen.update(
            conn.execute(
                select(billing_events.c.event_id).where(billing_events.c.event_id.in_(chunk))
            ).scalars()
        )
    account_ids = {event.account_id for event in batch}
    hierarchy = load_hierarchy(conn) if account_ids else None
    paying = {a: payer_in(hierarchy.rows, a) for a in account_ids} if hierarchy else {}
    rows: dict[str, AnyRow] = {}
    # locked in the lock order of every writer: by paying account, each paying account
    # before the members spending from its balance (billserver.accounts.payer)
    for account_id in sorted(account_ids | set(paying.values()), key=lambda a: _rank(paying, a)):
        row = lock_account(conn, account_id)
        if row is not None:
            rows[account_id] = row
    payers: dict[str, _Payer] = {}
    spenders: dict[str, _Spender] = {}
    invoiced_until: dict[str, int] = {}
    rates: dict[tuple[str, str], tuple[AnyRow, Rate] | None] = {}
    live_services = set(
        conn.execute(select(services.c.service_id).where(services.c.retired.is_(False))).scalars()
    )
    records: list[ChargeRecord] = []
    event_rows: list[dict[str, object]] = []

    def reject(event: BillingEvent, detail: str) -> None:
        outcome.rejections.append(
            EventResult(event_id=event.event_id, outcome=EventOutcome.REJECTED, detail=detail)
        )

    for event in batch:
        if event.event_id in seen:
            outcome.duplicates += 1
            continue
        account = rows.get(event.account_id)
        if account is None or hierarchy is None:
            reject(event, f"no account {event.account_id!r}")
            continue
        refusal = inactive_detail(account, "cannot be charged")
        if refusal is not None:
            reject(event, refusal)
            continue
        at = to_us(event.at)
        if at > now + _FUTURE_SLACK_US:
            reject(event, "at: the event lies in the future")
            continue
        bill_to = hierarchy.bill_to(account.account_id)
        if bill_to not in invoiced_until:
            invoiced_until[bill_to] = _invoiced_until(conn, bill_to)
        if at < invoiced_until[bill_to]:
            reject(event, "at: the event falls into a period that was already invoiced")
            continue
        rated = _rate(conn, rates, account, event.service_id, live_services)
        if rated is None:
            reject(event, f"the account's plan does not offer {event.service_id!r}")
            continue
        plan, rate = rated
        try:
            amount = charge(rate, event.at, event.units)
        except (OverflowError, ValueError):
            reject(event, "at: the instant is out of range")
            continue
        if amount > _MAX_AMOUNT:
            reject(event, "units: the charge is too large to book")
            continue
        payer = _payer(conn, payers, rows, paying, account)
        refusal = inactive_detail(payer.row, "cannot pay for charges", payer_of=account)
        if refusal is not None:
            reject(event, refusal)
            continue
        if amount > payer.spendable:
            reject(event, "insufficient funds: the account cannot afford the charge")
            continue
        spender = spenders.setdefault(account.account_id, _Spender(account, now))
        if spender.left is not None and amount > spender.left:
            reject(event, f"spending limit: {spender.reached()}")
            continue
        seen.add(event.event_id)
        payer.spendable -= amount
        spender.take(amount)
        cdr = ChargeRecord(
            account_id=account.account_id,
            service_id=event.service_id,
            plan_id=plan.plan_id,
            plan_version=plan.version,
            started_at=at,
            ended_at=at,
            used_units=event.units,
            unbilled_units=0,
            billed_units=billed_units(rate, event.units),
            charged=amount,
            cause=EndCause.SERVICE_DONE.value,
            servers=[server_id],
            created_at=now,
        )
        records.append(cdr)
        event_row: dict[str, object] = {
            "event_id": event.event_id,
            "account_id": account.account_id,
            "cdr_id": cdr.cdr_id,
            "charged": amount,
            "transfer_id": None,
            "created_at": now,
        }
        event_rows.append(event_row)
        spender.transfer_rows.append(event_row)
        outcome.charged += 1
        outcome.amount += amount
    batch_ref = uuid.uuid4()
    moves = []
    for account_id in sorted(spenders, key=lambda a: _rank(paying, a)):
        spender = spenders[account_id]
        if spender.total == 0:
            continue
        move = Transfer(
            f"events:{batch_ref}:{account_id}",
            TransferKind.CHARGE,
            customer_book(paying.get(account_id, account_id)),
            SYS_REVENUE,
            spender.total,
            f"billing events: {len(spender.transfer_rows)} event(s)",
            spender=account_id,
        )
        moves.append(move)
        for event_row in spender.transfer_rows:
            event_row["transfer_id"] = move.transfer_id
    if moves:
        states = [AccountState.of(row) for row in rows.values()]
        after = apply(conn, actor, moves, now=now, accounts_read=states)
        for payer_id in sorted(payers):
            if payer_id in after.figures:
                append_figures(conn, payer_id, after.of(payer_id), now=now)
        append_limit_notices(conn, after.notices, now)
    if records:
        write_records(conn, records)
        _insert_events(conn, event_rows)
    record(
        conn,
        actor,
        "integration.events",
        account_id=None,
        now=now,
        charged=outcome.charged,
        duplicates=outcome.duplicates,
        rejected=len(outcome.rejections),
        amount=outcome.amount,
    )
    return outcome


def _insert_events(conn: Connection, rows: list[dict[str, object]]) -> None:
    """Insert the ``billing_events`` rows; on SQLite straight through the driver's
    executemany (like :func:`~billserver.cdrs.write_records`, for batches of 100,000)."""
    if conn.dialect.name != "sqlite":
        conn.execute(insert(billing_events), rows)
        return
    names = [column.name for column in billing_events.columns]
    sql = (
        f"INSERT INTO {billing_events.name} ({', '.join(names)}) "
        f"VALUES ({', '.join('?' for _ in names)})"
    )
    conn.exec_driver_sql(sql, [tuple(row[n] for n in names) for row in rows])


def _invoiced_until(conn: Connection, account_id: str) -> int:
    """The end of the last period already issued for ``account_id`` (0 if none)."""
    value = conn.execute(
        select(invoices.c.period_end)
        .where(invoices.c.account_id == account_id, invoices.c.state != "draft")
        .order_by(invoices.c.period_end.desc())
        .limit(1)
    ).scalar_one_or_none()
    return int(value or 0)


def _rate(
    conn: Connection,
    cache: dict[tuple[str, str], tuple[AnyRow, Rate] | None],
    account: AnyRow,
    service_id: str,
    live_services: set[str],
) -> tuple[AnyRow, Rate] | None:
    key = (str(account.plan_id), service_id)
    if key not in cache:
        plan = current_plan_version(conn, account.plan_id)
        rate = rate_of(plan, service_id) if plan is not None else None
        usable = plan is not None and rate is not None and service_id in live_services
        cache[key] = (plan, rate) if usable and plan is not None and rate is not None else None
    return cache[key]


def _rank(paying: dict[str, str], account_id: str) -> str:
    return ranked(account_id, paying.get(account_id, account_id))


def _payer(
    conn: Connection,
    payers: dict[str, _Payer],
    rows: dict[str, AnyRow],
    paying: dict[str, str],
    account: AnyRow,
) -> _Payer:
    payer_id = paying.get(str(account.account_id), str(account.account_id))
    if payer_id not in payers:
        row = rows.get(payer_id) or lock_account(conn, payer_id)
        assert row is not None
        payers[payer_id] = _Payer(row, spendable(row))
    return payers[payer_id]
