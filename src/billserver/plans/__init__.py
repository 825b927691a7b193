"""Plan versions as stored: the rate of a service in the version a session uses."""

from __future__ import annotations

import functools
import json
import weakref

from sqlalchemy import Connection, Engine, select

from billclient.rating import Rate

from ..db import AnyRow
from ..tables import plan_versions

__all__ = ["current_plan_version", "rate_from_stored", "rate_of", "version_rate"]

# engine -> (plan version id, service id) -> rate; plan versions never change once
# written, so this never goes stale (keyed by engine: a process may use several databases)
_VERSION_RATES: weakref.WeakKeyDictionary[Engine, dict[tuple[int, str], Rate | None]] = (
    weakref.WeakKeyDictionary()
)
_VERSION_RATES_MAX = 4096


def current_plan_version(conn: Connection, plan_id: str) -> AnyRow | None:
    """The version of ``plan_id`` new sessions use, or None if the plan is retired."""
    return conn.execute(
        select(plan_versions).where(
            plan_versions.c.plan_id == plan_id,
            plan_versions.c.current.is_(True),
            plan_versions.c.retired.is_(False),
        )
    ).one_or_none()


def rate_of(version: AnyRow, service_id: str) -> Rate | None:
    """The rate ``version`` charges for ``service_id`` (None: not in the plan)."""
    stored = version.rates.get(service_id)
    if stored is None:
        return None
    return rate_from_stored(json.dumps(stored, sort_keys=True))


@functools.lru_cache(maxsize=1024)
def rate_from_stored(stored_json: str) -> Rate:
    """Rebuild a rating rate from its stored JSON (plan versions never change)."""
    stored = json.loads(stored_json)
    return Rate.from_text(
        unit=stored["unit"],
        timezone=stored["timezone"],
        price=stored["price"],
        per=stored["per"],
        increment=stored["increment"],
        first_increment=stored["first_increment"],
        setup_fee=stored["setup_fee"],
        min_charge=stored["min_charge"],
        windows=stored["windows"],
    )


def version_rate(conn: Connection, version_id: int, service_id: str) -> Rate | None:
    """The rate plan version ``version_id`` charges for ``service_id``, cached in memory."""
    cached = _VERSION_RATES.setdefault(conn.engine, {})
    key = (version_id, service_id)
    if key in cached:
        return cached[key]
    version = conn.execute(select(plan_versions).where(plan_versions.c.id == version_id)).one()
    rate = rate_of(version, service_id)
    if len(cached) >= _VERSION_RATES_MAX:
        cached.clear()
    cached[key] = rate
    return rate
