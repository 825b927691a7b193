"""Health, registration, tokens, devices and the account."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy import select

from billclient.protocol import (
    Account,
    ComponentInfo,
    DeviceInfo,
    ErrorCode,
    Health,
    PasswordChange,
    Registration,
    RegistrationResult,
    TokenRefresh,
    TokenResult,
)

from .. import db
from ..clock import from_us, now_us
from ..components import offered_version
from ..db.storage import RETRY_AFTER
from ..tables import devices
from ..web import Caller, Context, Ctx, TokenRejected, problems
from ..web.problems import ApiError
from .figures import account_view, read_account
from .password_change import change_password
from .registration import check_password, register_device, sign_out_device
from .throttle import counted_attempt, keys_for, throttle_of
from .tokens import rotate

__all__ = ["router"]

router = APIRouter(prefix="/v1")


def _servers(request: Request, ctx: Context) -> list[str]:
    if ctx.settings.advertise:
        return list(ctx.settings.advertise)
    return [str(request.base_url).rstrip("/")]


@router.get(
    "/health", response_model=Health, responses={503: problems(503)[503]}, tags=["operations"]
)
def health(request: Request, ctx: Ctx) -> Health:
    """Liveness: what a client probes before taking a recovered server back.

    503 ``unavailable`` (with the reason) while the database is failing: it cannot be
    read, or writes to it failed and a write probe has not succeeded since.
    """
    fault = request.app.state.storage.health()
    if fault is not None:
        raise ApiError(
            ErrorCode.UNAVAILABLE,
            f"the database is failing: {fault.reason}",
            headers={"Retry-After": str(RETRY_AFTER)},
        )
    with db.read(ctx.engine) as conn:
        conn.exec_driver_sql("SELECT 1")
    return Health(status="ok", server_id=ctx.settings.effective_server_id)


def _address(request: Request) -> str | None:
    return request.client.host if request.client else None


@router.post(
    "/devices",
    status_code=201,
    response_model=RegistrationResult,
    responses=problems(429),
    tags=["devices"],
)
def register(body: Registration, request: Request, ctx: Ctx) -> RegistrationResult:
    """Sign a device in with login and password; returns its first token pair.

    Failed sign-ins are throttled per login and per client address (429); each
    attempt is counted before the password is checked, so concurrent guesses cannot
    get past the limit.
    """
    keys = keys_for(body.login, _address(request))
    throttle = throttle_of(ctx.settings)
    with counted_attempt(ctx.engine, keys, throttle, failed=_wrong_password) as attempt:
        user = check_password(ctx.engine, body.login, body.password)
        with db.write(ctx.engine) as conn:
            now = now_us()
            device_id, pair, role, account_id = register_device(
                conn,
                user,
                body,
                now=now,
                access_ttl_s=ctx.settings.access_ttl,
                server_id=ctx.settings.effective_server_id,
            )
            attempt.settle(conn, now=now)
    return RegistrationResult(
        device_id=device_id,
        account_id=account_id,
        role=role,
        access_token=pair.access_token,
        refresh_token=pair.refresh_token,
        expires_in=pair.expires_in,
        servers=_servers(request, ctx),
        component=ComponentInfo(version=offered_version(ctx.settings)),
    )


def _wrong_password(error: BaseException) -> bool:
    return isinstance(error, ApiError) and error.code is ErrorCode.UNAUTHORIZED


@router.post("/token", response_model=TokenResult, responses=problems(), tags=["devices"])
def refresh(body: TokenRefresh, request: Request, ctx: Ctx) -> TokenResult:
    """Rotate a refresh token into a new pair."""
    rejected: TokenRejected | None = None
    with db.write(ctx.engine) as conn:
        try:
            pair, _owner = rotate(
                conn, body.refresh_token, now=now_us(), access_ttl_s=ctx.settings.access_ttl
            )
        except TokenRejected as error:
            rejected = error  # caught inside: the transaction commits any revocation
    if rejected is not None:
        raise ApiError(ErrorCode.UNAUTHORIZED, str(rejected))
    return TokenResult(
        access_token=pair.access_token,
        refresh_token=pair.refresh_token,
        expires_in=pair.expires_in,
        servers=_servers(request, ctx),
    )


@router.get("/devices", response_model=list[DeviceInfo], responses=problems(), tags=["devices"])
def list_devices(caller: Caller, ctx: Ctx) -> list[dict[str, Any]]:
    """The caller's signed-in devices."""
    with db.read(ctx.engine) as conn:
        rows = conn.execute(
            select(devices)
            .where(devices.c.login == caller.login, devices.c.revoked_at.is_(None))
            .order_by(devices.c.created_at)
        ).all()
    return [
        DeviceInfo(
            device_id=row.device_id,
            name=row.name,
            platform=row.platform,
            created_at=from_us(row.created_at),
            last_seen=from_us(row.last_seen) if row.last_seen is not None else None,
            current=row.device_id == caller.device_id,
        ).model_dump(mode="json")
        for row in rows
    ]


@router.delete("/devices/{device_id}", status_code=204, responses=problems(404), tags=["devices"])
def sign_out(device_id: str, caller: Caller, ctx: Ctx) -> Response:
    """Sign a device out (this one, or another of the caller's); its tokens stop working."""
    with db.write(ctx.engine) as conn:
        sign_out_device(conn, caller, device_id, now=now_us())
    return Response(status_code=204)


@router.post("/password", status_code=204, responses=problems(403, 429, 503), tags=["devices"])
def password(body: PasswordChange, request: Request, caller: Caller, ctx: Ctx) -> Response:
    """Change the caller's password and sign out every other device of the login.

    A wrong ``old_password`` is 403 ``forbidden`` (the caller is signed in; its
    token stays valid) and counts as a failed sign-in for throttling (429).
    """
    change_password(
        ctx.engine, caller, body, address=_address(request), throttle=throttle_of(ctx.settings)
    )
    return Response(status_code=204)


@router.get("/account", response_model=Account, responses=problems(404), tags=["account"])
def get_account(caller: Caller, ctx: Ctx) -> Account:
    """The caller's account and its money figures."""
    if caller.account_id is None:
        raise ApiError(ErrorCode.NOT_FOUND, f"the {caller.role.value} login has no account")
    with db.read(ctx.engine) as conn:
        row = read_account(conn, caller.account_id)
    if row is None:
        raise ApiError(ErrorCode.NOT_FOUND, "the account does not exist")
    return account_view(row)
