"""Component archives: build one from a package directory; unpack one safely.

An archive is a zip file with ``manifest.json`` at the top and the component's
package directory (``manifest.package``) beside it. Unpacking refuses absolute
paths, ``..``, links, members outside the package and oversized contents, so
that even a mistaken archive cannot write outside its directory.
"""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path, PurePosixPath

from pydantic import ValidationError

from billclient.protocol.component import ARCHIVE_MANIFEST, ComponentManifest

from .api import ComponentError

__all__ = [
    "MAX_ARCHIVE_BYTES",
    "build_archive",
    "bundled_source",
    "parse_manifest",
    "read_manifest",
    "unpack_archive",
]

MAX_ARCHIVE_BYTES = 32 * 1024 * 1024
"""Largest unpacked size of an archive."""
MAX_MEMBERS = 2000
_EPOCH = (2020, 1, 1, 0, 0, 0)  # fixed member times: the same sources make the same bytes


def bundled_source() -> Path:
    """The directory of the component bundled with the client (a ready archive source)."""
    return Path(__file__).resolve().parent / "bundled"


def parse_manifest(raw: bytes | str, where: str) -> ComponentManifest:
    """Validate manifest text; ComponentError with one line naming ``where`` otherwise."""
    try:
        return ComponentManifest.model_validate_json(raw)
    except ValidationError as exc:
        raise _invalid(exc, where) from None


def _invalid(exc: ValidationError, where: str) -> ComponentError:
    first = exc.errors()[0]
    loc = ".".join(str(part) for part in first.get("loc", ()))
    message = str(first.get("msg", "invalid")).removeprefix("Value error, ")
    return ComponentError(f"{where}: invalid manifest: {loc + ': ' if loc else ''}{message}")


def build_archive(
    output: Path,
    *,
    version: str,
    min_client_version: str | None = None,
    source: Path | None = None,
) -> ComponentManifest:
    """Write a component archive of ``source`` (default: the bundled component).

    ``source`` is a package directory holding ``manifest.json`` (entry points,
    package name and default minimum client version) and Python files; the archive
    gets that manifest with ``version`` (and ``min_client_version`` if given).
    """
    source = source or bundled_source()
    template = parse_manifest((source / ARCHIVE_MANIFEST).read_bytes(), str(source))
    update: dict[str, str] = {"version": version}
    if min_client_version is not None:
        update["min_client_version"] = min_client_version
    try:
        manifest = ComponentManifest.model_validate({**template.model_dump(), **update})
    except ValidationError as exc:
        raise _invalid(exc, str(output)) from None
    files = sorted(
        path for path in source.rglob("*.py") if "__pycache__" not in path.relative_to(source).parts
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo(ARCHIVE_MANIFEST, _EPOCH)
        archive.writestr(info, manifest.model_dump_json(indent=2) + "\n")
        for path in files:
            name = f"{manifest.package}/{path.relative_to(source).as_posix()}"
            member = zipfile.ZipInfo(name, _EPOCH)
            member.external_attr = 0o644 << 16
            archive.writestr(member, path.read_bytes(), zipfile.ZIP_DEFLATED)
    return manifest


def read_manifest(archive_path: Path) -> ComponentManifest:
    """The manifest of an archive; ComponentError when it is not a component archive."""
    try:
        with zipfile.ZipFile(archive_path) as archive:
            raw = archive.read(ARCHIVE_MANIFEST)
    except KeyError:
        raise ComponentError(f"{archive_path}: no {ARCHIVE_MANIFEST} in the archive") from None
    except (zipfile.BadZipFile, OSError) as exc:
        raise ComponentError(f"{archive_path}: not a component archive ({exc})") from None
    return parse_manifest(raw, str(archive_path))


def _checked_members(archive: zipfile.ZipFile, package: str, where: str) -> list[zipfile.ZipInfo]:
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise ComponentError(f"{where}: too many files ({len(members)})")
    total = 0
    for member in members:
        name = member.filename
        parts = PurePosixPath(name).parts
        mode = member.external_attr >> 16
        if (
            name.startswith("/")
            or "\\" in name
            or ".." in parts
            or not parts
            or (name != ARCHIVE_MANIFEST and parts[0] != package)
        ):
            raise ComponentError(f"{where}: refusing archive member {name!r}")
        if stat.S_ISLNK(mode):
            raise ComponentError(f"{where}: refusing link {name!r}")
        total += member.file_size
        if total > MAX_ARCHIVE_BYTES:
            raise ComponentError(f"{where}: unpacks to more than {MAX_ARCHIVE_BYTES} bytes")
    return members


def unpack_archive(archive_path: Path, destination: Path) -> ComponentManifest:
    """Unpack ``archive_path`` into the new directory ``destination``; its manifest.

    ComponentError (one line) for anything that is not a well-formed component archive.
    """
    where = archive_path.name
    manifest = read_manifest(archive_path)
    try:
        with zipfile.ZipFile(archive_path) as archive:
            members = _checked_members(archive, manifest.package, where)
            if not any(m.filename == f"{manifest.package}/__init__.py" for m in members):
                raise ComponentError(f"{where}: no {manifest.package}/__init__.py")
            destination.mkdir(parents=True)
            for member in members:
                if member.is_dir():
                    continue
                target = destination.joinpath(*PurePosixPath(member.filename).parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(archive.read(member))
    except (zipfile.BadZipFile, OSError) as exc:
        raise ComponentError(f"{where}: cannot unpack: {exc}") from None
    return manifest
