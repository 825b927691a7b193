"""Retention: old idempotency keys, events, audit rows and sign-in failures are deleted.

One server of the deployment at a time runs it (lease ``retention``). Rows go in
batches, each batch its own short write transaction, so that the job never holds
the database's write lock for long; a run deletes at most ``max_batches`` batches
per table and the next run carries on.

Idempotency keys are always kept at least 24 hours (PROTOCOL.md); events and
audit rows are kept forever when their setting is 0.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
from sqlalchemy import Column, Connection, Engine, delete, select, tuple_

from .. import db
from ..accounts.throttle import ThrottlePolicy, policy_of, purge_stale
from ..clock import now_us
from ..config import ServerSettings
from ..db.storage import log_failure
from ..leases import try_acquire
from ..tables import audit_log, events, idempotency_keys

__all__ = ["LEASE", "MIN_IDEMPOTENCY_HOURS", "RetentionPolicy", "purge_once", "retention_loop"]

log = logging.getLogger("billserver.retention")

LEASE = "retention"

MIN_IDEMPOTENCY_HOURS = 24.0
_HOUR_US = 3600 * 1_000_000
_DAY_US = 24 * _HOUR_US


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """How long rows are kept (None: forever) and how the job deletes them."""

    idempotency_hours: float = 48.0
    events_days: float | None = 30.0
    audit_days: float | None = 400.0
    throttle: ThrottlePolicy = field(default_factory=ThrottlePolicy)
    batch: int = 500
    max_batches: int = 200

    def __post_init__(self) -> None:
        if self.idempotency_hours < MIN_IDEMPOTENCY_HOURS:
            raise ValueError(f"idempotency keys are kept at least {MIN_IDEMPOTENCY_HOURS:g} h")

    @classmethod
    def from_settings(cls, settings: ServerSettings, throttle: ThrottlePolicy) -> RetentionPolicy:
        """The policy of the server's settings (a 0-day setting keeps rows forever)."""
        return cls(
            idempotency_hours=settings.keep_idempotency_hours,
            events_days=settings.keep_events_days or None,
            audit_days=settings.keep_audit_days or None,
            throttle=throttle,
        )


async def retention_loop(settings: ServerSettings, engine: Engine) -> None:
    """Every ``retention_interval`` seconds: take the lease and purge (runs until cancelled)."""
    policy = RetentionPolicy.from_settings(settings, policy_of(settings))
    holder = f"{settings.effective_server_id} pid {os.getpid()}"[-128:]
    interval = settings.retention_interval
    while True:
        await asyncio.sleep(interval)
        try:
            if await anyio.to_thread.run_sync(try_acquire, engine, LEASE, holder, interval * 3):
                deleted = await anyio.to_thread.run_sync(
                    lambda: purge_once(engine, policy, now=now_us())
                )
                if any(deleted.values()):
                    log.info("retention deleted %s", deleted)
        except Exception as error:  # the job must outlive a passing database error
            log_failure(log, "retention run failed", error)


def purge_once(engine: Engine, policy: RetentionPolicy, *, now: int) -> dict[str, int]:
    """Delete what the policy no longer keeps; returns the rows deleted per table."""
    jobs: dict[str, Callable[[Connection], int]] = {}
    key_cutoff = now - int(policy.idempotency_hours * _HOUR_US)
    jobs["idempotency_keys"] = lambda conn: _purge_keys(conn, key_cutoff, policy.batch)
    if policy.events_days is not None:
        event_cutoff = now - int(policy.events_days * _DAY_US)
        jobs["events"] = lambda conn: _purge_oldest(
            conn, events.c.event_id, events.c.created_at, event_cutoff, policy.batch
        )
    if policy.audit_days is not None:
        audit_cutoff = now - int(policy.audit_days * _DAY_US)
        jobs["audit_log"] = lambda conn: _purge_oldest(
            conn, audit_log.c.audit_id, audit_log.c.at, audit_cutoff, policy.batch
        )
    jobs["signin_failures"] = lambda conn: purge_stale(
        conn, policy.throttle, now=now, limit=policy.batch
    )
    return {name: _in_batches(engine, job, policy) for name, job in jobs.items()}


def _in_batches(engine: Engine, job: Callable[[Connection], int], policy: RetentionPolicy) -> int:
    deleted = 0
    for _ in range(policy.max_batches):
        with db.write(engine) as conn:
            n = job(conn)
        deleted += n
        if n < policy.batch:
            break
    return deleted


def _purge_keys(conn: Connection, cutoff: int, batch: int) -> int:
    columns = (idempotency_keys.c.scope, idempotency_keys.c.endpoint, idempotency_keys.c.key)
    old = conn.execute(
        select(*columns).where(idempotency_keys.c.created_at < cutoff).limit(batch)
    ).all()
    if old:
        conn.execute(
            delete(idempotency_keys).where(tuple_(*columns).in_([tuple(row) for row in old]))
        )
    return len(old)


def _purge_oldest(
    conn: Connection, id_column: Column[Any], time_column: Column[Any], cutoff: int, batch: int
) -> int:
    """Delete up to ``batch`` rows older than ``cutoff``, oldest id first.

    Ids grow with time, so walking the primary key from the oldest row finds the
    batch without scanning the table.
    """
    ids = list(
        conn.execute(
            select(id_column).where(time_column < cutoff).order_by(id_column).limit(batch)
        ).scalars()
    )
    if ids:
        conn.execute(delete(id_column.table).where(id_column.in_(ids)))
    return len(ids)
