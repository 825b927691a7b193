"""Shared pieces of the HTTP layer: the request context, auth, pagination."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query, Request, Security
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Connection, Engine

from billclient.protocol import ErrorCode, Role

from .. import db
from ..accounts.tokens import TokenRejected, authenticate
from ..clock import now_us
from ..config import ServerSettings
from ..gateway.billing_side.access import Tolerance
from ..ledger.actor import Actor
from ..sessions.service import SessionPolicy
from .problems import ApiError

__all__ = [
    "AUTH_RESPONSES",
    "BearerToken",
    "Caller",
    "Context",
    "Page",
    "PageParams",
    "Support",
    "actor_for_token",
    "bearer_token",
    "context",
    "current_actor",
    "page_response",
    "paged",
    "problems",
    "refuse_nul",
    "require_role",
]


@dataclass(frozen=True, slots=True)
class Context:
    """What every request handler needs: the settings and the database."""

    settings: ServerSettings
    engine: Engine

    @property
    def policy(self) -> SessionPolicy:
        """The session policy from the settings."""
        return SessionPolicy(
            late_usage_us=int(self.settings.late_usage_hours * 3600 * 1_000_000),
            server_id=self.settings.effective_server_id,
        )

    @property
    def gateway_tolerance(self) -> Tolerance:
        """How far gateway and client counts may differ (settings ``gateway_tolerance*``)."""
        return Tolerance(self.settings.gateway_tolerance, self.settings.gateway_tolerance_units)


async def context(request: Request) -> Context:
    """The application's context (set by create_app). ``async`` like every dependency
    without I/O: FastAPI runs plain ``def`` dependencies on a worker thread."""
    ctx: Context = request.app.state.context
    return ctx


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
    """Authenticate ``token`` in ``conn``'s transaction: the caller, or a 401 ApiError.

    The token, its device and its user are looked up on every call (one query by
    primary keys), never cached: a revoked token or device fails at once, whichever
    process revoked it.
    """
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


async def refuse_nul(request: Request) -> None:
    """Every route's dependency: 422 for a path or query parameter holding a NUL
    character (no database stores one in text; PostgreSQL refuses it in a query)."""
    for name, value in (*request.path_params.items(), *request.query_params.multi_items()):
        if isinstance(value, str) and "\x00" in value:
            raise ApiError(ErrorCode.VALIDATION_ERROR, f"{name} must not contain NUL characters")


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


_BIGINT = 2**63


@dataclass(frozen=True, slots=True)
class Page:
    """``?limit=&cursor=`` of a list call; the cursor decodes to the last row's sort key."""

    limit: int
    after: list[Any] | None

    def key(self, *types: type) -> list[Any] | None:
        """The cursor as a sort key of ``types`` (int or str), None without one; 422 if malformed.

        A cursor is opaque to clients, but one made up or cut short must be refused,
        not crash the query: each part must have the expected type, ints must fit a
        BIGINT and strings must not hold NUL.
        """
        if self.after is None:
            return None
        if len(self.after) != len(types) or not all(
            _key_part(value, kind) for value, kind in zip(self.after, types, strict=True)
        ):
            raise ApiError(ErrorCode.VALIDATION_ERROR, "cursor is not valid for this list")
        return self.after


def _key_part(value: object, kind: type) -> bool:
    if isinstance(value, bool) or not isinstance(value, kind):
        return False
    if isinstance(value, int):
        return -_BIGINT < value < _BIGINT
    return isinstance(value, str) and "\x00" not in value


def _page(
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Page:
    after = None
    if cursor is not None:
        try:
            after = json.loads(base64.urlsafe_b64decode(cursor.encode()))
            if not isinstance(after, list):
                raise ValueError
        except ValueError:
            raise ApiError(ErrorCode.VALIDATION_ERROR, "cursor is not valid") from None
    return Page(limit, after)


PageParams = Annotated[Page, Depends(_page)]


def page_response(
    request: Request, items: list[dict[str, Any]], page: Page, last_key: list[Any] | None
) -> JSONResponse:
    """A JSON array answer with a ``Link: <...>; rel="next"`` header when more may follow."""
    headers = {}
    if last_key is not None and len(items) == page.limit:
        cursor = base64.urlsafe_b64encode(json.dumps(last_key).encode()).decode()
        url = request.url.include_query_params(cursor=cursor)
        headers["Link"] = f'<{url}>; rel="next"'
    return JSONResponse(items, headers=headers)


_PROBLEM_SCHEMA = "#/components/schemas/Problem"
_SESSION_PROBLEM_SCHEMA = "#/components/schemas/SessionProblem"
"""A problem that may carry the ``session`` resource (409 ``session_ended``); app.py
adds both schemas to the OpenAPI components."""

_RETRY_AFTER: dict[str, Any] = {
    "Retry-After": {
        "description": "Seconds to wait before trying again",
        "schema": {"type": "integer", "minimum": 0},
    }
}

_DESCRIPTIONS = {
    401: "Missing, expired or revoked access token",
    402: "Insufficient funds",
    403: "Forbidden (role not allowed), account inactive or service not in plan",
    404: "Not found",
    409: "Conflict (idempotency, sequence or session ended)",
    422: "Invalid request (body, query, path or header)",
    429: "Too many failed sign-ins for this login or address",
    503: "Unavailable for a moment; try again after Retry-After",
}


def _problem_schema(
    description: str, schema: str = _PROBLEM_SCHEMA, headers: dict[str, Any] | None = None
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "description": description,
        "content": {"application/problem+json": {"schema": {"$ref": schema}}},
    }
    if headers:
        entry["headers"] = headers
    return entry


AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _problem_schema(_DESCRIPTIONS[401]),
    422: _problem_schema(_DESCRIPTIONS[422]),
}


def problems(*statuses: int, session: bool = False) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problem answers a route may give: 401 and 422 always,
    plus ``statuses`` (429 and 503 with ``Retry-After``). With ``session`` the 409
    answer may carry the session resource (``session_ended``)."""
    entries = dict(AUTH_RESPONSES)
    for status in statuses:
        schema = _SESSION_PROBLEM_SCHEMA if session and status == 409 else _PROBLEM_SCHEMA
        headers = _RETRY_AFTER if status in (429, 503) else None
        entries[status] = _problem_schema(_DESCRIPTIONS[status], schema, headers)
    return entries


def paged(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries of a list route: :func:`problems` and the ``Link`` header of 200."""
    link = {
        "description": 'The next page when more may follow: `<URL>; rel="next"`',
        "schema": {"type": "string"},
    }
    return {200: {"headers": {"Link": link}}, **problems(*statuses)}
