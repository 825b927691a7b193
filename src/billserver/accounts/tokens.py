"""Opaque bearer tokens: issue, rotate, revoke (checking them is the web layer's:
:mod:`billserver.web.auth`).

Only SHA-256 hashes of tokens are stored. Refresh tokens rotate on every use.
Presenting an already-rotated refresh token within ``REUSE_GRACE_US`` of its
rotation (a retry after a lost answer, maybe on another server) issues a fresh
pair and revokes the pair that rotation issued; any later reuse revokes the
whole device.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import Connection, insert, select, update

from ..db import AnyRow
from ..tables import devices, tokens, users
from ..web import TokenRejected, token_hash

__all__ = [
    "REUSE_GRACE_US",
    "IssuedPair",
    "issue_pair",
    "revoke_device",
    "rotate",
]

REUSE_GRACE_US = 60 * 1_000_000
_REFRESH_TTL_US = 90 * 86_400 * 1_000_000


@dataclass(frozen=True, slots=True)
class IssuedPair:
    """A freshly issued token pair (the only time the tokens exist in clear)."""

    access_token: str
    refresh_token: str
    expires_in: int
    pair_id: str


def issue_pair(conn: Connection, device_id: str, *, now: int, access_ttl_s: int) -> IssuedPair:
    """Issue an access and a refresh token for ``device_id``."""
    pair_id = str(uuid.uuid4())
    access = "bca_" + secrets.token_urlsafe(32)
    refresh = "bcr_" + secrets.token_urlsafe(32)
    conn.execute(
        insert(tokens),
        [
            {
                "token_hash": token_hash(access),
                "kind": "access",
                "device_id": device_id,
                "pair_id": pair_id,
                "expires_at": now + access_ttl_s * 1_000_000,
                "revoked": False,
            },
            {
                "token_hash": token_hash(refresh),
                "kind": "refresh",
                "device_id": device_id,
                "pair_id": pair_id,
                "expires_at": now + _REFRESH_TTL_US,
                "revoked": False,
            },
        ],
    )
    return IssuedPair(access, refresh, access_ttl_s, pair_id)


def rotate(
    conn: Connection, refresh_token: str, *, now: int, access_ttl_s: int
) -> tuple[IssuedPair, AnyRow]:
    """Exchange a refresh token for a new pair; returns it with the device's user row."""
    # Lock order of every writer: the device row, then its tokens (signing out and
    # password changes update the device first), so PostgreSQL never deadlocks here.
    device_id = conn.execute(
        select(tokens.c.device_id).where(tokens.c.token_hash == token_hash(refresh_token))
    ).scalar_one_or_none()
    if device_id is not None:
        conn.execute(
            select(devices.c.device_id).where(devices.c.device_id == device_id).with_for_update()
        )
    row = conn.execute(
        select(tokens)
        .where(tokens.c.token_hash == token_hash(refresh_token), tokens.c.kind == "refresh")
        .with_for_update()
    ).one_or_none()
    if row is None:
        raise TokenRejected("unknown refresh token; sign in again")
    owner = conn.execute(
        select(
            devices.c.device_id,
            devices.c.revoked_at,
            users.c.retired,
            users.c.role,
            users.c.account_id,
            users.c.login,
        )
        .select_from(devices.join(users))
        .where(devices.c.device_id == row.device_id)
    ).one()
    if owner.revoked_at is not None or owner.retired:
        raise TokenRejected("this device was signed out; sign in again")
    if row.revoked:
        revoke_device(conn, row.device_id, now=now)
        raise TokenRejected("a revoked refresh token was presented; the device is signed out")
    if row.rotated_at is None:
        if row.expires_at <= now:
            raise TokenRejected("the refresh token has expired; sign in again")
        pair = issue_pair(conn, row.device_id, now=now, access_ttl_s=access_ttl_s)
    elif now - int(row.rotated_at) <= REUSE_GRACE_US and not _was_used(conn, row.child_pair_id):
        _revoke_pair(conn, row.child_pair_id)
        pair = issue_pair(conn, row.device_id, now=now, access_ttl_s=access_ttl_s)
    else:
        revoke_device(conn, row.device_id, now=now)
        raise TokenRejected("a used refresh token was presented again; the device is signed out")
    conn.execute(
        update(tokens)
        .where(tokens.c.token_hash == row.token_hash)
        .values(
            rotated_at=row.rotated_at if row.rotated_at is not None else now,
            child_pair_id=pair.pair_id,
        )
    )
    conn.execute(update(devices).where(devices.c.device_id == row.device_id).values(last_seen=now))
    return pair, owner


def revoke_device(conn: Connection, device_id: str, *, now: int) -> None:
    """Sign a device out: every token it holds stops working."""
    conn.execute(
        update(devices)
        .where(devices.c.device_id == device_id, devices.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    conn.execute(update(tokens).where(tokens.c.device_id == device_id).values(revoked=True))


def _was_used(conn: Connection, pair_id: str | None) -> bool:
    if pair_id is None:
        return False
    rotated = conn.execute(
        select(tokens.c.rotated_at).where(tokens.c.pair_id == pair_id, tokens.c.kind == "refresh")
    ).scalar_one_or_none()
    return rotated is not None


def _revoke_pair(conn: Connection, pair_id: str | None) -> None:
    if pair_id is not None:
        conn.execute(update(tokens).where(tokens.c.pair_id == pair_id).values(revoked=True))
