"""Consuming a gateway-served session: the stream, a download, messages.

When ``POST /v1/sessions`` answers with ``gateway: {url, token}``, the service is
consumed from the metering gateway, and the client's meter counts what actually
arrives there: every byte read from the stream or the file, every message the gateway
accepted, each fed to the run's meter (``RunningSession.add``). A time service's meter
ignores those counts (it counts seconds), so for voice and video the stream only shows
that the service is being delivered.

The gateway serves up to the session's grant and pauses at it until the runner's next
update brings a new one; it closes the connection on a final grant or an ended
session. A download that is cut off is resumed with ``Range`` from the bytes already
on disk, so no byte is fetched (or counted) twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Protocol

import httpx

from billclient.protocol.gateway import GATEWAY_KINDS, GatewayKind
from billclient.protocol.sessions import GatewayAccess

from .urls import check_server_url

__all__ = [
    "GatewayProgress",
    "GatewayState",
    "GatewayUse",
    "GatewayUseError",
    "gateway_kind",
]

_CHUNK = 64 * 1024
_CONTENT_RANGE = re.compile(r"bytes (?:[0-9]+-[0-9]+|\*)/([0-9]+)")
_QUIET = 1.5  # seconds without a byte before a stream or download counts as paused
_RETRY_FIRST, _RETRY_MAX = 0.2, 2.0


class GatewayUseError(Exception):
    """The gateway refused or failed for good; ``str()`` is one line for a person."""


class GatewayState(StrEnum):
    """What the gateway connection is doing."""

    CONNECTING = "connecting"
    FLOWING = "flowing"  # bytes arriving / messages going out
    PAUSED = "paused"  # waiting for a grant, or cut off and resuming
    DONE = "done"  # the file is complete / every message was sent
    ENDED = "ended"  # the gateway closed the session (ended, credit used up)
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class GatewayProgress:
    """A snapshot of one gateway use, for a view."""

    kind: GatewayKind
    state: GatewayState
    received: int = 0
    """Bytes received (stream, download) or messages accepted."""
    total: int | None = None
    """A download's size, once known."""
    detail: str | None = None
    """Why it paused, ended or failed; or the file's path when done."""
    sent: tuple[str, ...] = field(default_factory=tuple)
    """The messages the gateway accepted, as it echoed them."""


class _Run(Protocol):
    """What a gateway use needs of a ``RunningSession``."""

    def add(self, units: int) -> None: ...


def gateway_kind(media: str) -> GatewayKind | None:
    """How the gateway serves a service of catalogue ``media`` (None: not gateway-served)."""
    return GATEWAY_KINDS.get(media)


class GatewayUse:
    """One session's use of the gateway; each method feeds ``run.add`` with what arrives.

    ``on_change`` gets a :class:`GatewayProgress` whenever something visible changed
    (it runs in the caller's event loop: a Qt slot may be handed in directly).
    """

    def __init__(
        self,
        access: GatewayAccess,
        kind: GatewayKind,
        run: _Run,
        *,
        on_change: Callable[[GatewayProgress], None] | None = None,
        verify: bool | str = True,
        timeout: float = 10.0,
        alive: Callable[[], bool] = lambda: True,
    ) -> None:
        """``alive()`` False (the run has ended) stops retrying after a lost connection."""
        self.url = check_server_url(access.url).rstrip("/")
        self._alive = alive
        self.kind = kind
        self._token = access.token
        self._run = run
        self._on_change = on_change
        self._verify = verify
        self._timeout = timeout
        self.progress = GatewayProgress(kind, GatewayState.CONNECTING)

    # -- the three kinds -------------------------------------------------------------

    async def stream(self) -> GatewayProgress:
        """Read the paced stream until the gateway closes it (or the task is cancelled)."""
        async with self._client() as client:
            try:
                async with client.stream("GET", "/v1/stream") as response:
                    await self._check(response)
                    self._set(state=GatewayState.FLOWING)
                    await self._read(response, None)
            except httpx.HTTPError as error:
                return self._set(state=GatewayState.ENDED, detail=_describe(error))
        return self._set(state=GatewayState.ENDED, detail="the gateway closed the stream")

    async def download(self, name: str, target: Path) -> GatewayProgress:
        """Download file ``name`` to ``target``; resumes with ``Range`` when cut off.

        The bytes go to ``target`` + ``.part`` (renamed when complete); a ``.part`` left
        by an earlier attempt is resumed too. Counts only bytes that arrive now.
        """
        partial = target.with_name(target.name + ".part")
        partial.parent.mkdir(parents=True, exist_ok=True)
        retry = _RETRY_FIRST
        async with self._client() as client:
            while True:
                have = partial.stat().st_size if partial.exists() else 0
                total = self.progress.total
                if total is not None and have > total:  # not a part of this file: start over
                    partial.unlink()
                    continue
                if total is not None and have == total:
                    partial.replace(target)
                    return self._set(state=GatewayState.DONE, detail=str(target))
                headers = {"Range": f"bytes={have}-"} if have else {}
                try:
                    async with client.stream(
                        "GET", f"/v1/files/{name}", headers=headers
                    ) as response:
                        if response.status_code == 416 and have:
                            total = _total(response) or have
                            self._set(total=total)
                            continue
                        await self._check(response)
                        size = _total(response)
                        if response.status_code == 200:  # no range: start over
                            have = 0
                            size = size if size is not None else _length(response)
                        self._set(state=GatewayState.FLOWING, total=size)
                        with partial.open("r+b" if have else "wb") as out:
                            out.seek(have)
                            out.truncate()
                            await self._read(response, out)
                    retry = _RETRY_FIRST
                    if self.progress.total is None:  # no size given: what came is all
                        self._set(total=partial.stat().st_size)
                except (httpx.TransportError, httpx.RemoteProtocolError) as error:
                    self._give_up_if_ended(error)
                    self._set(state=GatewayState.PAUSED, detail=_describe(error))
                    await asyncio.sleep(retry)
                    retry = min(retry * 2, _RETRY_MAX)

    async def send(self, texts: list[str]) -> GatewayProgress:
        """Send each message in turn; waits when the gateway has no grant for one yet."""
        async with self._client() as client:
            for text in texts:
                retry = _RETRY_FIRST
                while True:
                    try:
                        response = await client.post("/v1/messages", json={"text": text})
                    except httpx.TransportError as error:
                        self._give_up_if_ended(error)
                        self._set(state=GatewayState.PAUSED, detail=_describe(error))
                        await asyncio.sleep(retry)
                        retry = min(retry * 2, _RETRY_MAX)
                        continue
                    if response.status_code == 429:
                        self._set(state=GatewayState.PAUSED, detail="waiting for a grant")
                        await asyncio.sleep(_retry_after(response))
                        continue
                    await self._check(response)
                    echoed = str(response.json().get("text", text))
                    self._run.add(1)
                    self._set(
                        state=GatewayState.FLOWING,
                        received=self.progress.received + 1,
                        sent=(*self.progress.sent, echoed),
                        detail=None,
                    )
                    break
        return self._set(state=GatewayState.DONE)

    # -- helpers ---------------------------------------------------------------------

    def _give_up_if_ended(self, error: httpx.HTTPError) -> None:
        if not self._alive():
            self._set(state=GatewayState.ENDED, detail=_describe(error))
            raise GatewayUseError(f"the session has ended; {_describe(error)}")

    def _client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.url,
            headers={"Authorization": f"Bearer {self._token}"},
            verify=self._verify,
            timeout=httpx.Timeout(self._timeout, read=None),  # a paused stream is silent
        )

    async def _read(self, response: httpx.Response, out: _Writer | None) -> None:
        """Count (and write) every chunk; mark the use paused while nothing arrives."""
        chunks = response.aiter_raw(_CHUNK).__aiter__()
        while True:
            next_chunk = asyncio.ensure_future(chunks.__anext__())
            try:
                done, _ = await asyncio.wait({next_chunk}, timeout=_QUIET)
                if not done:
                    self._set(state=GatewayState.PAUSED, detail="waiting for a grant")
                    await next_chunk
                chunk = next_chunk.result()
            except StopAsyncIteration:
                return
            finally:
                if not next_chunk.done():
                    next_chunk.cancel()
            if out is not None:
                out.write(chunk)
                out.flush()
            self._run.add(len(chunk))
            self._set(
                state=GatewayState.FLOWING,
                received=self.progress.received + len(chunk),
                detail=None,
            )

    async def _check(self, response: httpx.Response) -> None:
        """Raise GatewayUseError for a refusal (after reading its problem text)."""
        if response.status_code < 400:
            return
        await response.aread()
        try:
            detail = str(response.json().get("detail") or response.json().get("title"))
        except ValueError:
            detail = response.text.strip()[:200] or response.reason_phrase
        ended = response.status_code in (402, 409)
        self._set(state=GatewayState.ENDED if ended else GatewayState.FAILED, detail=detail)
        raise GatewayUseError(f"the gateway refused ({response.status_code}): {detail}")

    def _set(self, **changes: object) -> GatewayProgress:
        updated = replace(self.progress, **changes)  # type: ignore[arg-type]
        if updated != self.progress:
            self.progress = updated
            if self._on_change is not None:
                self._on_change(updated)
        return self.progress


class _Writer(Protocol):
    def write(self, data: bytes, /) -> int: ...

    def flush(self) -> None: ...


def _total(response: httpx.Response) -> int | None:
    """The whole file's size from ``Content-Range`` (``bytes a-b/N`` or ``bytes */N``)."""
    found = _CONTENT_RANGE.fullmatch(response.headers.get("content-range", "").strip())
    return int(found[1]) if found else None


def _length(response: httpx.Response) -> int | None:
    value = response.headers.get("content-length", "")
    return int(value) if value.isdigit() else None


def _retry_after(response: httpx.Response) -> float:
    """The gateway's Retry-After in seconds, within 0.1-10 s (1 s when unusable: absent,
    not a number, or "nan"/"inf", which float() accepts)."""
    with contextlib.suppress(ValueError):
        seconds = float(response.headers.get("retry-after", "1"))
        if math.isfinite(seconds):
            return min(max(seconds, 0.1), 10.0)
    return 1.0


def _describe(error: httpx.HTTPError) -> str:
    text = str(error).strip().splitlines()
    return f"connection lost ({text[0] if text else type(error).__name__})"
