"""Profiles and their directories (no settings, no tokens).

Light on purpose (no pydantic, no httpx): the graphical client finds the profile's
files with it before the rest of the core is imported.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Self

import platformdirs

__all__ = ["APP_NAME", "HOME_VARIABLE", "ProfilePaths", "check_profile_name"]

APP_NAME = "billclient"
HOME_VARIABLE = "BILLCLIENT_HOME"
_PROFILE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def check_profile_name(name: str) -> str:
    """``name`` if it is a valid profile name (letters, digits, ``_.-``; 1-64 chars)."""
    if not _PROFILE.match(name):
        from .errors import SettingsError  # httpx and pydantic: only when needed

        raise SettingsError(
            f"{name!r} is not a valid profile name: use 1-64 letters, digits, '_', '.' or '-'"
        )
    return name


@dataclass(frozen=True)
class ProfilePaths:
    """Where one profile keeps its settings and data."""

    profile: str
    config_dir: Path
    data_dir: Path

    @classmethod
    def for_profile(cls, name: str = "default", home: Path | None = None) -> Self:
        """The directories of profile ``name`` (under ``home`` or ``BILLCLIENT_HOME`` if set)."""
        check_profile_name(name)
        root = home if home is not None else _env_home()
        if root is not None:
            base = Path(root).expanduser() / "profiles" / name
            return cls(name, base / "config", base / "data")
        config = platformdirs.user_config_path(APP_NAME, appauthor=False) / "profiles" / name
        data = platformdirs.user_data_path(APP_NAME, appauthor=False) / "profiles" / name
        return cls(name, config, data)

    @property
    def config_file(self) -> Path:
        """The settings file (JSON)."""
        return self.config_dir / "settings.json"

    @property
    def token_file(self) -> Path:
        """Where the tokens go when the profile keeps them in a file (no keychain)."""
        return self.data_dir / "credentials.json"

    @property
    def lock_file(self) -> Path:
        """The lock every client process of this profile takes to change its credentials."""
        return self.data_dir / "credentials.lock"

    def ensure(self) -> None:
        """Create the profile's directories (private to the user)."""
        for directory in (self.config_dir, self.data_dir):
            try:
                directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            except OSError as error:
                from .errors import SettingsError

                raise SettingsError(f"cannot create {directory}: {error.strerror}") from None


def _env_home() -> Path | None:
    value = os.environ.get(HOME_VARIABLE, "").strip()
    return Path(value) if value else None
