"""Plan versions as stored: the rate of a service in the version a session uses.

A plan version's rates are stored as ``{service_id: {"unit", **Rate.to_text()}}``
(:func:`plan_rates_json`, written by the catalogue import) and never change once
written, so :class:`RateCache` may keep them for the life of the process.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from cachetools import LRUCache
from sqlalchemy import Connection, select

from billclient.rating import Rate

from ..db import AnyRow
from ..tables import plan_versions

__all__ = ["RateCache", "current_plan_version", "plan_rates_json", "rate_from_stored", "rate_of"]


def current_plan_version(conn: Connection, plan_id: str) -> AnyRow | None:
    """The version of ``plan_id`` new sessions use, or None if the plan is retired."""
    return conn.execute(
        select(plan_versions).where(
            plan_versions.c.plan_id == plan_id,
            plan_versions.c.current.is_(True),
            plan_versions.c.retired.is_(False),
        )
    ).one_or_none()


def plan_rates_json(rates: dict[str, Rate]) -> dict[str, Any]:
    """A plan's rates as stored in a plan version: wire form plus the unit."""
    return {sid: {"unit": rate.unit.value, **rate.to_text()} for sid, rate in rates.items()}


def rate_of(version: AnyRow, service_id: str) -> Rate | None:
    """The rate ``version`` charges for ``service_id`` (None: not in the plan)."""
    stored = version.rates.get(service_id)
    if stored is None:
        return None
    return rate_from_stored(json.dumps(stored, sort_keys=True))


@functools.lru_cache(maxsize=1024)
def rate_from_stored(stored_json: str) -> Rate:
    """Rebuild a rating rate from its stored JSON (a pure function, memoised)."""
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


class RateCache:
    """The rates of plan versions a process has read (one per application, on
    ``app.state``): plan versions never change once written, so entries never go stale."""

    def __init__(self, maxsize: int = 4096) -> None:
        self._rates: LRUCache[tuple[int, str], Rate | None] = LRUCache(maxsize)

    def rate(self, conn: Connection, version_id: int, service_id: str) -> Rate | None:
        """The rate plan version ``version_id`` charges for ``service_id``."""
        key = (version_id, service_id)
        try:
            return self._rates[key]
        except KeyError:
            pass
        version = conn.execute(select(plan_versions).where(plan_versions.c.id == version_id)).one()
        rate = self._rates[key] = rate_of(version, service_id)
        return rate
