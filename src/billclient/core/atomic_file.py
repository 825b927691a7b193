"""Replacing a small file atomically and durably: readers see the old or the new one.

The data goes to a temporary file in the same directory (created 0600), is flushed
to disk, renamed over the target, and the directory is flushed too, so the rename
survives a crash. Used for the profile's settings and its token file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

__all__ = ["replace_file"]


def replace_file(target: Path, data: bytes, *, mode: int = 0o600) -> None:
    """Write ``data`` to ``target`` atomically with permissions ``mode``; OSError on failure."""
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}-", suffix=".tmp", dir=target.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    with contextlib.suppress(OSError):
        directory = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
