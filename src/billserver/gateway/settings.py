"""Settings of the metering gateway: flags > environment (``BILLSERVER_GATEWAY_*``) > defaults."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from ..config import HttpLimits

__all__ = ["GatewaySettings"]


class GatewaySettings(HttpLimits):
    """Everything a gateway process needs to know (and :class:`HttpLimits`).

    ``secret`` is the billing servers' ``gateway_secret``: both read
    ``BILLSERVER_GATEWAY_SECRET``, so one variable configures a whole deployment.
    """

    model_config = SettingsConfigDict(env_prefix="BILLSERVER_GATEWAY_", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=8701, ge=0, le=65535)
    billing: list[str] = Field(min_length=1, description="Billing server URLs, primary first")
    secret: str = Field(min_length=16, description="The deployment's gateway secret")
    files: Path | None = Field(default=None, description="Directory the download service serves")
    gateway_id: str | None = Field(default=None, description="Default: host:port")
    poll_interval: float = Field(
        default=0.25, gt=0, le=0.5, description="Seconds between reads of the sessions' state"
    )
    report_interval: float = Field(
        default=1.0, gt=0, description="Seconds between reports of served counts"
    )
    request_timeout: float = Field(
        default=1.0, gt=0, description="Seconds a billing server gets before the next is tried"
    )
    stall_factor: float = Field(
        default=2.0,
        gt=0,
        description="Pause a session whose client sent no update for this many update intervals",
    )

    @field_validator("billing")
    @classmethod
    def _urls(cls, urls: list[str]) -> list[str]:
        for url in urls:
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"{url!r} is not an http:// or https:// URL")
        return urls

    @property
    def effective_id(self) -> str:
        """The id the billing server records with this gateway's counts."""
        return self.gateway_id or f"{self.host}:{self.port}"
