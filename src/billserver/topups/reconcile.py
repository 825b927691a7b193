"""Reconciliation: settle pending card top-ups by asking the payment provider.

Every server process runs the loop; the one holding the deployment-wide lease
``reconcile-topups`` does the work, so the provider is asked once per round. The
lease is only an economy: each top-up settles in its own write transaction by a
conditional update of a still-pending row (:func:`.service.settle`), so even two
reconcilers at once credit a payment at most once.
"""

from __future__ import annotations

import asyncio
import logging

import anyio
from sqlalchemy import Engine, select

from billclient.protocol import TopUpStatus

from .. import db, leases
from ..clock import now_us
from ..config import ServerSettings
from ..db.storage import log_failure
from ..ledger import Actor
from ..tables import topups
from .provider import PaymentProvider, ProviderStatus, make_provider
from .service import settle

__all__ = ["LEASE", "reconcile_loop", "reconcile_once"]

LEASE = "reconcile-topups"
_BATCH = 200

log = logging.getLogger("billserver.topups")


def reconcile_once(
    engine: Engine, provider: PaymentProvider, *, holder: str, lease_ttl_s: float
) -> int:
    """One round: settle what the provider has decided; returns how many settled here."""
    if not leases.try_acquire(engine, LEASE, holder, lease_ttl_s):
        return 0
    actor = Actor.system("reconciler", holder)
    with db.read(engine) as conn:
        pending = conn.execute(
            select(topups.c.topup_id, topups.c.account_id, topups.c.provider_ref)
            .where(topups.c.status == TopUpStatus.PENDING.value)
            .order_by(topups.c.created_at)
            .limit(_BATCH)
        ).all()
    settled = 0
    for topup_id, account_id, reference in pending:
        if reference is None:
            log.warning("pending top-up %s has no provider reference to look up", topup_id)
            continue
        try:
            result = provider.lookup(reference)
        except Exception:  # one unreachable lookup must not stop the others
            log.exception("looking up top-up %s failed", topup_id)
            continue
        if result.status is ProviderStatus.PENDING:
            continue
        with db.write(engine) as conn:
            if settle(conn, actor, account_id, topup_id, result, now=now_us()):
                settled += 1
                log.info("top-up %s settled: %s", topup_id, result.status.value)
    return settled


async def reconcile_loop(engine: Engine, settings: ServerSettings) -> None:
    """Reconcile every ``reconcile_interval`` seconds until cancelled."""
    provider = make_provider(settings)
    holder = settings.effective_server_id
    ttl = max(10.0, 5 * settings.reconcile_interval)
    while True:
        try:
            await anyio.to_thread.run_sync(
                lambda: reconcile_once(engine, provider, holder=holder, lease_ttl_s=ttl)
            )
        except Exception as error:  # the loop must outlive a passing database error
            log_failure(log, "reconciling top-ups failed", error)
        await asyncio.sleep(settings.reconcile_interval)
