"""What shapes every session of a server process, built once when the application starts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from ..accounts import LockOrder
from ..config import ServerSettings
from ..plans import RateCache

__all__ = ["Policy", "SessionPolicy", "session_policy"]

_US = 1_000_000


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    """Server settings that shape sessions, and the process's caches the update path uses:
    plan versions' rates (they never change) and the lock order of accounts and tokens."""

    late_usage_us: int
    server_id: str
    rates: RateCache = field(default_factory=RateCache)
    order: LockOrder = field(default_factory=LockOrder)

    @classmethod
    def of(cls, settings: ServerSettings) -> SessionPolicy:
        """The policy of a server with ``settings``."""
        return cls(
            late_usage_us=int(settings.late_usage_hours * 3600 * _US),
            server_id=settings.effective_server_id,
        )


async def session_policy(request: Request) -> SessionPolicy:
    """The application's session policy (``app.state.session_policy``, set by create_app)."""
    policy: SessionPolicy = request.app.state.session_policy
    return policy


Policy = Annotated[SessionPolicy, Depends(session_policy)]
"""A route's session policy."""
