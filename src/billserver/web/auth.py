"""Who is calling: bearer tokens, authenticated in the caller's transaction, and roles.

Only SHA-256 hashes of tokens are stored (:func:`token_hash`). An access token, its
device and its user are looked up on every call (one query by primary keys, built
once), never cached: a revoked token, device or user is refused at once by every
server process. Issuing and rotating tokens is the accounts domain's
(:mod:`billserver.accounts.tokens`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Connection, bindparam, select

from billclient.protocol import ErrorCode, Role

from .. import db
from ..clock import now_us
from ..db import AnyRow
from ..db.driver import run
from ..ledger.actor import Actor
from ..tables import devices, tokens, users
from .context import Context, context
from .problems import ApiError

__all__ = [
    "BearerToken",
    "Caller",
    "Support",
    "TokenRejected",
    "actor_for_token",
    "authenticate",
    "bearer_token",
    "current_actor",
    "require_role",
    "token_hash",
]


class TokenRejected(Exception):
    """The token is unknown, expired, revoked, or its device was revoked."""


def token_hash(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


_AUTHENTICATE = (
    select(devices.c.device_id, users.c.login, users.c.role, users.c.account_id)
    .select_from(tokens.join(devices).join(users))
    .where(
        tokens.c.token_hash == bindparam("b_hash"),
        tokens.c.kind == "access",
        tokens.c.revoked.is_(False),
        tokens.c.expires_at > bindparam("b_now"),
        devices.c.revoked_at.is_(None),
        users.c.retired.is_(False),
    )
)


def authenticate(conn: Connection, access_token: str, *, now: int) -> AnyRow:
    """The (device, user) row joined for a valid access token, else TokenRejected."""
    row = run(conn, _AUTHENTICATE, {"b_hash": token_hash(access_token), "b_now": now}).one_or_none()
    if row is None:
        raise TokenRejected("the access token is not valid; refresh it or sign in again")
    return row


_BEARER = HTTPBearer(
    auto_error=False, description="The access token of POST /v1/devices or POST /v1/token"
)


async def bearer_token(
    request: Request,
    _scheme: Annotated[HTTPAuthorizationCredentials | None, Security(_BEARER)] = None,
) -> str:
    """The request's bearer token, not yet checked; 401 when there is none. (``_scheme``
    only documents the bearer scheme in OpenAPI; the header is read here so that every
    refusal is a problem document.)"""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(
            ErrorCode.UNAUTHORIZED,
            "send 'Authorization: Bearer <access token>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return token.strip()


BearerToken = Annotated[str, Depends(bearer_token)]
"""A route's bearer token, for routes that authenticate it inside their own
transaction (:func:`actor_for_token`) rather than in a read transaction of its own."""


def actor_for_token(conn: Connection, token: str, server_id: str) -> Actor:
    """Authenticate ``token`` in ``conn``'s transaction: the caller, or a 401 ApiError."""
    try:
        row = authenticate(conn, token, now=now_us())
    except TokenRejected as rejected:
        raise ApiError(
            ErrorCode.UNAUTHORIZED, str(rejected), headers={"WWW-Authenticate": "Bearer"}
        ) from None
    return Actor(
        login=row.login,
        role=Role(row.role),
        account_id=row.account_id,
        device_id=row.device_id,
        server_id=server_id,
    )


def current_actor(token: BearerToken, ctx: Annotated[Context, Depends(context)]) -> Actor:
    """Authenticate the bearer token; 401 otherwise."""
    with db.read(ctx.engine) as conn:
        return actor_for_token(conn, token, ctx.settings.effective_server_id)


Caller = Annotated[Actor, Depends(current_actor)]


def require_role(*roles: Role) -> Callable[[Actor], Actor]:
    """A dependency: the authenticated caller if its role is one of ``roles``; 403 otherwise."""

    def check(actor: Caller) -> Actor:
        if actor.role not in roles:
            allowed = " or ".join(role.value for role in roles)
            raise ApiError(ErrorCode.FORBIDDEN, f"this call needs the {allowed} role")
        return actor

    return check


Support = Annotated[Actor, Depends(require_role(Role.SUPPORT, Role.OPERATOR))]
"""The caller of a support route: a ``support`` or ``operator`` login (a user gets 403)."""
