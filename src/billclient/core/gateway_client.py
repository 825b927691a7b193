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
on disk, so no byte is fetched (or counted) twice; ``max_bytes`` fetches only that
many (the rest stays for a later download to resume).

Nothing waits forever: a gateway that cannot be reached for ``patience`` seconds in a
row fails the use, and a paused connection gives up once the run has ended.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import re
import time
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
PATIENCE = 30.0
"""Seconds a gateway may stay unreachable (connections refused, reset) before the use fails."""


class GatewayUseError(Exception):
    """The gateway refused or failed for good; ``str()`` is one line for a person.

    ``status`` is the gateway's HTTP status when it refused (404: no such file), None
    when it could not be reached or the session ended.
    """

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


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
    refusal: int | None = None
    """The gateway's HTTP status when it refused the use (404: no such file)."""


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
        patience: float = PATIENCE,
    ) -> None:
        """``alive()`` False (the run has ended) stops retrying after a lost connection
        and stops waiting on a paused one; ``patience`` bounds the retries."""
        self.url = check_server_url(access.url).rstrip("/")
        self._alive = alive
        self._patience = patience
        self._failing_since: float | None = None
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

    async def download(
        self, name: str, target: Path, max_bytes: int | None = None
    ) -> GatewayProgress:
        """Download file ``name`` to ``target``; resumes with ``Range`` when cut off.

        The bytes go to ``target`` + ``.part`` (renamed when complete); a ``.part`` left
        by an earlier attempt is resumed too. Counts only bytes that arrive now; with
        ``max_bytes``, fetches that many at most (the ``.part`` keeps them for later).
        """
        partial = target.with_name(target.name + ".part")
        partial.parent.mkdir(parents=True, exist_ok=True)
        retry = _RETRY_FIRST
        start = partial.stat().st_size if partial.exists() else 0
        async with self._client() as client:
            while True:
                have = partial.stat().st_size if partial.exists() else 0
                total = self.progress.total
                if total is not None and have > total:  # not a part of this file: start over
                    partial.unlink()
                    start = 0
                    continue
                if total is not None and have == total:
                    partial.replace(target)
                    return self._set(state=GatewayState.DONE, detail=str(target))
                if max_bytes is not None and have - start >= max_bytes:
                    return self._set(state=GatewayState.DONE, detail=str(partial))
                end = "" if max_bytes is None else str(start + max_bytes - 1)
                headers = {"Range": f"bytes={have}-{end}"} if have or end else {}
                try:
                    async with client.stream(
                        "GET", f"/v1/files/{name}", headers=headers
                    ) as response:
                        if response.status_code == 416 and have:
                            total = _total(response) or have
                            self._set(total=total)
                            continue
                        await self._check(response, retry_busy=True)
                        size = _total(response)
                        if response.status_code == 200:  # no range: start over
                            have = 0
                            size = size if size is not None else _length(response)
                        self._set(state=GatewayState.FLOWING, total=size)
                        self._failing_since = None
                        with partial.open("r+b" if have else "wb") as out:
                            out.seek(have)
                            out.truncate()
                            await self._read(response, out)
                    retry = _RETRY_FIRST
                    if self.progress.total is None:  # no size given: what came is all
                        self._set(total=partial.stat().st_size)
                except (httpx.TransportError, httpx.RemoteProtocolError) as error:
                    await self._lost(error, retry)
                    retry = min(retry * 2, _RETRY_MAX)
                except _Busy as busy:
                    await self._busy(busy)

    async def send(self, texts: list[str]) -> GatewayProgress:
        """Send each message in turn; waits when the gateway has no grant for one yet."""
        async with self._client() as client:
            for text in texts:
                retry = _RETRY_FIRST
                while True:
                    try:
                        response = await client.post("/v1/messages", json={"text": text})
                    except httpx.TransportError as error:
                        await self._lost(error, retry)
                        retry = min(retry * 2, _RETRY_MAX)
                        continue
                    if response.status_code == 429:
                        self._failing_since = None
                        self._set(state=GatewayState.PAUSED, detail="waiting for a grant")
                        await asyncio.sleep(_retry_after(response))
                        continue
                    try:
                        await self._check(response, retry_busy=True)
                    except _Busy as busy:
                        await self._busy(busy)
                        continue
                    self._failing_since = None
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

    def failed(self, detail: str) -> GatewayProgress:
        """Mark the use failed (``detail`` says why); the progress."""
        return self._set(state=GatewayState.FAILED, detail=detail)

    # -- helpers ---------------------------------------------------------------------

    async def _lost(self, error: httpx.HTTPError, retry: float) -> None:
        """A connection failed: give up when the run has ended or the gateway stayed out
        of reach for the patience; otherwise wait ``retry`` seconds."""
        await self._wait_out(
            _describe(error),
            retry,
            f"the metering gateway at {self.url} did not answer for {self._patience:g} s",
        )

    async def _busy(self, busy: _Busy) -> None:
        """The gateway answered 503: wait as it asks, within the same patience."""
        await self._wait_out(
            busy.detail,
            busy.retry_after,
            f"the metering gateway at {self.url} could not serve for {self._patience:g} s",
        )

    async def _wait_out(self, why: str, wait: float, gave_up: str) -> None:
        """Something out of reach (``why``): give up (``gave_up``) when the run has ended
        or the trouble lasted the patience; otherwise pause for ``wait`` seconds."""
        if not self._alive():
            self._set(state=GatewayState.ENDED, detail=why)
            raise GatewayUseError(f"the session has ended; {why}")
        now = time.monotonic()
        self._failing_since = self._failing_since if self._failing_since is not None else now
        if now - self._failing_since >= self._patience:
            self._set(state=GatewayState.FAILED, detail=gave_up)
            raise GatewayUseError(f"{gave_up}: {why}")
        self._set(state=GatewayState.PAUSED, detail=why)
        await asyncio.sleep(wait)

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
                while not done:  # paused: for a grant, or a gateway that went quiet
                    self._set(state=GatewayState.PAUSED, detail="waiting for a grant")
                    if not self._alive():
                        self._set(state=GatewayState.ENDED, detail="the session has ended")
                        raise GatewayUseError("the session has ended while the gateway paused")
                    done, _ = await asyncio.wait({next_chunk}, timeout=_QUIET)
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

    async def _check(self, response: httpx.Response, *, retry_busy: bool = False) -> None:
        """Raise GatewayUseError for a refusal (after reading its problem text); with
        ``retry_busy``, :class:`_Busy` for a 503 (the gateway cannot reach its billing
        servers for now, as while they fail over: the caller waits and asks again)."""
        if response.status_code < 400:
            return
        await response.aread()
        try:
            detail = str(response.json().get("detail") or response.json().get("title"))
        except ValueError:
            detail = response.text.strip()[:200] or response.reason_phrase
        if retry_busy and response.status_code == 503:
            raise _Busy(detail, _retry_after(response))
        ended = response.status_code in (402, 409)
        self._set(
            state=GatewayState.ENDED if ended else GatewayState.FAILED,
            detail=detail,
            refusal=response.status_code,
        )
        raise GatewayUseError(
            f"the gateway refused ({response.status_code}): {detail}", response.status_code
        )

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


class _Busy(Exception):
    """The gateway answered 503 (its billing servers out of reach for now)."""

    def __init__(self, detail: str, retry_after: float) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retry_after = retry_after


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
