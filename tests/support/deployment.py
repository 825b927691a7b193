"""One billing server on a test module's database, and the month boundaries billing
tests use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .api import Api
from .fixtures import ServerFactory
from .servers import ServerProcess

__all__ = ["Deployment", "months"]


@dataclass(frozen=True)
class Deployment:
    """A started server and the factory of its database."""

    server: ServerProcess
    factory: ServerFactory

    def api(self, login: str) -> Api:
        """A client signed in as ``login`` on the server."""
        return Api(self.server.url, login)


def months() -> tuple[str, str, datetime]:
    """This month and the previous one (UTC, plan std's zone), and an instant in the latter."""
    now = datetime.now(UTC)
    first = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    before = first - timedelta(days=1)
    return now.strftime("%Y-%m"), before.strftime("%Y-%m"), before.replace(hour=12)
