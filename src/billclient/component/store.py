"""Installed component versions under the data dir, and the pointer to the current one.

Layout (``data_dir/component/``)::

    versions/<version>/manifest.json + <package>/   one directory per installed version
    current.json   {"version": ..., "previous": ...}  written atomically (rename)

A version directory appears only complete (unpacked beside it, then renamed), so a
crash mid-install leaves at most a stray ``.partial-*`` directory that the next
install removes. The pointer switch is one atomic rename: after a crash the client
runs either the old or the new version, never a mix.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from billclient.protocol.component import version_key

from .api import ComponentError
from .archive import unpack_archive

__all__ = ["ComponentStore", "Pointer"]


@dataclass(frozen=True, slots=True)
class Pointer:
    """The current version and the one to return to if it fails (None: the bundled one)."""

    version: str
    previous: str | None = None


class ComponentStore:
    """The component area of one profile's data dir."""

    def __init__(self, data_dir: Path) -> None:
        self.root = Path(data_dir) / "component"
        self.versions = self.root / "versions"
        self.pointer_file = self.root / "current.json"
        self.failed_file = self.root / "failed.json"

    def version_dir(self, version: str) -> Path:
        """Where ``version`` is (or would be) installed."""
        version_key(version)  # refuses anything that could name another path
        return self.versions / version

    def installed(self) -> list[str]:
        """Installed versions, oldest first."""
        if not self.versions.is_dir():
            return []
        found = []
        for entry in self.versions.iterdir():
            try:
                version_key(entry.name)
            except ValueError:
                continue
            if (entry / "manifest.json").is_file():
                found.append(entry.name)
        return sorted(found, key=version_key)

    def pointer(self) -> Pointer | None:
        """The current pointer, or None (no update ever applied, or an unreadable file)."""
        try:
            data = json.loads(self.pointer_file.read_text(encoding="utf-8"))
            version, previous = data["version"], data.get("previous")
            version_key(version)
            if previous is not None:
                version_key(previous)
            return Pointer(version, previous)
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def failures(self) -> dict[str, str]:
        """Versions that failed after installation (import or self-test), with the reason."""
        try:
            data = json.loads(self.failed_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict):
            return {}
        return {str(k): str(v) for k, v in data.items()}

    def mark_failed(self, version: str, reason: str) -> None:
        """Remember that ``version`` failed, so that it is not tried again."""
        data = {**self.failures(), version: reason}
        _atomic_write(self.root, self.failed_file, json.dumps(data, indent=2))

    def set_pointer(self, pointer: Pointer | None) -> None:
        """Switch atomically (write beside, fsync, rename); None returns to the bundled one."""
        self.root.mkdir(parents=True, exist_ok=True)
        if pointer is None:
            with contextlib.suppress(FileNotFoundError):
                self.pointer_file.unlink()
            return
        body = json.dumps({"version": pointer.version, "previous": pointer.previous})
        _atomic_write(self.root, self.pointer_file, body)

    def install(self, archive: Path, expected_version: str) -> Path:
        """Unpack a verified archive as ``expected_version``; its directory.

        ComponentError when the archive's manifest names another version. An existing
        directory of that version (a failed earlier attempt) is replaced, unless it is
        the current one.
        """
        target = self.version_dir(expected_version)
        self.versions.mkdir(parents=True, exist_ok=True)
        for stray in self.versions.glob(".partial-*"):
            shutil.rmtree(stray, ignore_errors=True)
        partial = Path(tempfile.mkdtemp(dir=self.versions, prefix=".partial-"))
        try:
            unpacked = partial / "v"
            manifest = unpack_archive(archive, unpacked)
            if manifest.version != expected_version:
                raise ComponentError(
                    f"the archive says version {manifest.version}, "
                    f"but it was published as {expected_version}"
                )
            current = self.pointer()
            if target.exists():
                if current is not None and current.version == expected_version:
                    raise ComponentError(f"version {expected_version} is already the current one")
                shutil.rmtree(target)
            os.replace(unpacked, target)
            _fsync_dir(self.versions)
        finally:
            shutil.rmtree(partial, ignore_errors=True)
        return target

    def remove(self, version: str) -> None:
        """Delete an installed version (never the current one)."""
        current = self.pointer()
        if current is not None and current.version == version:
            raise ComponentError(f"version {version} is the current one")
        shutil.rmtree(self.version_dir(version), ignore_errors=True)


def _atomic_write(directory: Path, path: Path, body: str) -> None:
    """Write beside, fsync, rename over ``path``: readers see the old or the new text."""
    directory.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=directory, prefix=f".{path.stem}-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(body + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    _fsync_dir(directory)


def _fsync_dir(path: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
