"""The repository's keys: one Ed25519 key per TUF role, and the initial root metadata.

``DIR/<role>.key`` holds a PEM private key (mode 0600); ``DIR/root.json`` is version
1 of the root metadata, signed by the root key, naming the public key of every role.
The root key is needed only to make (or later rotate) root metadata: keep it
offline. Publishing needs the targets, snapshot and timestamp keys; a server that
re-signs the timestamp needs only the timestamp key.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.serialization import load_pem_private_key
from securesystemslib.signer import CryptoSigner
from tuf.api.metadata import Metadata, Root
from tuf.api.serialization.json import JSONSerializer

__all__ = ["ROLES", "KeyFileError", "generate_keys", "load_signer", "role_key_path"]

ROLES = ("root", "targets", "snapshot", "timestamp")
ROOT_LIFETIME = timedelta(days=365)


class KeyFileError(Exception):
    """A key file is missing, unreadable or not a private key; one line for a person."""


def role_key_path(keys_dir: Path, role: str) -> Path:
    """Where the private key of ``role`` lives."""
    return keys_dir / f"{role}.key"


def load_signer(path: Path) -> CryptoSigner:
    """The signer of a PEM private key file."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise KeyFileError(f"cannot read key {path}: {exc.strerror}") from None
    try:
        return CryptoSigner(load_pem_private_key(data, password=None))
    except (ValueError, TypeError) as exc:
        raise KeyFileError(f"{path} is not an unencrypted PEM private key ({exc})") from None


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def generate_keys(keys_dir: Path, *, now: datetime | None = None) -> Path:
    """Create the four role keys and ``root.json`` in ``keys_dir``; the root file's path.

    Refuses (KeyFileError) to overwrite existing keys.
    """
    keys_dir.mkdir(parents=True, exist_ok=True)
    existing = [role for role in ROLES if role_key_path(keys_dir, role).exists()]
    if existing or (keys_dir / "root.json").exists():
        raise KeyFileError(f"{keys_dir} already holds keys ({', '.join(existing) or 'root.json'})")
    signers = {role: CryptoSigner.generate_ed25519() for role in ROLES}
    for role, signer in signers.items():
        _write_private(role_key_path(keys_dir, role), signer.private_bytes)
    now = now or datetime.now(UTC)
    root = Root(expires=(now + ROOT_LIFETIME).replace(microsecond=0), consistent_snapshot=True)
    for role, signer in signers.items():
        root.add_key(signer.public_key, role)
    metadata = Metadata(root)
    metadata.sign(signers["root"])
    path = keys_dir / "root.json"
    path.write_bytes(metadata.to_bytes(JSONSerializer(compact=False)))
    return path
