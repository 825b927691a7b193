"""Typed server settings: command-line flags > environment (``BILLSERVER_*``) > defaults."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Self

from pydantic import BeforeValidator, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from billclient.protocol.money import format_money, parse_money
from billclient.protocol.versions import BUNDLED_COMPONENT_VERSION

from .db import default_db_url

__all__ = ["MIB", "HttpLimits", "ServerSettings"]

MIB = 1024 * 1024


def _money_setting(value: Any) -> Any:
    """A money setting: a decimal string ("1.00") as micro-units; an int is micro-units."""
    return parse_money(value.strip()) if isinstance(value, str) else value


MoneySetting = Annotated[int, BeforeValidator(_money_setting)]


class HttpLimits(BaseSettings):
    """Per-request limits of an HTTP server (part of its settings)."""

    max_body_bytes: int = Field(
        default=MIB, ge=1024, description="Largest request body, bytes (413 above it)"
    )
    header_timeout: float = Field(
        default=10.0, gt=0, description="Seconds a request's headers may take to arrive"
    )
    body_timeout: float = Field(
        default=30.0, gt=0, description="Seconds a request's body may take after its headers"
    )
    keep_alive_timeout: int = Field(
        default=20,
        ge=1,
        description="Seconds an idle keep-alive connection stays open: longer than the "
        "clients' own idle expiry (httpx: 5 s), so that a client never sends a request on a "
        "connection the server is closing",
    )


class ServerSettings(HttpLimits):
    """Everything a billing server process needs to know (and :class:`HttpLimits`:
    body size, header, body and keep-alive timeouts)."""

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
    heartbeat_interval: float = Field(
        default=15.0, gt=0, description="Seconds of silence before an event stream's heartbeat"
    )
    events_poll_interval: float = Field(
        default=0.25, gt=0, description="Seconds between an event stream's reads of the table"
    )
    # hostile or broken clients (web/limits.py, events/guard.py): what one request may cost
    max_batch_body_bytes: int = Field(
        default=32 * MIB,
        ge=1024,
        description="Largest body of POST /v1/integration/events (100,000 events)",
    )
    events_recheck_interval: float = Field(
        default=5.0,
        gt=0,
        description="Seconds between checks that an event stream's token is still valid",
    )
    events_max_per_login: int = Field(
        default=8,
        ge=1,
        description="Event streams one login may hold open in this process (the oldest "
        "is closed for a new one)",
    )
    events_max_streams: int = Field(
        default=1000, ge=1, description="Event streams this process holds open at most (503)"
    )
    forwarded_allow_ips: str = Field(
        default="",
        description="Comma-separated proxy addresses (or networks) whose X-Forwarded-For "
        "names the client; empty (the default): the connection's address is the client's",
    )
    late_usage_hours: float = Field(default=24.0, ge=0)
    component_version: str = BUNDLED_COMPONENT_VERSION
    # signed component updates (components/): the TUF repository every server serves
    updates_repo: Path | None = Field(
        default=None,
        description="Component update repository (TUF) served under /v1/updates/; "
        "one directory shared by all server processes",
    )
    updates_timestamp_key: Path | None = Field(
        default=None,
        description="Timestamp key file: when set, this server re-signs the timestamp "
        "metadata on a schedule (under the deployment lease)",
    )
    updates_timestamp_lifetime: float = Field(
        default=86400.0, gt=0, description="Seconds a re-signed timestamp stays valid"
    )
    updates_resign_interval: float = Field(
        default=60.0, gt=0, description="Seconds between checks whether to re-sign"
    )
    log_requests: bool = True
    # sign-in throttling (accounts/throttle.py), per login and per client address, and
    # wrong voucher codes per account
    signin_max_failures: int = Field(
        default=5, ge=1, description="Failed sign-ins of one login within the window before a block"
    )
    signin_address_max_failures: int = Field(
        default=50,
        ge=1,
        description="Failed sign-ins from one client address (any login) before a block",
    )
    voucher_max_failures: int = Field(
        default=10, ge=1, description="Wrong voucher codes of one account before a block"
    )
    signin_window: float = Field(default=300.0, gt=0, description="Failure window, seconds")
    signin_block: float = Field(default=60.0, gt=0, description="First block, seconds (doubles)")
    signin_max_block: float = Field(default=3600.0, gt=0, description="Longest block, seconds")
    # operations: metrics listener (off unless a port is given) and retention
    metrics_host: str = "127.0.0.1"
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    keep_idempotency_hours: float = Field(
        default=48.0, ge=24, description="Idempotency keys are kept at least 24 h (PROTOCOL.md)"
    )
    keep_events_days: float = Field(default=30.0, ge=0, description="0 keeps events forever")
    keep_audit_days: float = Field(default=400.0, ge=0, description="0 keeps audit rows forever")
    retention_interval: float = Field(
        default=600.0, gt=0, description="Seconds between retention runs"
    )
    # funding (topups/): card amount bounds, reconciliation, the sandbox card network
    card_min: MoneySetting = Field(
        default=1_000_000, gt=0, description='Smallest card top-up ("1.00" = 1_000_000)'
    )
    card_max: MoneySetting = Field(
        default=1_000_000_000, gt=0, description='Largest card top-up ("1000.00")'
    )
    reconcile_interval: float = Field(
        default=2.0, gt=0, description="Seconds between reconciliations of pending top-ups"
    )
    sandbox_settle_after: float = Field(
        default=3.0, ge=0, description="Sandbox: seconds until a tok_timeout charge succeeds"
    )
    # billing jobs (operations/jobs.py): invoices, application charges, auto top-up
    invoice_schedule: bool = Field(
        default=True, description="Run invoice rounds in the server (off: use the CLI from cron)"
    )
    invoice_interval: float = Field(
        default=3600.0, gt=0, description="Seconds between scheduled invoice runs"
    )
    invoice_due_days: int = Field(default=14, ge=0, description="Days until an invoice is due")
    charge_ttl: float = Field(
        default=300.0, gt=0, description="Seconds an uncommitted application charge stays reserved"
    )
    autotopup_interval: float = Field(
        default=2.0, gt=0, description="Seconds between auto top-up rounds"
    )

    # metering gateway (gateway/billing_side/access.py): where gateway-served sessions are
    # consumed, the secret shared with the gateway, and when its counts are a mismatch
    gateway_url: str | None = Field(
        default=None, description="URL of the metering gateway handed to gateway-served sessions"
    )
    gateway_secret: str | None = Field(
        default=None,
        min_length=16,
        description="Secret shared by the billing servers and the gateway: the gateway "
        "authenticates with it, and session gateway tokens are signed with it",
    )
    gateway_tolerance: float = Field(
        default=0.02, ge=0, description="Gateway vs client units: allowed relative difference"
    )
    gateway_tolerance_units: int = Field(
        default=2, ge=0, description="Gateway vs client units: allowed absolute difference"
    )

    @model_validator(mode="after")
    def _gateway(self) -> Self:
        if self.gateway_url is not None and self.gateway_secret is None:
            raise ValueError("a gateway URL needs a gateway secret (--gateway-secret)")
        return self

    @model_validator(mode="after")
    def _updates(self) -> Self:
        if self.updates_timestamp_key is not None and self.updates_repo is None:
            raise ValueError("updates_timestamp_key needs updates_repo (the repository to re-sign)")
        return self

    @model_validator(mode="after")
    def _card_bounds(self) -> Self:
        if self.card_min > self.card_max:
            raise ValueError(
                f"card_min {format_money(self.card_min)} is above "
                f"card_max {format_money(self.card_max)}"
            )
        return self

    @property
    def effective_server_id(self) -> str:
        """The id CDRs name for this process."""
        return self.server_id or f"{self.host}:{self.port}"
