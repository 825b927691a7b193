"""Signed component updates for tests: keys, a TUF repository, archives, attacker tools."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from securesystemslib.signer import CryptoSigner
from tuf.api.metadata import Metadata, MetaFile, Snapshot, Targets, Timestamp
from tuf.api.serialization.json import JSONSerializer

from billclient.component import build_archive, bundled_source
from billserver.components.keys import generate_keys, load_signer, role_key_path
from billserver.components.repository import Repository

__all__ = ["Deployment", "broken_source", "point"]


def broken_source(directory: Path, selftest: str) -> Path:
    """A copy of the bundled component whose ``selftest.py`` is ``selftest``."""
    source = directory / "broken-src"
    shutil.copytree(bundled_source(), source, ignore=shutil.ignore_patterns("__pycache__"))
    (source / "selftest.py").write_text(selftest, encoding="utf-8")
    return source


def point(link: Path, target: Path) -> None:
    """Make the symlink ``link`` name ``target`` (atomically replaced)."""
    temp = link.with_name(link.name + ".new")
    if temp.is_symlink():
        temp.unlink()
    temp.symlink_to(target, target_is_directory=True)
    os.replace(temp, link)


class Deployment:
    """One set of keys and one repository directory, as an operator would have them."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.keys = directory / "keys"
        generate_keys(self.keys)
        self.repo = Repository(directory / "repo")
        self.repo.path.mkdir(parents=True, exist_ok=True)

    @property
    def root(self) -> bytes:
        """The root metadata clients trust."""
        return (self.keys / "root.json").read_bytes()

    def signer(self, role: str) -> CryptoSigner:
        return load_signer(role_key_path(self.keys, role))

    def archive(self, version: str, source: Path | None = None) -> Path:
        path = self.directory / f"component-{version}.zip"
        build_archive(path, version=version, source=source)
        return path

    def publish(
        self,
        version: str,
        *,
        source: Path | None = None,
        timestamp_lifetime: timedelta = timedelta(days=1),
    ) -> Path:
        archive = self.archive(version, source)
        self.repo.publish(archive, version, self.keys, timestamp_lifetime=timestamp_lifetime)
        return archive

    # -- raw metadata, for attacks -------------------------------------------------------

    def read(self, name: str) -> bytes:
        return (self.repo.metadata_dir / name).read_bytes()

    def write(self, name: str, data: bytes) -> None:
        (self.repo.metadata_dir / name).write_bytes(data)

    def timestamp(self) -> Metadata[Timestamp]:
        return self.repo.timestamp()

    def snapshot_version(self) -> int:
        return self.timestamp().signed.snapshot_meta.version

    def snapshot(self) -> Metadata[Snapshot]:
        return Metadata[Snapshot].from_bytes(self.read(f"{self.snapshot_version()}.snapshot.json"))

    def save(
        self, name: str, metadata: Metadata[Timestamp] | Metadata[Snapshot] | Metadata[Targets]
    ) -> None:
        self.write(name, metadata.to_bytes(JSONSerializer(compact=False)))

    def forge_timestamp(self, snapshot_version: int, signer: CryptoSigner | None = None) -> None:
        """A fresh, higher timestamp naming ``snapshot_version`` (the timestamp key is online)."""
        timestamp = self.timestamp()
        timestamp.signed.version += 1
        timestamp.signed.snapshot_meta = MetaFile(version=snapshot_version)
        timestamp.signed.expires = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
        timestamp.sign(signer or self.signer("timestamp"))
        self.save("timestamp.json", timestamp)

    def forge_targets(self, targets: Metadata[Targets], signer: CryptoSigner) -> None:
        """Publish ``targets`` (signed by ``signer``) with a new snapshot and timestamp."""
        targets.signed.version += 1
        targets.sign(signer)
        self.save(f"{targets.signed.version}.targets.json", targets)
        snapshot = self.snapshot()
        snapshot.signed.version += 1
        snapshot.signed.meta = {"targets.json": MetaFile(version=targets.signed.version)}
        snapshot.sign(self.signer("snapshot"))
        self.save(f"{snapshot.signed.version}.snapshot.json", snapshot)
        self.forge_timestamp(snapshot.signed.version)
