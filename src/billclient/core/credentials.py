"""Tokens: kept in the OS keychain (service ``billclient``), refreshed before expiry.

The keychain holds only the token pair (one JSON secret per profile and device);
server URLs and the device id are in the settings file. The backend is the one the
user chose (``PYTHON_KEYRING_BACKEND``, the ``keyring_backend`` setting, or keyring's
own config file); when nothing was chosen and only an insecure backend would be
picked (a plain file of keyrings.alt, or none at all), the tokens are kept in memory
for this run only, and the front end says so (``BillingClient.keyring_warning``).
Where no keychain exists the person may choose a file of the profile instead
(``credential_store = "file"``, set by ``billclient login --store-in-file``:
:mod:`billclient.core.token_file`).

Refresh tokens rotate, and a used one presented again later revokes the device. So
every client process of a profile (the GUI and a CLI at once) refreshes under one
file lock, and re-reads the store after taking it: when another process already
rotated the pair, its result is used instead of refreshing again.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import filelock
import keyring.backend
import keyring.core
import keyring.errors
from keyring.backend import KeyringBackend

from billclient.protocol import TokenResult

from .errors import CredentialsUnavailable, DeviceRevoked, NotSignedIn
from .settings import ProfilePaths
from .token_file import TokenFile

__all__ = [
    "KEYRING_SERVICE",
    "LOCK_TIMEOUT",
    "Credentials",
    "KeyringStore",
    "MemoryStore",
    "SecretBackend",
    "TokenSet",
    "TokenStore",
    "choose_backend",
    "is_insecure_backend",
    "open_store",
]

KEYRING_SERVICE = "billclient"
LOCK_TIMEOUT = 30.0
"""Seconds to wait for another process of the profile to finish refreshing."""

_INSECURE_MODULES = ("keyrings.alt", "keyring.backends.fail", "keyring.backends.null")

Refresher = Callable[[str], Awaitable[TokenResult]]
"""Exchanges a refresh token for a new pair (``POST /v1/token``)."""


@dataclass(frozen=True)
class TokenSet:
    """An access token, its refresh token, and when the access token expires."""

    access_token: str
    refresh_token: str
    expires_at: float
    """Seconds since the epoch (this machine's clock)."""
    lifetime: float
    """The access token's lifetime as issued, seconds."""

    @classmethod
    def from_result(cls, result: TokenResult, *, now: float | None = None) -> TokenSet:
        """The pair of a token answer; expiry from ``expires_in`` and the local clock."""
        issued = time.time() if now is None else now
        return cls(
            result.access_token,
            result.refresh_token,
            issued + result.expires_in,
            float(result.expires_in),
        )

    def expiring(self, now: float | None = None) -> bool:
        """True when the access token expires within the margin (a fifth of it, <= 60 s)."""
        current = time.time() if now is None else now
        margin = min(60.0, self.lifetime / 5)
        return current >= self.expires_at - margin

    def to_secret(self) -> str:
        """The keychain secret."""
        return json.dumps(
            {
                "access_token": self.access_token,
                "refresh_token": self.refresh_token,
                "expires_at": self.expires_at,
                "lifetime": self.lifetime,
            }
        )

    @classmethod
    def from_secret(cls, secret: str) -> TokenSet | None:
        """The pair stored by :meth:`to_secret`; None if the secret is not one."""
        try:
            data = json.loads(secret)
            return cls(
                str(data["access_token"]),
                str(data["refresh_token"]),
                float(data["expires_at"]),
                float(data["lifetime"]),
            )
        except (ValueError, KeyError, TypeError):
            return None

    def __repr__(self) -> str:  # never show tokens in logs or tracebacks
        return f"TokenSet(expires_at={self.expires_at!r}, lifetime={self.lifetime!r})"


class TokenStore(Protocol):
    """Where a profile's token pair is kept (blocking calls)."""

    persistent: bool
    """False when the tokens live only in this process's memory."""

    def load(self, account: str) -> TokenSet | None: ...
    def save(self, account: str, tokens: TokenSet) -> None: ...
    def delete(self, account: str) -> None: ...


class SecretBackend(Protocol):
    """What :class:`KeyringStore` needs of a keyring backend (or of a token file)."""

    def get_password(self, service: str, username: str) -> str | None: ...
    def set_password(self, service: str, username: str, password: str) -> None: ...
    def delete_password(self, service: str, username: str) -> None: ...


class KeyringStore:
    """Tokens in a keyring backend (or the profile's token file), service ``billclient``."""

    persistent = True

    def __init__(self, backend: SecretBackend) -> None:
        self.backend = backend

    def load(self, account: str) -> TokenSet | None:
        """The stored pair, or None."""
        try:
            secret = self.backend.get_password(KEYRING_SERVICE, account)
        except keyring.errors.KeyringError as error:
            raise _unavailable(error) from None
        return TokenSet.from_secret(secret) if secret else None

    def save(self, account: str, tokens: TokenSet) -> None:
        """Store (replace) the pair."""
        try:
            self.backend.set_password(KEYRING_SERVICE, account, tokens.to_secret())
        except keyring.errors.KeyringError as error:
            raise _unavailable(error) from None

    def delete(self, account: str) -> None:
        """Forget the pair (no error if there is none)."""
        try:
            self.backend.delete_password(KEYRING_SERVICE, account)
        except keyring.errors.PasswordDeleteError:
            pass
        except keyring.errors.KeyringError as error:
            raise _unavailable(error) from None


class MemoryStore:
    """Tokens in memory only: for a run where no secure keychain is available."""

    persistent = False

    def __init__(self) -> None:
        self._tokens: dict[str, TokenSet] = {}

    def load(self, account: str) -> TokenSet | None:
        """The pair kept in this process, or None."""
        return self._tokens.get(account)

    def save(self, account: str, tokens: TokenSet) -> None:
        """Keep the pair for this run."""
        self._tokens[account] = tokens

    def delete(self, account: str) -> None:
        """Forget the pair."""
        self._tokens.pop(account, None)


def _unavailable(error: Exception) -> CredentialsUnavailable:
    detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return CredentialsUnavailable(f"the keychain cannot be used: {detail}")


def is_insecure_backend(backend: KeyringBackend) -> bool:
    """True for backends that keep secrets readable on disk, or nowhere at all."""
    from keyring.backends.chainer import ChainerBackend

    if isinstance(backend, ChainerBackend):
        chained = list(backend.backends)
        return not chained or any(is_insecure_backend(item) for item in chained)
    return type(backend).__module__.startswith(_INSECURE_MODULES)


def choose_backend(explicit: str | None) -> tuple[KeyringBackend | None, str | None]:
    """The keyring backend to use, or None with the reason to keep tokens in memory.

    ``explicit`` (the ``keyring_backend`` setting) or ``PYTHON_KEYRING_BACKEND`` or
    keyring's config file name a backend the user chose; it is used as is. Otherwise
    keyring's best guess is used unless it is insecure.
    """
    name = (explicit or os.environ.get("PYTHON_KEYRING_BACKEND") or "").strip()
    if name:
        try:
            return keyring.core.load_keyring(name), None
        except Exception as error:
            raise CredentialsUnavailable(
                f"cannot use the keyring backend {name!r}: {str(error) or type(error).__name__}"
            ) from None
    try:
        configured = keyring.core.load_config()
    except Exception as error:
        raise CredentialsUnavailable(f"keyring's configuration cannot be used: {error}") from None
    if configured is not None:
        return configured, None
    best = max(keyring.backend.get_all_keyring(), key=keyring.backend.by_priority, default=None)
    if best is None or is_insecure_backend(best):
        what = (
            "no keychain" if best is None else f"only an insecure keychain ({type(best).__name__})"
        )
        return None, (
            f"{what} is available, so the sign-in is kept in memory for this run only; to "
            "keep it, sign in with --store-in-file (a file only you can read), or choose a "
            "keychain with PYTHON_KEYRING_BACKEND or the keyring_backend setting"
        )
    return best, None


def open_store(
    explicit: str | None, *, token_file: Path | None = None
) -> tuple[TokenStore, str | None]:
    """A token store, and a warning (for the front end to show) when it is memory only.

    ``token_file`` (the profile chose ``credential_store = "file"``) keeps the tokens
    in that file; otherwise the keychain chosen by ``explicit`` (the
    ``keyring_backend`` setting), the environment or keyring's own configuration.
    """
    if token_file is not None:
        return KeyringStore(TokenFile(token_file)), None
    backend, warning = choose_backend(explicit)
    if backend is None:
        return MemoryStore(), warning
    return KeyringStore(backend), None


class Credentials:
    """A profile's token pair: loaded, stored, and refreshed under the profile's lock."""

    def __init__(self, paths: ProfilePaths, store: TokenStore, device_id: str | None) -> None:
        self.paths = paths
        self.store = store
        self.device_id = device_id
        self._tokens: TokenSet | None = None
        self._loaded = False
        self._local = asyncio.Lock()
        paths.ensure()
        self._file_lock = filelock.FileLock(
            str(paths.lock_file), timeout=LOCK_TIMEOUT, thread_local=False
        )

    @property
    def account(self) -> str | None:
        """The keychain entry's user name: profile and device."""
        if self.device_id is None:
            return None
        return f"{self.paths.profile}/{self.device_id}"

    @property
    def loaded(self) -> bool:
        """True once the keychain was read."""
        return self._loaded

    @property
    def cached(self) -> TokenSet | None:
        """The pair as last read or stored (no keychain access)."""
        return self._tokens

    @property
    def persistent(self) -> bool:
        """False when tokens live only in memory for this run."""
        return self.store.persistent

    async def tokens(self) -> TokenSet | None:
        """The current pair (read from the keychain the first time), or None."""
        if not self._loaded:
            account = self.account
            self._tokens = (
                None if account is None else await asyncio.to_thread(self.store.load, account)
            )
            self._loaded = True
        return self._tokens

    async def access_token(self, refresher: Refresher) -> str:
        """A valid access token, refreshed first if it is about to expire."""
        tokens = await self.tokens()
        if tokens is None:
            raise NotSignedIn("this profile is not signed in; sign in first")
        if tokens.expiring():
            tokens = await self.refresh(refresher, tokens)
        return tokens.access_token

    async def refresh(self, refresher: Refresher, stale: TokenSet | None = None) -> TokenSet:
        """Rotate the pair, unless another task or process already did since ``stale``.

        ``stale`` is the pair the caller found wanting (expiring, or refused with 401).
        """
        async with self._local:
            current = self._tokens
            if current is not None and stale is not None and current != stale:
                return current  # another task of this process refreshed meanwhile
            async with self._locked():
                account = self.account
                if account is None:
                    raise NotSignedIn("this profile is not signed in; sign in first")
                latest = await asyncio.to_thread(self.store.load, account)
                if latest is None:
                    self._tokens = None
                    raise NotSignedIn("this profile is not signed in any more; sign in again")
                moved = stale is not None and latest.refresh_token != stale.refresh_token
                if moved and not latest.expiring():
                    self._tokens = latest  # another process rotated the pair
                    return latest
                try:
                    result = await refresher(latest.refresh_token)
                except DeviceRevoked:
                    await asyncio.to_thread(self.store.delete, account)
                    self._tokens = None
                    raise
                fresh = TokenSet.from_result(result)
                await asyncio.to_thread(self.store.save, account, fresh)
                self._tokens = fresh
                self._loaded = True
                return fresh

    async def set(self, device_id: str, tokens: TokenSet) -> None:
        """Store a new device's pair (after sign-in)."""
        async with self._local, self._locked():
            old = self.account
            account = f"{self.paths.profile}/{device_id}"
            await asyncio.to_thread(self.store.save, account, tokens)
            self.device_id = device_id
            if old is not None and old != account:
                await asyncio.to_thread(self.store.delete, old)
            self._tokens = tokens
            self._loaded = True

    async def clear(self) -> None:
        """Forget the pair here and in the keychain."""
        async with self._local, self._locked():
            account = self.account
            if account is not None:
                await asyncio.to_thread(self.store.delete, account)
            self._tokens = None
            self._loaded = True

    def _locked(self) -> _FileLockContext:
        return _FileLockContext(self._file_lock)


class _FileLockContext:
    """Takes a (blocking) file lock in a worker thread, so the event loop keeps running."""

    def __init__(self, lock: filelock.FileLock) -> None:
        self._lock = lock

    async def __aenter__(self) -> None:
        try:
            await asyncio.to_thread(self._lock.acquire)
        except filelock.Timeout:
            raise CredentialsUnavailable(
                f"another billclient process has held {self._lock.lock_file} for "
                f"{LOCK_TIMEOUT:g} s; try again"
            ) from None

    async def __aexit__(self, *_exc: object) -> None:
        await asyncio.to_thread(self._lock.release)
