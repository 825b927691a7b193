"""Registration, tokens, devices and passwords."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from .common import Request, Response, Timestamp

__all__ = [
    "ComponentInfo",
    "DeviceInfo",
    "PasswordChange",
    "Registration",
    "RegistrationResult",
    "Role",
    "TokenRefresh",
    "TokenResult",
]


class Role(StrEnum):
    """What a login may do."""

    USER = "user"
    SUPPORT = "support"
    OPERATOR = "operator"
    SERVICE = "service"


class Registration(Request):
    """``POST /v1/devices``: sign a device in."""

    login: str = Field(min_length=1, max_length=128)
    password: str = Field(min_length=1, max_length=1024)
    device_name: str = Field(min_length=1, max_length=128)
    platform: str = Field(min_length=1, max_length=64)


class ComponentInfo(Response):
    """The newest billing component the server offers."""

    version: str


class TokenResult(Response):
    """``POST /v1/token`` answer: a fresh token pair and the servers to use."""

    access_token: str
    refresh_token: str
    expires_in: int
    servers: list[str]


class RegistrationResult(TokenResult):
    """``POST /v1/devices`` answer."""

    device_id: str
    account_id: str | None
    role: Role
    component: ComponentInfo


class TokenRefresh(Request):
    """``POST /v1/token``: rotate a refresh token."""

    refresh_token: str = Field(min_length=1, max_length=512)


class DeviceInfo(Response):
    """One entry of ``GET /v1/devices``."""

    device_id: str
    name: str
    platform: str
    created_at: Timestamp
    last_seen: Timestamp | None
    current: bool


class PasswordChange(Request):
    """``POST /v1/password``."""

    old_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=8, max_length=1024)
