"""Deployment-wide leases: a job that must run once however many servers run.

A lease is a row naming its holder and when it expires. A server takes it when it
is free or expired, renews it while it keeps working, and loses it if it stops
renewing (a crashed server's lease simply runs out).
"""

from __future__ import annotations

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from . import db
from .clock import now_us
from .tables import leases

__all__ = ["try_acquire"]


def try_acquire(engine: Engine, name: str, holder: str, ttl_s: float) -> bool:
    """Take or renew lease ``name`` for ``holder`` for ``ttl_s`` seconds; True if held."""
    try:
        with db.write(engine) as conn:
            now = now_us()
            expires = now + int(ttl_s * 1_000_000)
            row = conn.execute(
                select(leases).where(leases.c.name == name).with_for_update()
            ).one_or_none()
            if row is None:
                conn.execute(insert(leases).values(name=name, holder=holder, expires_at=expires))
                return True
            if row.holder != holder and row.expires_at > now:
                return False
            conn.execute(
                update(leases)
                .where(leases.c.name == name)
                .values(holder=holder, expires_at=expires)
            )
            return True
    except IntegrityError:  # another server inserted it first
        return False
