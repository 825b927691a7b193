"""Deployment-wide billing jobs, each under its own lease (one server works at a time).

- ``invoice-run`` (every ``invoice_interval`` s): the previous calendar month's
  invoices and statements (drafts until the month has ended in the plan's time
  zone, then issued), overdue marking, and invoices whose card payment settled;
- ``charge-expiry`` and ``auto-topup`` (every ``autotopup_interval`` s): cancel
  application charges never committed in time; top up accounts below their
  auto top-up threshold.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import anyio
from sqlalchemy import Engine, select

from .. import db, leases
from ..charges.service import expire
from ..clock import now_us
from ..config import ServerSettings
from ..db.storage import log_failure
from ..invoices import mark_overdue, run_period, settle_payments
from ..ledger import Actor
from ..tables import accounts, app_charges
from ..topups.autotopup import auto_topup_once
from ..topups.provider import make_provider

__all__ = ["billing_jobs_loop", "invoice_round", "previous_period"]

log = logging.getLogger("billserver.billing")


def previous_period(now: datetime) -> str:
    """The calendar month before ``now``'s (UTC), as ``YYYY-MM``."""
    first = now.astimezone(UTC).replace(day=1)
    return (first - timedelta(days=1)).strftime("%Y-%m")


def invoice_round(engine: Engine, settings: ServerSettings) -> None:
    """One scheduled invoice round, if this server holds the lease."""
    holder = settings.effective_server_id
    if not leases.try_acquire(engine, "invoice-run", holder, max(60.0, settings.invoice_interval)):
        return
    actor = Actor.system("invoices", holder)
    now = now_us()
    report = run_period(
        engine,
        previous_period(datetime.now(UTC)),
        actor=actor,
        now=now,
        due_days=settings.invoice_due_days,
    )
    if report.issued:
        log.info("issued %d invoice(s)/statement(s)", len(report.issued))
    with db.write(engine) as conn:
        settle_payments(conn, actor, now)
        mark_overdue(conn, actor, now)


def quick_round(engine: Engine, settings: ServerSettings) -> None:
    """Charge expiry and auto top-up, each if there is work (a cheap read first, so an idle
    deployment takes no write lock) and this server holds its lease."""
    holder = settings.effective_server_id
    ttl = max(10.0, 5 * settings.autotopup_interval)
    now = now_us()
    with db.read(engine) as conn:
        expired = conn.execute(
            select(app_charges.c.charge_id)
            .where(app_charges.c.state == "reserved", app_charges.c.expires_at < now)
            .limit(1)
        ).first()
        configured = conn.execute(
            select(accounts.c.account_id)
            .where(accounts.c.auto_topup_amount.is_not(None), accounts.c.retired.is_(False))
            .limit(1)
        ).first()
    if expired is not None and leases.try_acquire(engine, "charge-expiry", holder, ttl):
        with db.write(engine) as conn:
            expire(conn, Actor.system("charges", holder), now=now_us())
    if configured is not None and leases.try_acquire(engine, "auto-topup", holder, ttl):
        auto_topup_once(engine, make_provider(settings), Actor.system("auto-topup", holder))


async def billing_jobs_loop(engine: Engine, settings: ServerSettings) -> None:
    """Run the jobs on their intervals until cancelled; a failing round is logged."""
    next_invoice = 0.0
    loop = asyncio.get_running_loop()
    while True:
        try:
            await anyio.to_thread.run_sync(quick_round, engine, settings)
            if settings.invoice_schedule and loop.time() >= next_invoice:
                next_invoice = loop.time() + settings.invoice_interval
                await anyio.to_thread.run_sync(invoice_round, engine, settings)
        except Exception as error:  # the jobs must outlive a passing database error
            log_failure(log, "billing jobs round failed", error)
        await asyncio.sleep(settings.autotopup_interval)
