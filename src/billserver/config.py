"""Typed server settings: command-line flags > environment (``BILLSERVER_*``) > defaults."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from billclient.protocol.versions import BUNDLED_COMPONENT_VERSION

from .db import default_db_url

__all__ = ["ServerSettings"]


class ServerSettings(BaseSettings):
    """Everything a billing server process needs to know."""

    model_config = SettingsConfigDict(env_prefix="BILLSERVER_", frozen=True)

    db_url: str = Field(default_factory=default_db_url, description="SQLAlchemy URL")
    host: str = "127.0.0.1"
    port: int = Field(default=8700, ge=0, le=65535)
    server_id: str | None = Field(default=None, description="Default: host:port")
    catalog: Path | None = Field(default=None, description="Catalogue to import on start")
    advertise: list[str] = Field(
        default_factory=list,
        description="Server URLs clients may fail over to, primary first "
        "(default: the URL the client reached)",
    )
    access_ttl: int = Field(default=900, ge=1, description="Access token lifetime, seconds")
    reaper_interval: float = Field(default=1.0, gt=0, description="Seconds between reaper runs")
    late_usage_hours: float = Field(default=24.0, ge=0)
    component_version: str = BUNDLED_COMPONENT_VERSION
    log_requests: bool = True

    @property
    def effective_server_id(self) -> str:
        """The id CDRs name for this process."""
        return self.server_id or f"{self.host}:{self.port}"
