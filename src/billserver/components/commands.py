"""The ``billserver component`` actions, each returning the message to print."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from .keys import KeyFileError, generate_keys, load_signer, role_key_path
from .repository import TARGETS_LIFETIME, TIMESTAMP_LIFETIME, Repository, RepositoryError

__all__ = ["CommandError", "init_keys", "publish", "status", "timestamp"]


class CommandError(Exception):
    """An action failed; ``str(e)`` says why in one line."""


def init_keys(keys_dir: Path) -> str:
    """Make the keys and root metadata; the instructions for the operator."""
    try:
        root = generate_keys(keys_dir)
    except (KeyFileError, OSError) as exc:
        raise CommandError(str(exc)) from None
    return (
        f"made root, targets, snapshot and timestamp keys and {root} in {keys_dir}\n"
        f"Keep {role_key_path(keys_dir, 'root')} OFFLINE (it is needed only to change "
        "the root metadata); publishing needs targets.key, snapshot.key and timestamp.key; "
        "a server re-signing the timestamp needs only timestamp.key "
        "(--updates-timestamp-key).\n"
        f"Clients trust {root}: ship it as resources/component-root.json in the client, "
        "or let clients pin it at their first registration."
    )


def publish(
    repo: Path,
    archive: Path,
    version: str,
    keys_dir: Path,
    *,
    timestamp_lifetime: float | None = None,
    expires_days: float | None = None,
) -> str:
    """Add ``archive`` as ``version``."""
    if timestamp_lifetime is not None and timestamp_lifetime <= 0:
        raise CommandError("--timestamp-lifetime must be positive")
    if expires_days is not None and expires_days <= 0:
        raise CommandError("--expires-days must be positive")
    try:
        result = Repository(repo).publish(
            archive,
            version,
            keys_dir,
            now=datetime.now(UTC),
            timestamp_lifetime=(
                TIMESTAMP_LIFETIME
                if timestamp_lifetime is None
                else timedelta(seconds=timestamp_lifetime)
            ),
            lifetime=TARGETS_LIFETIME if expires_days is None else timedelta(days=expires_days),
        )
    except (RepositoryError, KeyFileError) as exc:
        raise CommandError(str(exc)) from None
    except OSError as exc:
        raise CommandError(f"{exc.filename or archive}: {exc.strerror}") from None
    return (
        f"published component {result.version} as {result.target} in {repo} "
        f"(targets version {result.targets_version}; timestamp valid until "
        f"{result.timestamp_expires.isoformat()})"
    )


def timestamp(repo: Path, keys_dir: Path, *, lifetime: float | None = None) -> str:
    """Re-sign the timestamp metadata now."""
    try:
        signer = load_signer(role_key_path(keys_dir, "timestamp"))
        expires = Repository(repo).resign_timestamp(
            signer,
            lifetime=TIMESTAMP_LIFETIME if lifetime is None else timedelta(seconds=lifetime),
        )
    except (RepositoryError, KeyFileError) as exc:
        raise CommandError(str(exc)) from None
    if expires is None:
        raise CommandError(f"{repo}: nothing published yet")
    return f"re-signed the timestamp of {repo}: valid until {expires.isoformat()}"


def status(repo: Path) -> str:
    """The published versions, newest last."""
    try:
        repository = Repository(repo)
        if not repository.exists():
            return f"{repo}: nothing published yet"
        published = repository.published()
        expires = repository.timestamp().signed.expires
    except RepositoryError as exc:
        raise CommandError(str(exc)) from None
    lines = [f"{version}  {target}" for version, target in published.items()]
    newest = repository.newest_version()
    lines.append(f"newest: {newest}; timestamp valid until {expires.isoformat()}")
    return "\n".join(lines)
