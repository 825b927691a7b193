"""Sign-in throttling: failed password checks per login and per client address.

Each key (``login:<login>`` or ``addr:<address>``) has one ``signin_failures``
row counting failures from the first one (``window_start``). The failure that
brings the count to ``max_failures`` blocks the key for ``block_s``, and every
further failure blocks it twice as long as the one before
(``block_s * 2**(failures - max_failures)``, at most ``max_block_s``). A blocked
key is refused before any password is looked at. A key whose window started, and
whose last block ended, more than ``window_s`` ago starts again from zero. A successful
sign-in clears the login's key (never the address's: one account of one's own
must not unlock guessing at the others from the same address).

Failures are written in their own committed transaction, so that the request
can then answer 401 (or 403) and roll everything else back.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from billclient.protocol import ErrorCode

from .. import db
from ..config import ServerSettings
from ..tables import signin_failures
from ..web.problems import ApiError

__all__ = [
    "ThrottlePolicy",
    "blocked_for",
    "check_not_blocked",
    "clear",
    "keys_for",
    "policy_of",
    "purge_stale",
    "record_failure",
]

_US = 1_000_000
_MAX_ADDRESS = 100  # an address from a proxy header could be any text; keys are <= 200
_MAX_DOUBLINGS = 40  # 2**40 blocks are far beyond any max_block_s; keeps the int small


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    """How many failures a key may have and how long it is blocked afterwards."""

    max_failures: int = 5
    window_s: float = 300.0
    block_s: float = 60.0
    max_block_s: float = 3600.0

    def block_us(self, failures: int) -> int:
        """The block a key earns with ``failures`` failures (0 below the threshold)."""
        if failures < self.max_failures:
            return 0
        doublings = min(failures - self.max_failures, _MAX_DOUBLINGS)
        return int(min(self.block_s * 2**doublings, self.max_block_s) * _US)


def policy_of(settings: ServerSettings) -> ThrottlePolicy:
    """The throttle policy of the server's settings."""
    return ThrottlePolicy(
        max_failures=settings.signin_max_failures,
        window_s=settings.signin_window,
        block_s=settings.signin_block,
        max_block_s=settings.signin_max_block,
    )


def keys_for(login: str, address: str | None) -> list[str]:
    """The throttle keys of a sign-in attempt: the login and, if known, the address."""
    keys = [f"login:{login}"]
    if address:
        keys.append(f"addr:{address[:_MAX_ADDRESS]}")
    return keys


def blocked_for(conn: Connection, keys: Sequence[str], *, now: int) -> int:
    """Whole seconds until every one of ``keys`` is unblocked (0: none is blocked)."""
    until = conn.execute(
        select(signin_failures.c.blocked_until).where(
            signin_failures.c.key.in_(list(keys)), signin_failures.c.blocked_until > now
        )
    ).scalars()
    latest = max(until, default=None)
    return 0 if latest is None else max(1, math.ceil((latest - now) / _US))


def check_not_blocked(engine: Engine, keys: Sequence[str], *, now: int) -> None:
    """Refuse with 429 ``rate_limited`` and ``Retry-After`` while any key is blocked."""
    with db.read(engine) as conn:
        wait = blocked_for(conn, keys, now=now)
    if wait:
        raise ApiError(
            ErrorCode.RATE_LIMITED,
            f"too many failed sign-ins; try again in {wait} s",
            headers={"Retry-After": str(wait)},
        )


def record_failure(engine: Engine, keys: Sequence[str], policy: ThrottlePolicy, *, now: int) -> int:
    """Count one failure for each key (committed at once); returns the longest block, s."""
    try:
        return _record(engine, keys, policy, now)
    except IntegrityError:  # PostgreSQL: another server inserted the key first; count again
        return _record(engine, keys, policy, now)


def _record(engine: Engine, keys: Sequence[str], policy: ThrottlePolicy, now: int) -> int:
    with db.write(engine) as conn:
        longest = max(_count(conn, key, policy, now) for key in keys)
    return math.ceil(longest / _US)


def _count(conn: Connection, key: str, policy: ThrottlePolicy, now: int) -> int:
    row = conn.execute(
        select(signin_failures).where(signin_failures.c.key == key).with_for_update()
    ).one_or_none()
    if row is None:
        failures = 1
        conn.execute(
            insert(signin_failures).values(
                key=key,
                failures=failures,
                window_start=now,
                blocked_until=_blocked_until(policy, failures, now),
            )
        )
        return policy.block_us(failures)
    stale = now - max(row.window_start, row.blocked_until or 0) > int(policy.window_s * _US)
    failures = 1 if stale else row.failures + 1
    conn.execute(
        update(signin_failures)
        .where(signin_failures.c.key == key)
        .values(
            failures=failures,
            window_start=now if stale else row.window_start,
            blocked_until=_blocked_until(policy, failures, now),
        )
    )
    return policy.block_us(failures)


def _blocked_until(policy: ThrottlePolicy, failures: int, now: int) -> int | None:
    block = policy.block_us(failures)
    return now + block if block else None


def clear(conn: Connection, key: str) -> None:
    """Forget a key's failures (after a successful sign-in), in the caller's transaction."""
    conn.execute(delete(signin_failures).where(signin_failures.c.key == key))


def purge_stale(conn: Connection, policy: ThrottlePolicy, *, now: int, limit: int) -> int:
    """Delete up to ``limit`` rows of keys that would start from zero anyway."""
    cutoff = now - int(policy.window_s * _US)
    stale = (
        select(signin_failures.c.key)
        .where(
            signin_failures.c.window_start < cutoff,
            or_(
                signin_failures.c.blocked_until.is_(None),
                signin_failures.c.blocked_until < cutoff,
            ),
        )
        .limit(limit)
    )
    keys = list(conn.execute(stale).scalars())
    if keys:
        conn.execute(delete(signin_failures).where(signin_failures.c.key.in_(keys)))
    return len(keys)
