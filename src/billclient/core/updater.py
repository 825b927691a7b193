"""Signed updates of the billing component, with python-tuf's ngclient.

Trust: the root of trust is TUF root metadata. The updater uses, in order, the
root it already trusts (``data_dir/component/tuf/metadata/root.json``, kept
current by ngclient through signed root rotations), the root shipped with the
client (``resources/component-root.json``, when the build includes one), or a
root pinned at the first registration (:func:`pin_root`, trust on first use over
the same TLS connection the sign-in used). Without any root it refuses to update.

:meth:`ComponentUpdater.apply`: refresh the metadata (root -> timestamp ->
snapshot -> targets, each signature, version and expiry checked by ngclient),
read the signed ``latest.json``, download the archive (length and hash checked),
unpack it into ``data_dir/component/versions/<V>``, wait until no session runs
(``sessions_idle``), switch the pointer atomically, import the new version and
run its self-test; on any failure the pointer goes back to the previous version
and the result says why. Blocking TUF calls run in a worker thread.

Fetching: ngclient builds URLs from one base; the updater gives it
:data:`UPDATES_BASE`, a placeholder, and :class:`ServerFetcher` maps each URL onto the
servers the client knows (current first), with the client's TLS verification. A
connect error, a timeout or a 5xx answer moves on to the next server; any other HTTP
error is the answer (TUF treats a 404 of ``N.root.json`` as "no newer root").

For the CLI (``billclient update [--check]``): :func:`check_for_update` and
:func:`apply_update` return an :class:`UpdateResult` with a one-line ``message``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TypeVar

import httpx
from tuf.api import exceptions as tuf_errors
from tuf.api.exceptions import DownloadError, DownloadHTTPError
from tuf.api.metadata import Metadata, Root
from tuf.ngclient import FetcherInterface, Updater, UpdaterConfig

from billclient import __version__ as CLIENT_VERSION
from billclient.component import (
    BUNDLED_COMPONENT_VERSION,
    Component,
    ComponentError,
    ComponentStore,
    Pointer,
    load_component,
    load_installed,
)
from billclient.protocol.component import version_key

__all__ = [
    "LATEST_TARGET",
    "UPDATES_BASE",
    "UPDATES_PATH",
    "ComponentUpdater",
    "ServerFetcher",
    "UpdateResult",
    "UpdateStatus",
    "apply_update",
    "check_for_update",
    "pin_root",
    "shipped_root",
]

log = logging.getLogger("billclient.core.updater")

UPDATES_BASE = "https://billing-updates.invalid/"
"""The placeholder base URL ngclient builds its URLs on."""
UPDATES_PATH = "/v1/updates/"
_CHUNK = 64 * 1024

LATEST_TARGET = "latest.json"
SHIPPED_ROOT = "component-root.json"
_LATEST_MAX = 4096

Verify = ssl.SSLContext | bool
Servers = Callable[[], list[str]]
SessionsIdle = Callable[[], Awaitable[None]]
_T = TypeVar("_T")


class UpdateStatus(StrEnum):
    """How an update check or attempt ended."""

    UP_TO_DATE = "up-to-date"
    AVAILABLE = "available"
    UPDATED = "updated"
    REFUSED = "refused"
    ROLLED_BACK = "rolled-back"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class UpdateResult:
    """The outcome: ``current`` is the version in use afterwards; ``message`` one line."""

    status: UpdateStatus
    current: str
    offered: str | None
    message: str

    @property
    def ok(self) -> bool:
        """False when the update was refused, rolled back or failed."""
        return self.status in (
            UpdateStatus.UP_TO_DATE,
            UpdateStatus.AVAILABLE,
            UpdateStatus.UPDATED,
        )


class _Refused(Exception):
    """Verification refused what the servers offered (message for a person)."""


class _Unreachable(Exception):
    """No server delivered the update files."""


@dataclass(frozen=True, slots=True)
class _Offer:
    version: str
    target: str


def shipped_root() -> bytes | None:
    """The TUF root shipped with the client (``resources/component-root.json``), if any."""
    candidates: list[Traversable | Path] = [files("billclient").joinpath("resources", SHIPPED_ROOT)]
    here = Path(__file__).resolve()
    if here.parents[2].name == "src":  # running from a source checkout
        candidates.append(here.parents[3] / "resources" / SHIPPED_ROOT)
    for candidate in candidates:
        try:
            return candidate.read_bytes()
        except (OSError, ValueError):
            continue
    return None


def _tuf_dirs(data_dir: Path) -> tuple[Path, Path]:
    base = ComponentStore(data_dir).root / "tuf"
    return base / "metadata", base / "downloads"


def _check_root(raw: bytes) -> Metadata[Root]:
    try:
        root = Metadata[Root].from_bytes(raw)
        if not isinstance(root.signed, Root):
            raise ValueError("not root metadata")
        root.verify_delegate(Root.type, root)
    except Exception as exc:
        raise _Refused(f"the offered trusted root is not valid root metadata ({exc})") from None
    return root


def _pin(data_dir: Path, raw: bytes) -> None:
    _check_root(raw)
    metadata_dir, _ = _tuf_dirs(data_dir)
    metadata_dir.mkdir(parents=True, exist_ok=True)
    temp = metadata_dir / ".root.json.tmp"
    temp.write_bytes(raw)
    temp.replace(metadata_dir / "root.json")


async def pin_root(
    data_dir: Path,
    servers: Servers,
    *,
    verify: Verify = True,
    root: bytes | None = None,
) -> bool:
    """Pin the update root at first registration; True if a root was pinned now.

    Does nothing when a root is already trusted or shipped. Otherwise pins ``root``
    when given, else version 1 of the servers' root metadata (trust on first use,
    over the TLS connection the registration used). ValueError when the servers
    offer no valid root.
    """
    metadata_dir, _ = _tuf_dirs(data_dir)
    if (metadata_dir / "root.json").is_file() or shipped_root() is not None:
        return False
    if root is None:
        fetcher = ServerFetcher(servers, verify=verify)
        try:
            root = await asyncio.to_thread(
                fetcher.download_bytes, f"{UPDATES_BASE}metadata/1.root.json", 512_000
            )
        except tuf_errors.DownloadError as exc:
            raise ValueError(f"the servers offer no update root: {exc}") from None
        finally:
            fetcher.close()
    try:
        await asyncio.to_thread(_pin, data_dir, root)
    except _Refused as exc:
        raise ValueError(str(exc)) from None
    return True


def _explain(exc: Exception) -> str:
    """One line for a person about a TUF refusal."""
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, tuf_errors.ExpiredMetadataError):
        return (
            f"refused: the update metadata has expired ({detail}); a replayed old "
            "timestamp (freeze attack) or a repository nobody re-signs"
        )
    if isinstance(exc, tuf_errors.BadVersionNumberError):
        return (
            f"refused: the servers offer older update metadata than this client already "
            f"trusts ({detail}): a replay or rollback attack"
        )
    if isinstance(exc, tuf_errors.UnsignedMetadataError):
        return f"refused: update metadata not signed by a trusted key ({detail})"
    mismatch = tuf_errors.LengthOrHashMismatchError | tuf_errors.DownloadLengthMismatchError
    if isinstance(exc, mismatch):
        return f"refused: the download does not match its signed length and hash ({detail})"
    return f"refused: the update did not verify ({type(exc).__name__}: {detail})"


class ComponentUpdater:
    """Updates the component of one profile's data dir from the billing servers.

    ``servers()`` lists the server base URLs to try in order (the client's pool);
    ``verify`` is the client's TLS verification; ``sessions_idle()`` returns once no
    session runs (the switch waits for it); ``on_switch`` gets each newly loaded
    component. ``current`` is the component to give the next session.
    """

    def __init__(
        self,
        data_dir: Path,
        servers: Servers,
        *,
        verify: Verify = True,
        root: bytes | None = None,
        sessions_idle: SessionsIdle | None = None,
        on_switch: Callable[[Component], None] | None = None,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.store = ComponentStore(self.data_dir)
        self._servers = servers
        self._verify = verify
        self._root = root
        self._sessions_idle = sessions_idle
        self._on_switch = on_switch
        self._lock = asyncio.Lock()
        self._current: Component | None = None
        self.last_result: UpdateResult | None = None

    @property
    def current(self) -> Component:
        """The component in use (loaded on first use)."""
        if self._current is None:
            self._current = load_component(self.data_dir)
        return self._current

    def _current_version(self) -> str:
        pointer = self.store.pointer()
        return pointer.version if pointer is not None else BUNDLED_COMPONENT_VERSION

    # -- TUF, in a worker thread --------------------------------------------------------

    def _updater(self, fetcher: ServerFetcher) -> Updater:
        metadata_dir, downloads = _tuf_dirs(self.data_dir)
        metadata_dir.mkdir(parents=True, exist_ok=True)
        bootstrap: bytes | None = None
        if not (metadata_dir / "root.json").is_file():
            bootstrap = self._root or shipped_root()
            if bootstrap is None:
                raise _Refused(
                    "refused: no trusted update root: the billing servers publish none yet "
                    "(or install a client built with resources/component-root.json)"
                )
            _check_root(bootstrap)
        return Updater(
            str(metadata_dir),
            UPDATES_BASE + "metadata/",
            str(downloads),
            UPDATES_BASE + "targets/",
            fetcher,
            UpdaterConfig(prefix_targets_with_hash=True),
            bootstrap=bootstrap,
        )

    def _offer(self, updater: Updater) -> _Offer:
        updater.refresh()
        info = updater.get_targetinfo(LATEST_TARGET)
        if info is None:
            raise _Refused("refused: the update repository names no latest version")
        if info.length > _LATEST_MAX:
            raise _Refused("refused: the signed latest.json is implausibly large")
        path = updater.download_target(info)
        try:
            data = json.loads(Path(path).read_bytes())
            version, target = data["version"], data["target"]
            version_key(version)
        except (ValueError, KeyError, TypeError) as exc:
            raise _Refused(f"refused: the signed latest.json is not understood ({exc})") from None
        return _Offer(version, target)

    def _download(self, updater: Updater, offer: _Offer) -> Path:
        info = updater.get_targetinfo(offer.target)
        if info is None:
            raise _Refused(f"refused: {offer.target} is not a signed target")
        custom = info.unrecognized_fields.get("custom")
        if not isinstance(custom, dict) or custom.get("version") != offer.version:
            raise _Refused(f"refused: {offer.target} is not signed as version {offer.version}")
        needs = custom.get("min_client_version")
        if isinstance(needs, str) and version_key(needs) > version_key(CLIENT_VERSION):
            raise _Refused(
                f"component {offer.version} needs client {needs} or newer "
                f"(this is {CLIENT_VERSION}): update the client"
            )
        cached = updater.find_cached_target(info)
        return Path(cached or updater.download_target(info))

    def _run(self, work: Callable[[Updater], _T]) -> _T:
        fetcher = ServerFetcher(self._servers, verify=self._verify)
        try:
            return work(self._updater(fetcher))
        except _Refused:
            raise
        except tuf_errors.DownloadLengthMismatchError as exc:
            raise _Refused(_explain(exc)) from exc
        except tuf_errors.DownloadHTTPError as exc:
            if exc.status_code == 404 and "timestamp.json" in str(exc):
                raise _Unreachable(f"the servers publish no component updates ({exc})") from exc
            raise _Unreachable(f"could not download the update: {exc}") from exc
        except tuf_errors.DownloadError as exc:
            raise _Unreachable(f"could not download the update: {exc}") from exc
        except tuf_errors.RepositoryError as exc:
            raise _Refused(_explain(exc)) from exc
        finally:
            fetcher.close()

    # -- public --------------------------------------------------------------------------

    def _result(self, status: UpdateStatus, offered: str | None, message: str) -> UpdateResult:
        result = UpdateResult(status, self._current_version(), offered, message)
        self.last_result = result
        if not result.ok:
            log.warning("component update: %s", message)
        return result

    def _compare(self, offer: _Offer) -> UpdateResult | None:
        current = self._current_version()
        if version_key(offer.version) == version_key(current):
            return self._result(
                UpdateStatus.UP_TO_DATE, offer.version, f"component {current} is up to date"
            )
        if version_key(offer.version) < version_key(current):
            return self._result(
                UpdateStatus.REFUSED,
                offer.version,
                f"refused: the servers offer component {offer.version}, older than the "
                f"installed {current} (rollback attack?)",
            )
        return None

    async def check(self) -> UpdateResult:
        """Ask the servers whether a newer signed version exists; installs nothing."""
        async with self._lock:
            try:
                offer = await asyncio.to_thread(self._run, self._offer)
            except _Refused as exc:
                return self._result(UpdateStatus.REFUSED, None, str(exc))
            except _Unreachable as exc:
                return self._result(UpdateStatus.FAILED, None, str(exc))
            done = self._compare(offer)
            if done is not None:
                return done
            return self._result(
                UpdateStatus.AVAILABLE,
                offer.version,
                f"component {offer.version} is available (installed: {self._current_version()})",
            )

    def _fetch_newer(self, updater: Updater) -> tuple[_Offer, Path | None]:
        """One metadata refresh: the offer, and the verified archive if it is newer."""
        offer = self._offer(updater)
        if version_key(offer.version) <= version_key(self._current_version()):
            return offer, None
        return offer, self._download(updater, offer)

    async def apply(self) -> UpdateResult:
        """Check, and install a newer verified version once no session runs."""
        async with self._lock:
            try:
                offer, archive = await asyncio.to_thread(self._run, self._fetch_newer)
            except _Refused as exc:
                return self._result(UpdateStatus.REFUSED, None, str(exc))
            except _Unreachable as exc:
                return self._result(UpdateStatus.FAILED, None, str(exc))
            done = self._compare(offer)
            if done is not None or archive is None:
                return done or self._result(UpdateStatus.UP_TO_DATE, offer.version, "up to date")
            failed = self.store.failures().get(offer.version)
            if failed is not None:
                return self._result(
                    UpdateStatus.REFUSED,
                    offer.version,
                    f"component {offer.version} failed before ({failed}); staying on "
                    f"{self._current_version()} until a newer version is published",
                )
            try:
                await asyncio.to_thread(self.store.install, archive, offer.version)
            except ComponentError as exc:
                return self._result(UpdateStatus.REFUSED, offer.version, f"refused: {exc}")
            except OSError as exc:
                return self._result(
                    UpdateStatus.FAILED,
                    offer.version,
                    f"could not install component {offer.version}: {exc.strerror or exc}",
                )
            if self._sessions_idle is not None:
                await self._sessions_idle()  # never swap the component under a session
            return await self._switch(offer.version)

    async def _switch(self, version: str) -> UpdateResult:
        before = self.store.pointer()
        previous = before.version if before is not None else BUNDLED_COMPONENT_VERSION
        await asyncio.to_thread(self.store.set_pointer, Pointer(version, previous))
        try:
            component = await asyncio.to_thread(load_installed, self.store.version_dir(version))
        except ComponentError as exc:
            await asyncio.to_thread(self.store.set_pointer, before)
            await asyncio.to_thread(self.store.mark_failed, version, str(exc))
            return self._result(
                UpdateStatus.ROLLED_BACK,
                version,
                f"component {version} was rolled back to {previous}: {exc}",
            )
        self._current = component
        await asyncio.to_thread(self._prune, version, previous)
        if self._on_switch is not None:
            self._on_switch(component)
        return self._result(
            UpdateStatus.UPDATED, version, f"component updated from {previous} to {version}"
        )

    def _prune(self, current: str, previous: str) -> None:
        """Keep the current and the previous version; delete older ones."""
        for version in self.store.installed():
            if version not in (current, previous):
                self.store.remove(version)

    async def run_periodically(self, interval: float = 4 * 3600.0) -> None:
        """Apply updates now and every ``interval`` seconds, until cancelled."""
        while True:
            try:
                await self.apply()
            except Exception:  # a broken round must not end the loop
                log.exception("component update round failed")
            await asyncio.sleep(interval)


async def check_for_update(
    data_dir: Path, servers: Servers, *, verify: Verify = True, root: bytes | None = None
) -> UpdateResult:
    """``billclient update --check``: is a newer signed component available?"""
    return await ComponentUpdater(data_dir, servers, verify=verify, root=root).check()


async def apply_update(
    data_dir: Path,
    servers: Servers,
    *,
    verify: Verify = True,
    root: bytes | None = None,
    sessions_idle: SessionsIdle | None = None,
) -> UpdateResult:
    """``billclient update``: install a newer signed component (after running sessions)."""
    updater = ComponentUpdater(
        data_dir, servers, verify=verify, root=root, sessions_idle=sessions_idle
    )
    return await updater.apply()


# -- fetching from the billing servers ---------------------------------------------


class ServerFetcher(FetcherInterface):
    """Fetches repository files from the first billing server that answers."""

    def __init__(
        self,
        servers: Callable[[], list[str]],
        *,
        verify: ssl.SSLContext | bool = True,
        timeout: float = 10.0,
    ) -> None:
        self._servers = servers
        self._client = httpx.Client(verify=verify, timeout=timeout, follow_redirects=False)

    def close(self) -> None:
        """Close the connections."""
        self._client.close()

    def _fetch(self, url: str) -> Iterator[bytes]:
        if not url.startswith(UPDATES_BASE):
            raise DownloadError(f"unexpected update URL {url}")
        rest = url[len(UPDATES_BASE) :]
        servers = self._servers()
        if not servers:
            raise DownloadError("no billing server is configured")
        failures = []
        for base in servers:
            full = base.rstrip("/") + UPDATES_PATH + rest
            try:
                response = self._client.send(self._client.build_request("GET", full), stream=True)
            except httpx.HTTPError as exc:
                failures.append(f"{base}: {type(exc).__name__}")
                continue
            if response.status_code >= 500:
                response.close()
                failures.append(f"{base}: HTTP {response.status_code}")
                continue
            if response.status_code != 200:
                response.close()
                raise DownloadHTTPError(
                    f"{rest}: HTTP {response.status_code} from {base}", response.status_code
                )
            return _chunks(response)
        raise DownloadError(f"no server answered for {rest} ({'; '.join(failures)})")


def _chunks(response: httpx.Response) -> Iterator[bytes]:
    try:
        yield from response.iter_bytes(_CHUNK)
    except httpx.HTTPError as exc:
        raise DownloadError(f"download interrupted: {type(exc).__name__}") from exc
    finally:
        response.close()
