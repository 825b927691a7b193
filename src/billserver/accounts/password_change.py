"""Changing a login's password (``POST /v1/password``).

The caller is authenticated, so a wrong old password is 403 ``forbidden`` (not
401: the access token is fine and must not be refreshed or dropped). Wrong old
passwords count as failed sign-ins for the login and the client address (counted
before the check, :func:`~billserver.accounts.throttle.counted_attempt`), and a
blocked key answers 429 before any password is checked. A change revokes every
other device of the login; the calling device stays signed in.
"""

from __future__ import annotations

from sqlalchemy import Engine, select, update

from billclient.protocol import ErrorCode, PasswordChange

from .. import db
from ..clock import now_us
from ..ledger.actor import Actor
from ..ledger.audit import record
from ..tables import devices, users
from ..web.problems import ApiError
from .passwords import hash_password, verify_password
from .throttle import Attempt, Throttle, counted_attempt, keys_for
from .tokens import revoke_device

__all__ = ["change_password"]

_ATTEMPTS = 3


def change_password(
    engine: Engine,
    actor: Actor,
    body: PasswordChange,
    *,
    address: str | None,
    throttle: Throttle,
) -> int:
    """Check the old password, store the new one, revoke the other devices.

    Returns how many other devices were signed out. Blocking: the password hashes
    are deliberately slow (they are computed outside any write transaction).
    """
    if body.new_password == body.old_password:
        raise ApiError(ErrorCode.VALIDATION_ERROR, "new_password: must differ from old_password")
    keys = keys_for(actor.login, address)
    with counted_attempt(engine, keys, throttle, failed=_wrong_old_password) as attempt:
        new_hash = hash_password(body.new_password)
        for _ in range(_ATTEMPTS):
            with db.read(engine) as conn:
                stored = conn.execute(
                    select(users.c.password_hash).where(users.c.login == actor.login)
                ).scalar_one_or_none()
            if stored is None or not verify_password(stored, body.old_password):
                raise ApiError(ErrorCode.FORBIDDEN, "old_password is not this login's password")
            revoked = _store(engine, actor, stored, new_hash, attempt)
            if revoked is not None:
                return revoked
    raise ApiError(
        ErrorCode.UNAVAILABLE,
        "the password was changed by another request at the same time; try again",
        headers={"Retry-After": "1"},
    )


def _wrong_old_password(error: BaseException) -> bool:
    return isinstance(error, ApiError) and error.code is ErrorCode.FORBIDDEN


def _store(
    engine: Engine, actor: Actor, expected_hash: str, new_hash: str, attempt: Attempt
) -> int | None:
    """Swap the hash if it is still ``expected_hash``; None if it changed meanwhile."""
    with db.write(engine) as conn:
        now = now_us()
        changed = conn.execute(
            update(users)
            .where(users.c.login == actor.login, users.c.password_hash == expected_hash)
            .values(password_hash=new_hash, password_changed_at=now)
        ).rowcount
        if changed != 1:
            return None
        others = list(
            conn.execute(
                select(devices.c.device_id).where(
                    devices.c.login == actor.login,
                    devices.c.revoked_at.is_(None),
                    devices.c.device_id != actor.device_id,
                )
            ).scalars()
        )
        for device_id in others:
            revoke_device(conn, device_id, now=now)
        attempt.settle(conn, now=now)
        record(
            conn,
            actor,
            "password.change",
            account_id=actor.account_id,
            now=now,
            revoked_devices=others,
        )
    return len(others)
