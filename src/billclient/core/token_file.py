"""Tokens in a file of the profile, for machines without a keychain (an explicit choice).

Where no secure keychain exists (a server reached over ssh, a container), the person
may choose to keep the sign-in in a file of the profile instead
(:attr:`~billclient.core.paths.ProfilePaths.token_file`): with
``billclient login --store-in-file`` or the profile setting
``credential_store = "file"``, never silently (the GitHub CLI's
``--insecure-storage`` and Docker's ``config.json`` credentials work the same way).

The file holds only the token pairs (one entry per profile and device, like the
keychain), never a password. It is created with mode 0600 in the profile's 0700
directory and replaced atomically (a temporary file in the same directory, flushed,
renamed over it), so a reader sees the old pair or the new one, never half of one.
Every change happens under the profile's credentials lock (see
:class:`~billclient.core.credentials.Credentials`), so two processes refreshing at
once never lose a rotation. A file that others may read is tightened back to 0600.
"""

from __future__ import annotations

import json
import logging
import os
import stat
from pathlib import Path
from typing import Any

from .atomic_file import replace_file
from .errors import CredentialsUnavailable

__all__ = ["TokenFile"]

_log = logging.getLogger(__name__)


class TokenFile:
    """Secrets in one JSON file (mode 0600), written atomically.

    It answers like a keyring backend (``get_password`` / ``set_password`` /
    ``delete_password``), so :class:`~billclient.core.credentials.KeyringStore`
    keeps token pairs in it exactly as it does in a keychain.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def get_password(self, service: str, account: str) -> str | None:
        """The secret of ``account``, or None."""
        secret = self._read().get(f"{service}/{account}")
        return secret if isinstance(secret, str) else None

    def set_password(self, service: str, account: str, secret: str) -> None:
        """Store (replace) the secret of ``account``."""
        entries = self._read()
        entries[f"{service}/{account}"] = secret
        self._write(entries)

    def delete_password(self, service: str, account: str) -> None:
        """Forget the secret of ``account``; the file goes when it holds nothing more."""
        entries = self._read()
        if entries.pop(f"{service}/{account}", None) is None:
            return
        if entries:
            self._write(entries)
            return
        try:
            self.path.unlink(missing_ok=True)
        except OSError as error:
            raise _unusable(self.path, error) from None

    # -- the file --------------------------------------------------------------------

    def _read(self) -> dict[str, Any]:
        try:
            with self.path.open("rb") as handle:
                self._tighten(os.fstat(handle.fileno()).st_mode)
                data = json.loads(handle.read() or b"{}")
        except FileNotFoundError:
            return {}
        except OSError as error:
            raise _unusable(self.path, error) from None
        except ValueError:
            raise CredentialsUnavailable(
                f"{self.path} is not a token file billclient wrote; delete it and sign in again"
            ) from None
        return data if isinstance(data, dict) else {}

    def _tighten(self, mode: int) -> None:
        if stat.S_IMODE(mode) & 0o077:
            _log.warning("%s could be read by others; made it private to you (0600)", self.path)
            os.chmod(self.path, 0o600)

    def _write(self, entries: dict[str, Any]) -> None:
        data = json.dumps(entries, indent=2, sort_keys=True).encode() + b"\n"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            replace_file(self.path, data, mode=0o600)
        except OSError as error:
            raise _unusable(self.path, error) from None


def _unusable(path: Path, error: OSError) -> CredentialsUnavailable:
    return CredentialsUnavailable(
        f"the token file {path} cannot be used: {error.strerror or type(error).__name__}"
    )
