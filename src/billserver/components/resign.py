"""Keep the timestamp metadata fresh: re-sign it on a schedule, once per deployment.

Every server given the timestamp key runs :func:`resign_loop`; the one holding the
lease ``component-timestamp`` re-signs when the current timestamp has less than
half of its lifetime left. Clients refuse a timestamp that has expired (a freeze
attack serves an old one forever), so without re-signing they stop updating.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import anyio
from sqlalchemy import Engine

from .. import leases
from ..config import ServerSettings
from ..db.storage import log_failure
from .keys import KeyFileError, load_signer
from .repository import Repository, RepositoryError

__all__ = ["LEASE", "resign_loop", "resign_once"]

LEASE = "component-timestamp"

log = logging.getLogger("billserver.components")


def resign_once(settings: ServerSettings, engine: Engine) -> datetime | None:
    """One round: re-sign if this server holds the lease and the timestamp needs it."""
    assert settings.updates_repo is not None and settings.updates_timestamp_key is not None
    holder = settings.effective_server_id
    if not leases.try_acquire(engine, LEASE, holder, settings.updates_resign_interval * 3):
        return None
    lifetime = timedelta(seconds=settings.updates_timestamp_lifetime)
    signer = load_signer(settings.updates_timestamp_key)
    expires = Repository(settings.updates_repo).resign_timestamp(
        signer, now=datetime.now(UTC), lifetime=lifetime, only_if_within=lifetime / 2
    )
    if expires is not None:
        log.info("re-signed the component timestamp metadata, valid until %s", expires)
    return expires


async def resign_loop(settings: ServerSettings, engine: Engine) -> None:
    """Run :func:`resign_once` every ``updates_resign_interval`` seconds, forever."""
    while True:
        try:
            await anyio.to_thread.run_sync(resign_once, settings, engine)
        except (KeyFileError, RepositoryError) as exc:
            log.error("cannot re-sign the component timestamp: %s", exc)
        except Exception as error:  # the loop must outlive a passing database or disk error
            log_failure(log, "re-signing the component timestamp failed", error)
        await asyncio.sleep(settings.updates_resign_interval)
