"""``BillingClient``: one profile's settings, credentials, server pool, API and events.

Front ends build on this facade::

    client = await BillingClient.open("default")     # or BillingClient.open(...) unawaited
    await client.sign_in(["https://billing.example"], "alice", password)
    account = await client.refresh_account()          # also published on Topic.ACCOUNT
    client.live.start()                               # BALANCE, SESSION, NOTICE, CONNECTION
    ...
    await client.aclose()

``BillingClient.open`` reads the settings file synchronously and returns the client;
awaiting the client (or :meth:`BillingClient.load`) also reads the tokens from the
keychain (in a worker thread), which otherwise happens on the first call.
"""

from __future__ import annotations

import contextlib
import logging
import platform
import socket
from collections.abc import Generator
from pathlib import Path
from typing import Any, Self
from urllib.parse import quote

import httpx

from billclient.protocol import Account, RegistrationResult, TokenResult

from .api import ApiClient
from .bus import EventBus, Topic
from .credentials import Credentials, KeyringStore, TokenSet, open_store
from .errors import (
    BillingError,
    InsecureServer,
    NotFound,
    NotSignedIn,
    SettingsError,
    Unauthorized,
)
from .live import LiveEvents
from .pool import ServerPool, tls_verification
from .server_check import explain_not_found
from .sessions import SessionRunner, runner_for
from .settings import ClientSettings, ProfilePaths
from .token_file import TokenFile
from .urls import check_server_url

__all__ = ["BillingClient"]

_log = logging.getLogger(__name__)


class BillingClient:
    """The client core of one profile."""

    def __init__(
        self,
        paths: ProfilePaths,
        settings: ClientSettings,
        *,
        bus: EventBus | None = None,
    ) -> None:
        self.paths = paths
        self._settings = settings
        self._bus = bus or EventBus()
        token_file = paths.token_file if settings.credential_store == "file" else None
        store, warning = open_store(settings.keyring_backend, token_file=token_file)
        self.keyring_warning: str | None = warning
        """Why tokens are kept in memory only for this run (None when they persist)."""
        self._pool = ServerPool(
            settings.servers,
            verify=tls_verification(settings.ca_file),
            timeout_for=lambda _method, _path: self._settings.timeout,
            bus=self._bus,
        )
        self._credentials = Credentials(paths, store, settings.device_id)
        self._api = ApiClient(self._pool, self._credentials, on_tokens=self._token_answer)
        self._live = LiveEvents(self._pool, self._credentials, self._api.refresh_tokens, self._bus)
        self._runner: SessionRunner | None = None

    @classmethod
    def open(
        cls, profile: str = "default", *, home: Path | None = None, bus: EventBus | None = None
    ) -> Self:
        """The client of ``profile`` (directories under ``home`` or ``BILLCLIENT_HOME``)."""
        paths = ProfilePaths.for_profile(profile, home)
        return cls(paths, ClientSettings.load(paths), bus=bus)

    async def load(self) -> Self:
        """Read the tokens from the keychain now; returns the client."""
        await self._credentials.tokens()
        return self

    def __await__(self) -> Generator[Any, None, Self]:
        return self.load().__await__()

    async def __aenter__(self) -> Self:
        return await self.load()

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()

    # -- parts --------------------------------------------------------------------------

    @property
    def settings(self) -> ClientSettings:
        """The profile's settings (the file's contents)."""
        return self._settings

    @property
    def api(self) -> ApiClient:
        """Every protocol call."""
        return self._api

    @property
    def pool(self) -> ServerPool:
        """The servers and failover."""
        return self._pool

    @property
    def bus(self) -> EventBus:
        """The core's events."""
        return self._bus

    @property
    def live(self) -> LiveEvents:
        """The live event stream (start it to receive events)."""
        return self._live

    @property
    def credentials(self) -> Credentials:
        """The profile's tokens."""
        return self._credentials

    @property
    def runner(self) -> SessionRunner:
        """The profile's one session runner, shared by every front end of this process
        (its journal lives in the profile's data dir)."""
        if self._runner is None:
            self._runner = runner_for(self)
        return self._runner

    def close_runner(self) -> None:
        """Close the runner's journal (sign-out, shutdown); stop its sessions first.
        The next use of :attr:`runner` opens it again."""
        if self._runner is not None:
            self._runner.close()
            self._runner = None

    @property
    def tokens_persist(self) -> bool:
        """True when the tokens outlive this process (keychain or token file)."""
        return self._credentials.persistent

    def use_file_store(self) -> None:
        """Keep this profile's tokens in its 0600 token file from now on.

        The person's explicit choice where no keychain exists; the setting
        (``credential_store = "file"``) is saved with the next sign-in.
        """
        self._settings.credential_store = "file"
        self._credentials.store = KeyringStore(TokenFile(self.paths.token_file))
        self.keyring_warning = None

    @property
    def signed_in(self) -> bool:
        """True when this profile has a device (and, once read, its tokens)."""
        if self._settings.device_id is None:
            return False
        return not self._credentials.loaded or self._credentials.cached is not None

    # -- operations ---------------------------------------------------------------------

    async def sign_in(
        self,
        servers: list[str],
        login: str,
        password: str,
        device_name: str | None = None,
    ) -> RegistrationResult:
        """Register this device with ``login`` on ``servers`` (primary first).

        The tokens go to the keychain (or the profile's token file); servers, device
        and account to the settings. A device this profile had before is signed out
        first (best effort). When the tokens or the settings cannot be stored, the new
        device is deleted on the server again and the error raised.
        """
        checked = [check_server_url(url) for url in servers]
        if not checked:
            raise SettingsError("give at least one server URL")
        await self._live.stop()
        if self._settings.device_id is not None:
            with contextlib.suppress(BillingError):
                await self._api.sign_out()
        self._pool.set_servers(checked)
        try:
            result = await self._api.register(
                login, password, device_name or _device_name(), _platform()
            )
        except NotFound as error:
            raise await explain_not_found(self._pool, error) from None
        settings = self._settings.model_copy(deep=True)
        settings.user_servers = list(dict.fromkeys(checked))
        settings.merge_servers(_acceptable(result.servers))
        settings.device_id = result.device_id
        settings.account_id = result.account_id
        settings.role = result.role
        settings.login = login
        try:
            await self._credentials.set(result.device_id, TokenSet.from_result(result))
            settings.save(self.paths)
        except BillingError:
            # the sign-in cannot be kept: do not leave a device behind that nobody can use
            with contextlib.suppress(BillingError):
                await self._credentials.clear()
            self._credentials.device_id = self._settings.device_id
            with contextlib.suppress(BillingError, httpx.HTTPError):
                await self._pool.request(
                    "DELETE",
                    f"/v1/devices/{quote(result.device_id, safe='')}",
                    headers={"Authorization": f"Bearer {result.access_token}"},
                )
            raise
        self._settings = settings
        self._pool.set_servers(settings.servers)
        return result

    async def sign_out(self) -> None:
        """Delete this device on the server and forget it here.

        The local tokens and device are forgotten even when the server cannot be
        reached; that error is raised afterwards (the device may still be listed).
        """
        await self._live.stop()
        failure: BillingError | None = None
        if self._settings.device_id is not None:
            try:
                await self._api.sign_out()
            except (NotSignedIn, Unauthorized, NotFound):
                pass  # already signed out on the server
            except BillingError as error:
                failure = error
        await self._credentials.clear()
        settings = self._settings.model_copy(deep=True)
        settings.device_id = None
        settings.account_id = None
        settings.role = None
        settings.save(self.paths)
        self._settings = settings
        self._credentials.device_id = None
        if failure is not None:
            raise failure

    def set_language(self, language: str | None) -> None:
        """Keep the GUI's language in the profile's settings (None: the system's)."""
        settings = self._settings.model_copy(deep=True)
        settings.language = language
        settings.save(self.paths)
        self._settings = settings

    async def refresh_account(self) -> Account:
        """Read the account and publish it on ``Topic.ACCOUNT``.

        A ``balance`` event that arrives while the read is on its way may be the newer
        of the two (the read can have left the server before the change committed);
        then the account keeps the event's figures. Either way the figures converge: the
        stream delivers every change after the last event it sent.
        """
        before = self._live.last_balance
        account = await self._api.account()
        pushed = self._live.last_balance
        if pushed is not None and pushed is not before:
            account = account.model_copy(
                update={
                    "balance": pushed.balance,
                    "reserved": pushed.reserved,
                    "available": pushed.available,
                }
            )
        self._bus.publish(Topic.ACCOUNT, account)
        return account

    async def aclose(self) -> None:
        """Stop the live events and probes, close the connections."""
        await self._live.stop()
        self.close_runner()
        await self._pool.aclose()

    def _token_answer(self, result: TokenResult) -> None:
        """A token answer lists the servers: keep the client's list up to date.

        Runs under the profile's credentials lock; the file is re-read first so that
        a change another process made (a sign-out, a setting) is not overwritten.
        """
        try:
            settings = ClientSettings.load(self.paths)
        except SettingsError:
            settings = self._settings.model_copy(deep=True)
        if settings.device_id != self._settings.device_id:
            return  # the profile was signed out or in again elsewhere meanwhile
        if settings.merge_servers(_acceptable(result.servers)):
            settings.save(self.paths)
        if settings.servers != self._settings.servers:
            self._settings.servers = settings.servers
            self._settings.user_servers = settings.user_servers
            self._pool.set_servers(settings.servers)


def _acceptable(advertised: list[str]) -> list[str]:
    """The advertised servers this client may use (plain http elsewhere is dropped)."""
    kept = []
    for url in advertised:
        try:
            kept.append(check_server_url(url))
        except InsecureServer as error:
            _log.warning("ignoring an advertised server: %s", error)
    return kept


def _device_name() -> str:
    return (socket.gethostname() or "device")[:128]


def _platform() -> str:
    return f"{platform.system() or 'unknown'} billclient"[:64]
