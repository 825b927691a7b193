"""What a command runs with: the profile's client, the runner, output, confirmation."""

from __future__ import annotations

import argparse
import sys

from billclient.core.client import BillingClient
from billclient.core.errors import NotSignedIn
from billclient.core.sessions import SessionRunner
from billclient.core.settings import ProfilePaths

from .exits import CONFIRM, CliError
from .output import Output

__all__ = ["Context"]


class Context:
    """Per-command state; ``await close()`` when done."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.profile: str = args.profile
        self.out = Output(as_json=bool(args.json))
        self.yes: bool = bool(getattr(args, "yes", False))
        self._client: BillingClient | None = None
        self._runner: SessionRunner | None = None

    @property
    def paths(self) -> ProfilePaths:
        """The profile's directories."""
        return ProfilePaths.for_profile(self.profile)

    async def client(self, *, signed_in: bool = True) -> BillingClient:
        """The profile's client (signed in, unless ``signed_in`` is False)."""
        if self._client is None:
            self._client = await BillingClient.open(self.profile)
        if signed_in and not self._client.tokens_persist:
            raise NotSignedIn(
                f"profile {self.profile!r} is not signed in: no keychain is available here; "
                "sign in with billclient login --store-in-file (or choose a keychain with "
                "PYTHON_KEYRING_BACKEND)"
            )
        if signed_in and not self._client.signed_in:
            raise NotSignedIn(
                f"profile {self.profile!r} is not signed in: run billclient login --server URL "
                "--user LOGIN"
            )
        return self._client

    async def runner(self) -> SessionRunner:
        """The session runner of the profile (journal under its data dir)."""
        if self._runner is None:
            self._runner = (await self.client()).runner
        return self._runner

    def confirm(self, question: str) -> None:
        """Ask ``question`` (y/N) on a terminal; without one, refuse unless --yes."""
        if self.yes:
            return
        if not sys.stdin.isatty():
            raise CliError(f"{question} -- no terminal to confirm on: pass --yes", CONFIRM)
        self.out.end_live()
        answer = input(f"{question} [y/N] ").strip().lower()
        if answer not in ("y", "yes"):
            raise CliError("not confirmed; nothing was done", CONFIRM)

    async def close(self) -> None:
        """Release the client and the journal."""
        if self._client is not None:
            await self._client.aclose()
