"""The reaper: ends sessions whose updates stopped (cause ``update_timeout``).

Every server process runs it. Each session is ended in its own write
transaction that re-reads the session under lock and acts only if it is still
active and still past its deadline, so two reapers (or a reaper and a late
update) never end a session twice or charge it twice. It finds candidates by their
stored deadline and ends those whose true deadline has passed (:mod:`.deadline`).
"""

from __future__ import annotations

import asyncio
import logging

import anyio
from sqlalchemy import Engine, select

from billclient.protocol import EndCause, SessionState

from .. import db
from ..clock import now_us
from ..db.storage import log_failure
from ..ledger import Actor
from ..tables import sessions
from . import deadline
from .ending import end_by_server
from .policy import SessionPolicy
from .records import lock_session, save

__all__ = ["reap_once", "reaper_loop"]

log = logging.getLogger("billserver")

_BATCH = 500


def reap_once(engine: Engine, policy: SessionPolicy) -> int:
    """End every overdue session now; returns how many this call ended."""
    actor = Actor.system("reaper", policy.server_id)
    with db.read(engine) as conn:
        overdue = conn.execute(
            select(sessions.c.session_id)
            .where(sessions.c.state == SessionState.ACTIVE.value, sessions.c.deadline < now_us())
            .order_by(sessions.c.deadline)
            .limit(_BATCH)
        ).all()
    ended = 0
    for (session_id,) in overdue:
        with db.write(engine) as conn:
            now = now_us()
            record = lock_session(conn, session_id, owner=None, order=policy.order)
            assert record is not None  # sessions are never deleted
            if record.state != SessionState.ACTIVE.value:
                continue  # ended meanwhile, maybe by another server
            interval = int(record.update_interval)
            if not deadline.passed(int(record.last_activity), interval, now):
                # updated meanwhile, or its stored deadline lags (see .deadline)
                true = deadline.stale(record.deadline, int(record.last_activity), interval)
                if true is not None:
                    save(conn, record, deadline=true)
                continue
            end_by_server(conn, actor, record, EndCause.UPDATE_TIMEOUT, now=now, policy=policy)
            ended += 1
    return ended


async def reaper_loop(engine: Engine, policy: SessionPolicy, interval: float) -> None:
    """Reap every ``interval`` seconds until cancelled; a failing run is logged."""
    while True:
        try:
            ended = await anyio.to_thread.run_sync(reap_once, engine, policy)
            if ended:
                log.info("reaper ended %d silent session(s)", ended)
        except Exception as error:  # the reaper must outlive a passing database error
            log_failure(log, "reaper run failed", error)
        await asyncio.sleep(interval)
