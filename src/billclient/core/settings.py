"""Profiles, their directories, and the settings file (never any token).

A profile keeps its own servers, device, tokens (in the keychain) and data. Its
directories come from platformdirs, or from ``home`` / the ``BILLCLIENT_HOME``
environment variable when given (``<home>/profiles/<name>/{config,data}``).
The settings file is JSON, written atomically (a temporary file renamed over it).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from billclient.protocol import Role

from .atomic_file import replace_file
from .errors import SettingsError
from .paths import APP_NAME, HOME_VARIABLE, ProfilePaths, check_profile_name

__all__ = ["APP_NAME", "HOME_VARIABLE", "ClientSettings", "ProfilePaths", "check_profile_name"]


class ClientSettings(BaseModel):
    """A profile's settings. Tokens are never here (they live in the keychain, or in
    the profile's token file when ``credential_store`` is ``"file"``).

    ``servers`` is the list the client uses: the servers the user gave
    (``user_servers``), in order, followed by the ones the server advertised.
    """

    model_config = ConfigDict(extra="ignore", validate_assignment=True)

    servers: list[str] = Field(default_factory=list)
    user_servers: list[str] = Field(default_factory=list)
    device_id: str | None = None
    account_id: str | None = None
    role: Role | None = None
    login: str | None = None
    ca_file: Path | None = None
    keyring_backend: str | None = None
    credential_store: Literal["keychain", "file"] = Field(
        default="keychain",
        description=(
            "Where the tokens go: the keychain, or (where none exists, by the person's "
            "choice) a 0600 file in the profile's data directory"
        ),
    )
    timeout: float = Field(default=10.0, gt=0, description="Seconds a call may take per server")
    language: str | None = Field(
        default=None,
        pattern=r"^[a-z]{2,3}([_-][A-Za-z]{2,4})?$",
        description="The GUI's language (de, en, de_AT); None: the system's",
    )

    @classmethod
    def load(cls, paths: ProfilePaths) -> Self:
        """Read the profile's settings; defaults when the file does not exist yet."""
        path = paths.config_file
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return cls()
        except OSError as error:
            raise SettingsError(f"cannot read {path}: {error.strerror}") from None
        try:
            return cls.model_validate_json(text)
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "file"
            raise SettingsError(f"{path} is not valid ({where}: {first['msg']})") from None

    def save(self, paths: ProfilePaths) -> None:
        """Write the settings atomically: readers see the old file or the new one."""
        paths.ensure()
        target = paths.config_file
        data = json.dumps(self.model_dump(mode="json"), indent=2, sort_keys=True) + "\n"
        try:
            replace_file(target, data.encode("utf-8"))
        except OSError as error:
            raise SettingsError(f"cannot write {target}: {error.strerror}") from None

    def merge_servers(self, advertised: list[str]) -> bool:
        """Recompute ``servers`` from ``user_servers`` and ``advertised``; True if it changed."""
        merged = list(dict.fromkeys([*self.user_servers, *advertised]))
        if merged == self.servers:
            return False
        self.servers = merged
        return True
