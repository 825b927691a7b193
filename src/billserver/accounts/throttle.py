"""Throttling of guesses: failed password checks per login and per client address,
and wrong voucher codes per account.

Each key (``login:<login>``, ``addr:<address>`` or ``voucher:<account>``) has one
``signin_failures`` row counting failures from the first one (``window_start``).
The failure that brings the count to the key's ``max_failures`` blocks the key for
``block_s``, and every further failure blocks it twice as long as the one before
(``block_s * 2**(failures - max_failures)``, at most ``max_block_s``). A key whose
window started, and whose last block ended, more than ``window_s`` ago starts again
from zero. An address may fail far more often than a login (:class:`Throttle`), so
that one person mistyping a password does not lock out everyone behind the same
address.

An attempt is counted *before* the slow check (the Argon2 hash, the voucher look-up),
in a committed write transaction that also refuses a blocked key with 429
(:func:`counted_attempt`): concurrent attempts each take a slot, so however many
arrive at once, at most ``max_failures`` of them are ever checked. An attempt that
turns out not to be a failure gives its slot back (:meth:`Attempt.settle`): a
successful sign-in clears the login's key and takes one failure off the address's
(never clears it: one account of one's own must not unlock guessing at the others
from the same address); a redeemed voucher takes one off the account's. A block that
an attempt earned runs from the moment that attempt failed.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from billclient.protocol import ErrorCode

from .. import db
from ..clock import now_us
from ..config import ServerSettings
from ..db import AnyRow
from ..tables import signin_failures
from ..web.problems import ApiError

__all__ = [
    "Attempt",
    "Throttle",
    "ThrottlePolicy",
    "blocked_for",
    "counted_attempt",
    "keys_for",
    "policy_of",
    "purge_stale",
    "throttle_of",
    "voucher_key",
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


@dataclass(frozen=True, slots=True)
class Throttle:
    """The policies of the three kinds of key."""

    login: ThrottlePolicy = field(default_factory=ThrottlePolicy)
    address: ThrottlePolicy = field(default_factory=lambda: ThrottlePolicy(max_failures=50))
    voucher: ThrottlePolicy = field(default_factory=lambda: ThrottlePolicy(max_failures=10))

    def policy(self, key: str) -> ThrottlePolicy:
        """The policy of ``key`` (by its ``login:``, ``addr:`` or ``voucher:`` prefix)."""
        kind = key.partition(":")[0]
        return {"addr": self.address, "voucher": self.voucher}.get(kind, self.login)


def policy_of(settings: ServerSettings) -> ThrottlePolicy:
    """The login policy of the server's settings (its window is every key's)."""
    return throttle_of(settings).login


def throttle_of(settings: ServerSettings) -> Throttle:
    """The throttle of the server's settings."""
    timing = {
        "window_s": settings.signin_window,
        "block_s": settings.signin_block,
        "max_block_s": settings.signin_max_block,
    }
    return Throttle(
        login=ThrottlePolicy(max_failures=settings.signin_max_failures, **timing),
        address=ThrottlePolicy(max_failures=settings.signin_address_max_failures, **timing),
        voucher=ThrottlePolicy(max_failures=settings.voucher_max_failures, **timing),
    )


def keys_for(login: str, address: str | None) -> list[str]:
    """The throttle keys of a sign-in attempt: the login and, if known, the address."""
    keys = [f"login:{login}"]
    if address:
        keys.append(f"addr:{address[:_MAX_ADDRESS]}")
    return keys


def voucher_key(account_id: str) -> str:
    """The throttle key of an account's voucher attempts."""
    return f"voucher:{account_id}"


def blocked_for(conn: Connection, keys: Sequence[str], *, now: int) -> int:
    """Whole seconds until every one of ``keys`` is unblocked (0: none is blocked)."""
    until = conn.execute(
        select(signin_failures.c.blocked_until).where(
            signin_failures.c.key.in_(list(keys)), signin_failures.c.blocked_until > now
        )
    ).scalars()
    latest = max(until, default=None)
    return 0 if latest is None else max(1, math.ceil((latest - now) / _US))


class Attempt:
    """One counted attempt; :meth:`settle` gives its slot back when it did not fail."""

    def __init__(self, keys: Sequence[str], throttle: Throttle) -> None:
        self.keys = list(keys)
        self.throttle = throttle
        self.settled = False

    def settle(self, conn: Connection, *, now: int) -> None:
        """The attempt succeeded: in the caller's transaction, clear a login's key and
        take this attempt's failure off every other key."""
        for key in sorted(self.keys):  # the lock order of counting (PostgreSQL)
            if key.startswith("login:"):
                conn.execute(delete(signin_failures).where(signin_failures.c.key == key))
            else:
                _uncount(conn, key, self.throttle.policy(key), now)
        self.settled = True


@contextlib.contextmanager
def counted_attempt(
    engine: Engine,
    keys: Sequence[str],
    throttle: Throttle,
    *,
    failed: Callable[[BaseException], bool],
    what: str = "failed sign-ins",
) -> Iterator[Attempt]:
    """Count an attempt on ``keys`` (429 ``rate_limited`` while one is blocked), then run
    the body. Unless the body raised an error for which ``failed`` is true, or called
    :meth:`Attempt.settle` itself, the attempt is given back afterwards."""
    _reserve(engine, keys, throttle, what)
    attempt = Attempt(keys, throttle)
    try:
        yield attempt
    except BaseException as error:
        if not attempt.settled:
            if failed(error):
                _blocks_from_now(engine, attempt)
            else:
                _settle_now(engine, attempt)
        raise
    if not attempt.settled:
        _settle_now(engine, attempt)


def _reserve(engine: Engine, keys: Sequence[str], throttle: Throttle, what: str) -> None:
    try:
        wait = _count_all(engine, keys, throttle)
    except IntegrityError:  # PostgreSQL: another server inserted the key first; count again
        wait = _count_all(engine, keys, throttle)
    if wait:
        raise ApiError(
            ErrorCode.RATE_LIMITED,
            f"too many {what}; try again in {wait} s",
            headers={"Retry-After": str(wait)},
        )


def _count_all(engine: Engine, keys: Sequence[str], throttle: Throttle) -> int:
    """Refuse (seconds to wait) while a key is blocked; else count one failure on each."""
    with db.write(engine) as conn:
        now = now_us()
        locked = {key: _locked_row(conn, key) for key in sorted(keys)}  # one lock order
        wait = blocked_for(conn, keys, now=now)
        if wait:
            return wait
        for key, row in locked.items():
            _count(conn, key, row, throttle.policy(key), now)
    return 0


def _settle_now(engine: Engine, attempt: Attempt) -> None:
    with db.write(engine) as conn:
        attempt.settle(conn, now=now_us())


def _blocks_from_now(engine: Engine, attempt: Attempt) -> None:
    """A counted attempt failed: a block it earned runs from now, the moment of the
    failure (the slow check may have taken a good part of it), not from its start."""
    with db.write(engine) as conn:
        now = now_us()
        for key in sorted(attempt.keys):
            row = _locked_row(conn, key)
            if row is None or row.blocked_until is None:
                continue
            until = _blocked_until(attempt.throttle.policy(key), int(row.failures), now)
            if until is not None and until > row.blocked_until:
                conn.execute(
                    update(signin_failures)
                    .where(signin_failures.c.key == key)
                    .values(blocked_until=until)
                )


def _locked_row(conn: Connection, key: str) -> AnyRow | None:
    return conn.execute(
        select(signin_failures).where(signin_failures.c.key == key).with_for_update()
    ).one_or_none()


def _count(
    conn: Connection, key: str, row: AnyRow | None, policy: ThrottlePolicy, now: int
) -> None:
    if row is None:
        conn.execute(
            insert(signin_failures).values(
                key=key, failures=1, window_start=now, blocked_until=_blocked_until(policy, 1, now)
            )
        )
        return
    window_start = int(row.window_start)
    stale = now - max(window_start, row.blocked_until or 0) > int(policy.window_s * _US)
    failures = 1 if stale else int(row.failures) + 1
    conn.execute(
        update(signin_failures)
        .where(signin_failures.c.key == key)
        .values(
            failures=failures,
            window_start=now if stale else window_start,
            blocked_until=_blocked_until(policy, failures, now),
        )
    )


def _uncount(conn: Connection, key: str, policy: ThrottlePolicy, now: int) -> None:
    """Take one failure off ``key``; a block it no longer earns is lifted."""
    row = _locked_row(conn, key)
    if row is None:
        return
    failures = max(0, int(row.failures) - 1)
    blocked = row.blocked_until if policy.block_us(failures) else None
    conn.execute(
        update(signin_failures)
        .where(signin_failures.c.key == key)
        .values(failures=failures, blocked_until=blocked)
    )


def _blocked_until(policy: ThrottlePolicy, failures: int, now: int) -> int | None:
    block = policy.block_us(failures)
    return now + block if block else None


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
