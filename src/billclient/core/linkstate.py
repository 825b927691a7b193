"""The states the connection indicator shows: the live stream's and the server pool's.

Plain values without I/O (no httpx, no pydantic), so that the graphical client can
draw its first window before the rest of the core is imported; :mod:`.live` and
:mod:`.pool` publish them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

__all__ = ["ConnectionState", "LinkStatus", "PoolState"]


class LinkStatus(StrEnum):
    """The live connection's state."""

    LIVE = "live"
    RECONNECTING = "reconnecting"
    OFFLINE = "offline"


@dataclass(frozen=True)
class ConnectionState:
    """Live, reconnecting or offline, since when, with which server, and why."""

    status: LinkStatus
    since: datetime
    server: str | None = None
    detail: str | None = None


@dataclass(frozen=True)
class PoolState:
    """Which server is in use, since when, and when a call last succeeded."""

    server: str | None
    primary: bool
    since: datetime
    last_success: datetime | None
