"""``GET /v1/updates/{path}``: the TUF repository, read-only, to every client.

Only files under ``metadata/`` and ``targets/`` are served; anything else, a
missing file, or a server with no repository configured answers 404. Metadata
must not be cached by intermediaries (clients must see a fresh timestamp);
targets are content-addressed and never change.
"""

from __future__ import annotations

from pathlib import Path

import anyio
from fastapi import APIRouter
from fastapi.responses import Response

from billclient.protocol import ErrorCode

from ..web import ApiError, Ctx

__all__ = ["router"]

router = APIRouter(prefix="/v1/updates", tags=["updates"])

_AREAS = ("metadata", "targets")
_MAX_BYTES = 64 * 1024 * 1024


def _file(repo: Path, path: str) -> Path | None:
    parts = path.split("/")
    if len(parts) != 2 or parts[0] not in _AREAS or parts[1] in ("", ".", ".."):
        return None
    if parts[1].startswith("."):  # temporary files of a writer
        return None
    candidate = repo / parts[0] / parts[1]
    return candidate if candidate.is_file() else None


def _read(path: Path) -> bytes | None:
    try:
        if path.stat().st_size > _MAX_BYTES:
            return None
        return path.read_bytes()
    except OSError:
        return None


@router.get("/{path:path}", include_in_schema=False)
async def updates(path: str, ctx: Ctx) -> Response:
    """One repository file, or 404."""
    repo = ctx.settings.updates_repo
    found = None if repo is None else await anyio.to_thread.run_sync(_file, repo, path)
    data = None if found is None else await anyio.to_thread.run_sync(_read, found)
    if data is None:
        raise ApiError(ErrorCode.NOT_FOUND, f"no update file {path!r} on this server")
    is_metadata = path.startswith("metadata/")
    return Response(
        content=data,
        media_type="application/json" if path.endswith(".json") else "application/zip",
        headers={
            "Cache-Control": "no-cache" if is_metadata else "public, max-age=31536000, immutable"
        },
    )
