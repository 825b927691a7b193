"""Signing devices in and out."""

from __future__ import annotations

import uuid

from sqlalchemy import Connection, Engine, insert, select

from billclient.protocol import ErrorCode, Registration, Role

from .. import db
from ..db import AnyRow
from ..ledger.actor import Actor
from ..ledger.audit import record
from ..tables import devices, users
from ..web.problems import ApiError
from .passwords import verify_password
from .tokens import IssuedPair, issue_pair, revoke_device

__all__ = ["check_password", "register_device", "sign_out_device"]


def check_password(engine: Engine, login: str, password: str) -> AnyRow:
    """The user row if ``password`` is the login's, else 401.

    The deliberately slow hash check runs outside any write transaction, so a
    burst of sign-ins never holds up usage reports.
    """
    with db.read(engine) as conn:
        user = conn.execute(
            select(users).where(users.c.login == login, users.c.retired.is_(False))
        ).one_or_none()
    if not verify_password(user.password_hash if user else None, password) or not user:
        raise ApiError(ErrorCode.UNAUTHORIZED, "wrong login or password")
    return user


def register_device(
    conn: Connection,
    user: AnyRow,
    request: Registration,
    *,
    now: int,
    access_ttl_s: int,
    server_id: str,
) -> tuple[str, IssuedPair, Role, str | None]:
    """Register a device for a checked ``user``: (device_id, tokens, role, account).

    401 if the password changed or the login was retired since it was checked.
    """
    current = conn.execute(
        select(users.c.password_hash).where(users.c.login == user.login, users.c.retired.is_(False))
    ).scalar_one_or_none()
    if current != user.password_hash:
        raise ApiError(ErrorCode.UNAUTHORIZED, "wrong login or password")
    device_id = str(uuid.uuid4())
    conn.execute(
        insert(devices).values(
            device_id=device_id,
            login=user.login,
            name=request.device_name,
            platform=request.platform,
            created_at=now,
            last_seen=now,
        )
    )
    pair = issue_pair(conn, device_id, now=now, access_ttl_s=access_ttl_s)
    actor = Actor(user.login, Role(user.role), user.account_id, device_id, server_id)
    record(
        conn,
        actor,
        "device.register",
        account_id=user.account_id,
        now=now,
        device_name=request.device_name,
        platform=request.platform,
    )
    return device_id, pair, Role(user.role), user.account_id


def sign_out_device(conn: Connection, actor: Actor, device_id: str, *, now: int) -> None:
    """Revoke one of the caller's devices (itself or another: a lost laptop)."""
    owner = conn.execute(
        select(devices.c.login).where(devices.c.device_id == device_id)
    ).scalar_one_or_none()
    if owner is None or owner != actor.login:
        raise ApiError(ErrorCode.NOT_FOUND, f"no device {device_id}")
    revoke_device(conn, device_id, now=now)
    record(
        conn, actor, "device.revoke", account_id=actor.account_id, now=now, revoked_device=device_id
    )
