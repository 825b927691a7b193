"""The TUF repository of component archives: ``metadata/`` and ``targets/`` in one directory.

Consistent snapshots: every metadata version is a file of its own
(``metadata/3.targets.json``), every target is stored under its hash
(``targets/<sha256>.billing-component-2.0.0.zip``), and ``metadata/timestamp.json``
is replaced last, by an atomic rename. A reader (any server process serving the
directory) therefore always sees one complete repository state. Writers (publish,
timestamp re-signing) take a file lock in the directory.

Targets: one archive per version (``billing-component-<V>.zip``, custom field
``{"version", "min_client_version"}``) and ``latest.json``
(``{"version", "target"}``), which clients read to learn the newest version.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from filelock import FileLock
from pydantic import ValidationError
from securesystemslib.signer import CryptoSigner
from tuf.api.exceptions import RepositoryError as TufRepositoryError
from tuf.api.metadata import (
    Metadata,
    MetaFile,
    Root,
    Snapshot,
    TargetFile,
    Targets,
    Timestamp,
)
from tuf.api.serialization import DeserializationError
from tuf.api.serialization.json import JSONSerializer

from billclient.protocol.component import ARCHIVE_MANIFEST, ComponentManifest, version_key

from .keys import load_signer, role_key_path

__all__ = [
    "LATEST_TARGET",
    "PublishResult",
    "Repository",
    "RepositoryError",
    "archive_target",
]

LATEST_TARGET = "latest.json"
TARGETS_LIFETIME = timedelta(days=365)
SNAPSHOT_LIFETIME = timedelta(days=365)
TIMESTAMP_LIFETIME = timedelta(days=1)

_ROOT_FILE = re.compile(r"^([0-9]+)\.root\.json$")
_S = TypeVar("_S", Root, Timestamp, Snapshot, Targets)


class RepositoryError(Exception):
    """The repository or an input to it is not usable; ``str(e)`` is one line."""


def archive_target(version: str) -> str:
    """The target path of the archive of ``version``."""
    return f"billing-component-{version}.zip"


@dataclass(frozen=True, slots=True)
class PublishResult:
    """What ``publish`` did."""

    version: str
    target: str
    targets_version: int
    timestamp_expires: datetime


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def _expiry(now: datetime, lifetime: timedelta) -> datetime:
    return (now + lifetime).replace(microsecond=0)


def _archive_manifest(archive: Path) -> ComponentManifest:
    try:
        with zipfile.ZipFile(archive) as handle:
            raw = handle.read(ARCHIVE_MANIFEST)
    except KeyError:
        raise RepositoryError(f"{archive}: not a component archive (no manifest)") from None
    except (zipfile.BadZipFile, OSError) as exc:
        raise RepositoryError(f"{archive}: not a component archive ({exc})") from None
    try:
        return ComponentManifest.model_validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(part) for part in first.get("loc", ()))
        message = str(first["msg"]).removeprefix("Value error, ")
        raise RepositoryError(f"{archive}: invalid manifest: {loc}: {message}") from None


class Repository:
    """A TUF repository directory (created on first publish)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.metadata_dir = self.path / "metadata"
        self.targets_dir = self.path / "targets"

    def lock(self) -> FileLock:
        """The writers' lock (publish and timestamp re-signing)."""
        self.path.mkdir(parents=True, exist_ok=True)
        return FileLock(str(self.path / ".lock"), timeout=30)

    # -- reading --------------------------------------------------------------------------

    def _load(self, name: str, kind: type[_S]) -> Metadata[_S]:
        path = self.metadata_dir / name
        try:
            metadata = Metadata[_S].from_file(str(path))
        except FileNotFoundError:
            raise RepositoryError(f"{path} is missing: publish a component first") from None
        except (OSError, DeserializationError) as exc:
            raise RepositoryError(f"{path} is not readable TUF metadata ({exc})") from None
        if not isinstance(metadata.signed, kind):
            raise RepositoryError(f"{path} is not {kind.type} metadata")
        return metadata

    def root_version(self) -> int:
        """The newest root version in the repository (0: none yet)."""
        if not self.metadata_dir.is_dir():
            return 0
        versions = [
            int(match.group(1))
            for entry in self.metadata_dir.iterdir()
            if (match := _ROOT_FILE.match(entry.name))
        ]
        return max(versions, default=0)

    def root(self) -> Metadata[Root]:
        """The newest root metadata."""
        version = self.root_version()
        if version == 0:
            raise RepositoryError(f"{self.path} has no root metadata: publish a component first")
        return self._load(f"{version}.root.json", Root)

    def exists(self) -> bool:
        """True once something was published."""
        return (self.metadata_dir / "timestamp.json").is_file()

    def timestamp(self) -> Metadata[Timestamp]:
        """The current timestamp metadata."""
        return self._load("timestamp.json", Timestamp)

    def _snapshot_of(self, timestamp: Metadata[Timestamp]) -> Metadata[Snapshot]:
        return self._load(f"{timestamp.signed.snapshot_meta.version}.snapshot.json", Snapshot)

    def _targets_of(self, snapshot: Metadata[Snapshot]) -> Metadata[Targets]:
        return self._load(f"{snapshot.signed.meta['targets.json'].version}.targets.json", Targets)

    def targets(self) -> Metadata[Targets]:
        """The current targets metadata."""
        return self._targets_of(self._snapshot_of(self.timestamp()))

    def published(self) -> dict[str, str]:
        """Published versions and their target paths."""
        found: dict[str, str] = {}
        for path, target in self.targets().signed.targets.items():
            custom = target.unrecognized_fields.get("custom")
            if isinstance(custom, dict) and isinstance(custom.get("version"), str):
                found[custom["version"]] = path
        return found

    def newest_version(self) -> str | None:
        """The newest published version, or None when nothing is published."""
        if not self.exists():
            return None
        versions = list(self.published())
        return max(versions, key=version_key) if versions else None

    # -- writing --------------------------------------------------------------------------

    def _write_metadata(self, name: str, metadata: Metadata[Any]) -> None:
        _atomic_write(self.metadata_dir / name, metadata.to_bytes(JSONSerializer(compact=False)))

    def _write_target(self, target_path: str, data: bytes) -> TargetFile:
        target = TargetFile.from_data(target_path, data, ["sha256"])
        digest = target.hashes["sha256"]
        _atomic_write(self.targets_dir / f"{digest}.{target_path}", data)
        return target

    def _install_root(self, keys_dir: Path) -> Metadata[Root]:
        if self.root_version() > 0:
            return self.root()
        source = keys_dir / "root.json"
        try:
            root = Metadata[Root].from_file(str(source))
            root.verify_delegate(Root.type, root)
        except FileNotFoundError:
            raise RepositoryError(
                f"{source} is missing: run `billserver component init-keys`"
            ) from None
        except (OSError, DeserializationError, TufRepositoryError, ValueError) as exc:
            raise RepositoryError(f"{source} is not valid signed root metadata ({exc})") from None
        self._write_metadata(f"{root.signed.version}.root.json", root)
        return root

    @staticmethod
    def _check_key(root: Metadata[Root], role: str, signer: CryptoSigner, path: Path) -> None:
        if signer.public_key.keyid not in root.signed.roles[role].keyids:
            raise RepositoryError(f"{path} is not a {role} key the repository's root trusts")

    def _signers(self, root: Metadata[Root], keys_dir: Path) -> dict[str, CryptoSigner]:
        signers = {}
        for role in ("targets", "snapshot", "timestamp"):
            path = role_key_path(keys_dir, role)
            signers[role] = load_signer(path)
            self._check_key(root, role, signers[role], path)
        return signers

    def publish(
        self,
        archive: Path,
        version: str,
        keys_dir: Path,
        *,
        now: datetime | None = None,
        timestamp_lifetime: timedelta = TIMESTAMP_LIFETIME,
        lifetime: timedelta = TARGETS_LIFETIME,
    ) -> PublishResult:
        """Add ``archive`` as ``version``: new targets, snapshot and timestamp metadata.

        Refuses an archive whose manifest names another version, and a version not
        newer than every published one (clients never move backwards).
        """
        try:
            version_key(version)
        except ValueError as exc:
            raise RepositoryError(f"--version: {exc}") from None
        manifest = _archive_manifest(archive)
        if manifest.version != version:
            raise RepositoryError(
                f"{archive}: its manifest says version {manifest.version}, not {version}"
            )
        data = archive.read_bytes()
        now = now or datetime.now(UTC)
        with self.lock():
            root = self._install_root(keys_dir)
            signers = self._signers(root, keys_dir)
            fresh = not self.exists()
            if not fresh:
                timestamp, snapshot = self.timestamp(), self._snapshot_of(self.timestamp())
                targets = self._targets_of(snapshot)
                newest = self.newest_version()
                if newest is not None and version_key(version) <= version_key(newest):
                    raise RepositoryError(
                        f"version {version} is not newer than the published {newest}"
                    )
            else:
                timestamp = Metadata(Timestamp())
                snapshot = Metadata(Snapshot())
                targets = Metadata(Targets())
            name = archive_target(version)
            entry = self._write_target(name, data)
            entry.unrecognized_fields["custom"] = {
                "version": version,
                "min_client_version": manifest.min_client_version,
            }
            latest = json.dumps({"version": version, "target": name}, indent=2).encode()
            targets.signed.targets[name] = entry
            targets.signed.targets[LATEST_TARGET] = self._write_target(LATEST_TARGET, latest)
            targets.signed.version += 0 if fresh else 1
            targets.signed.expires = _expiry(now, lifetime)
            targets.sign(signers["targets"])
            self._write_metadata(f"{targets.signed.version}.targets.json", targets)

            snapshot.signed.meta = {"targets.json": MetaFile(version=targets.signed.version)}
            snapshot.signed.version += 0 if fresh else 1
            snapshot.signed.expires = _expiry(now, max(lifetime, SNAPSHOT_LIFETIME))
            snapshot.sign(signers["snapshot"])
            self._write_metadata(f"{snapshot.signed.version}.snapshot.json", snapshot)

            timestamp.signed.snapshot_meta = MetaFile(version=snapshot.signed.version)
            expires = self._sign_timestamp(
                timestamp, signers["timestamp"], now, timestamp_lifetime, bump=not fresh
            )
        return PublishResult(version, name, targets.signed.version, expires)

    def _sign_timestamp(
        self,
        timestamp: Metadata[Timestamp],
        signer: CryptoSigner,
        now: datetime,
        lifetime: timedelta,
        *,
        bump: bool = True,
    ) -> datetime:
        timestamp.signed.version += 1 if bump else 0
        timestamp.signed.expires = _expiry(now, lifetime)
        timestamp.sign(signer)
        self._write_metadata("timestamp.json", timestamp)
        return timestamp.signed.expires

    def resign_timestamp(
        self,
        signer: CryptoSigner,
        *,
        now: datetime | None = None,
        lifetime: timedelta = TIMESTAMP_LIFETIME,
        only_if_within: timedelta | None = None,
    ) -> datetime | None:
        """Re-sign the timestamp (version + 1) with a new expiry; the expiry, or None.

        With ``only_if_within``, nothing is written (None) while the current timestamp
        is valid for longer than that.
        """
        now = now or datetime.now(UTC)
        with self.lock():
            if not self.exists():
                return None
            root = self.root()
            self._check_key(root, "timestamp", signer, Path("the timestamp key"))
            timestamp = self.timestamp()
            if only_if_within is not None and timestamp.signed.expires - now > only_if_within:
                return None
            return self._sign_timestamp(timestamp, signer, now, lifetime)
