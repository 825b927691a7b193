"""The component version registration answers name: the newest published one.

Read from the repository (cached until ``timestamp.json`` changes); the bundled
version (``settings.component_version``) when no repository is configured or
nothing is published yet.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from ..config import ServerSettings
from .repository import Repository, RepositoryError

__all__ = ["offered_version"]

log = logging.getLogger("billserver.components")

_lock = threading.Lock()
_cache: dict[Path, tuple[int, str | None]] = {}


def offered_version(settings: ServerSettings) -> str:
    """The newest published component version, else the bundled one."""
    repo = settings.updates_repo
    if repo is None:
        return settings.component_version
    try:
        stamp = (repo / "metadata" / "timestamp.json").stat().st_mtime_ns
    except OSError:
        return settings.component_version
    with _lock:
        cached = _cache.get(repo)
    if cached is None or cached[0] != stamp:
        try:
            newest = Repository(repo).newest_version()
        except RepositoryError as exc:
            log.warning("cannot read the component repository: %s", exc)
            return settings.component_version
        cached = (stamp, newest)
        with _lock:
            _cache[repo] = cached
    return cached[1] or settings.component_version
