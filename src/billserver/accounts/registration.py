"""Signing devices in and out."""

from __future__ import annotations

import uuid

from sqlalchemy import Connection, insert, select

from billclient.protocol import ErrorCode, Registration, Role

from ..actor import Actor
from ..audit import record
from ..errors import ApiError
from ..tables import devices, users
from .passwords import verify_password
from .tokens import IssuedPair, issue_pair, revoke_device

__all__ = ["register_device", "sign_out_device"]


def register_device(
    conn: Connection, request: Registration, *, now: int, access_ttl_s: int, server_id: str
) -> tuple[str, IssuedPair, Role, str | None]:
    """Check the login and password and register a device: (device_id, tokens, role, account)."""
    user = conn.execute(
        select(users).where(users.c.login == request.login, users.c.retired.is_(False))
    ).one_or_none()
    if not verify_password(user.password_hash if user else None, request.password) or not user:
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
