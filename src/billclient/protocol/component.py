"""The billing component's archive manifest, shared by the publishing server and the client.

A component archive is a zip file holding ``manifest.json`` (a
:class:`ComponentManifest`) and one Python package directory named by
``manifest.package``. Entry points are ``"module:attribute"`` relative to that package.
Versions are dotted integers (``"2.0.0"``) compared numerically with :func:`version_key`.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = [
    "ARCHIVE_MANIFEST",
    "MANIFEST_FORMAT",
    "ComponentManifest",
    "EntryPoints",
    "version_key",
]

MANIFEST_FORMAT = 1
"""The manifest format this client understands."""
ARCHIVE_MANIFEST = "manifest.json"
"""The manifest's name at the top of an archive."""

_VERSION = re.compile(r"^[0-9]{1,6}(\.[0-9]{1,6}){0,3}$")
_ENTRY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*$")


def version_key(version: str) -> tuple[int, ...]:
    """``"2.10.0"`` -> ``(2, 10)``: numeric order, trailing zeros ignored.

    ValueError (one line) unless ``version`` is 1 to 4 dot-separated integers.
    """
    if not isinstance(version, str) or not _VERSION.fullmatch(version):
        raise ValueError(f"not a version (dotted integers such as 2.0.0): {version!r}")
    parts = [int(part) for part in version.split(".")]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def _check_version(value: str) -> str:
    version_key(value)
    return value


class EntryPoints(BaseModel):
    """Where the component's factories live, as ``"module:attribute"`` in its package.

    ``meter(service, *, clock)`` returns a Meter, ``estimator(service, started_at)``
    an Estimator, ``self_test()`` returns None or raises.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    meter: str = Field(pattern=_ENTRY.pattern)
    estimator: str = Field(pattern=_ENTRY.pattern)
    self_test: str = Field(pattern=_ENTRY.pattern)


class ComponentManifest(BaseModel):
    """``manifest.json`` of a component archive."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: int = Field(default=MANIFEST_FORMAT, ge=1)
    version: str
    min_client_version: str
    package: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
    entry_points: EntryPoints

    @field_validator("version", "min_client_version")
    @classmethod
    def _versions(cls, value: str) -> str:
        return _check_version(value)
