"""``/v1/gateway``: the routes a metering gateway calls (never a client).

The gateway authenticates with the deployment's gateway secret
(``Authorization: Bearer <secret>``, setting ``gateway_secret``); a server without
one answers 401 to every route here.
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from billclient.protocol import ErrorCode, SessionState
from billclient.protocol.gateway import (
    Admission,
    ServedCounts,
    ServedCountsResult,
    SessionQuery,
    SessionStatus,
)

from ... import db
from ...clock import now_us
from ...web import ApiError, Context, Ctx, context, problems
from ..tokens import session_of
from .access import record_counts, session_statuses

__all__ = ["router"]


# documents the gateway's own bearer scheme in OpenAPI; the header is checked in _gateway
_GATEWAY_SECRET = HTTPBearer(
    scheme_name="GatewaySecret",
    auto_error=False,
    description="The deployment's gateway secret (setting gateway_secret)",
)


def _gateway(
    request: Request,
    ctx: Annotated[Context, Depends(context)],
    _scheme: Annotated[HTTPAuthorizationCredentials | None, Security(_GATEWAY_SECRET)] = None,
) -> str:
    """The gateway secret of this deployment, after checking the caller presented it."""
    secret = ctx.settings.gateway_secret
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    if (
        secret is None
        or scheme.lower() != "bearer"
        or not hmac.compare_digest(presented.strip().encode(), secret.encode())
    ):
        raise ApiError(
            ErrorCode.UNAUTHORIZED,
            "a gateway call needs 'Authorization: Bearer <gateway secret>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return secret


router = APIRouter(prefix="/v1/gateway", tags=["gateway"])
Secret = Annotated[str, Depends(_gateway)]


@router.post("/admissions", response_model=SessionStatus, responses=problems(403, 409))
def admit(body: Admission, secret: Secret, ctx: Ctx) -> dict[str, Any]:
    """Check a session gateway token: the session's status if it may be served.

    403 ``forbidden`` for a malformed, forged or unknown token or a service the
    gateway does not serve; 409 ``session_ended`` once the session has ended (the
    token has expired).
    """
    session_id = session_of(secret, body.token)
    if session_id is None:
        raise ApiError(ErrorCode.FORBIDDEN, "the gateway token is not valid")
    with db.read(ctx.engine) as conn:
        found = session_statuses(conn, [session_id], now=now_us())
    if not found:
        raise ApiError(ErrorCode.FORBIDDEN, "the gateway token names no gateway-served session")
    status = found[0]
    if status.state is SessionState.ENDED:
        raise ApiError(
            ErrorCode.SESSION_ENDED,
            f"the session ended ({status.cause}); its gateway token has expired",
            session=status.model_dump(mode="json"),
        )
    return status.model_dump(mode="json")


@router.post("/sessions", response_model=list[SessionStatus], responses=problems())
def query(body: SessionQuery, secret: Secret, ctx: Ctx) -> list[dict[str, Any]]:
    """The current status of these sessions (active or ended; unknown ids are left out)."""
    del secret
    with db.read(ctx.engine) as conn:
        found = session_statuses(conn, body.session_ids, now=now_us())
    return [status.model_dump(mode="json") for status in found]


@router.post("/counts", response_model=ServedCountsResult, responses=problems())
def counts(body: ServedCounts, secret: Secret, ctx: Ctx) -> dict[str, Any]:
    """Record the gateway's cumulative served units per session (never lowered)."""
    del secret
    with db.write(ctx.engine) as conn:
        recorded = record_counts(conn, body.gateway_id, body.counts, now=now_us())
    return ServedCountsResult(recorded=recorded).model_dump(mode="json")
