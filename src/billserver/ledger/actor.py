"""Who is making a call: the authenticated login, its device and this server."""

from __future__ import annotations

from dataclasses import dataclass

from billclient.protocol import Role

__all__ = ["Actor"]


@dataclass(frozen=True, slots=True)
class Actor:
    """The caller of a request (or the system, for jobs and imports)."""

    login: str
    role: Role
    account_id: str | None
    device_id: str | None
    server_id: str

    @property
    def scope(self) -> str:
        """The idempotency scope: the account for a user, the login otherwise."""
        if self.role is Role.USER and self.account_id is not None:
            return self.account_scope(self.account_id)
        return f"login:{self.login}"

    @staticmethod
    def account_scope(account_id: str) -> str:
        """The idempotency scope of the users of ``account_id``."""
        return f"account:{account_id}"

    @classmethod
    def system(cls, name: str, server_id: str) -> Actor:
        """A job of the server itself (reaper, import)."""
        return cls(
            login=f"system:{name}",
            role=Role.OPERATOR,
            account_id=None,
            device_id=None,
            server_id=server_id,
        )
