"""What runs on the account now, and how long the money lasts at what it costs (for
``billclient status``): the same time to empty as the graphical client's dashboard."""

from __future__ import annotations

from datetime import UTC, datetime

from billclient.core.client import BillingClient
from billclient.core.time_to_empty import RunningUse, seconds_to_empty
from billclient.core.words.formats import format_duration, format_units
from billclient.core.words.rating import rate_of
from billclient.protocol import Account, Service, SessionResource, SessionState

from ..output import money

__all__ = ["lasting", "running_now", "running_rows"]

Running = list[tuple[SessionResource, Service | None]]


async def running_now(client: BillingClient) -> Running:
    """The account's active sessions (every device's), each with its service."""
    sessions = (await client.api.sessions(SessionState.ACTIVE, limit=1000)).items
    if not sessions:
        return []
    services = {s.service_id: s for s in await client.api.services()}
    return [(session, services.get(session.service_id)) for session in sessions]


def lasting(account: Account, running: Running, now: datetime | None = None) -> int | None:
    """Seconds until what runs has spent what is left (available and the running
    sessions' holds); None when nothing runs, or a rate is unknown."""
    at = now or datetime.now(UTC)
    uses = []
    for session, service in running:
        if service is None:
            return None
        if service.unit.value == "second":
            pace = 1.0
        else:  # bytes and events: the pace since it started
            age = max((at - session.started_at).total_seconds(), 1.0)
            pace = session.used_units / age
        uses.append(RunningUse(rate_of(service), session.started_at, session.used_units, pace))
    return seconds_to_empty(account.available + account.reserved, uses) if uses else None


def running_rows(running: Running, lasts: int | None, currency: str) -> list[tuple[str, str]]:
    """``status`` lines: each running session, then the time to empty."""
    rows = []
    for session, service in running:
        name = service.name if service is not None else session.service_id
        unit = service.unit.value if service is not None else ""
        used = format_units(session.used_units, unit) if unit else str(session.used_units)
        rows.append(
            (
                "Running",
                f"{name} (session {session.session_id[:8]}): {used} used, "
                f"{money(session.charged, currency)} so far",
            )
        )
    if not running:
        return rows
    if lasts is not None:
        text = f"about {format_duration(lasts)} at what runs now (the next units' prices)"
    elif any(service is None for _session, service in running):
        text = "not known: a running service is no longer in your plan"
    else:
        text = "more than a month at what runs now"
    rows.append(("Balance lasts", text))
    return rows
