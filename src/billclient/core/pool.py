"""The server pool: one request, tried server after server until one answers.

The policy (order, backoff, taking the primary back) is in
:mod:`billclient.core.failover`; this module does the I/O. A request goes to the
current (last good) server first; on a connect error, a timeout, or a 502/503/504
answer, the *same* request (same body, same headers, so the same ``seq`` and
``Idempotency-Key``) goes to the next server. Every attempt has a time budget. While
a server other than the primary is in use, the primary's ``/v1/health`` is probed in
the background and it is taken back once healthy.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import ssl
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from .bus import EventBus, Topic
from .errors import ServerUnreachable, SettingsError, TlsFailure, parse_retry_after
from .failover import FailoverPolicy, FailoverState
from .linkstate import PoolState
from .urls import check_server_url

__all__ = ["DEFAULT_TIMEOUT", "FAILOVER_STATUSES", "PoolState", "ServerPool", "tls_verification"]

_log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 10.0
"""Seconds one attempt of a call may take on one server, unless told otherwise."""

FAILOVER_STATUSES = frozenset({502, 503, 504})
"""Answers after which the same request goes to the next server."""

_PROBE_TIMEOUT = 2.0


def tls_verification(ca_file: Path | None) -> ssl.SSLContext | bool:
    """What httpx verifies certificates with: the system's CAs, or those of ``ca_file``."""
    if ca_file is None:
        return True
    try:
        return ssl.create_default_context(cafile=str(ca_file))
    except (OSError, ssl.SSLError) as error:
        raise SettingsError(f"cannot use the CA file {ca_file}: {error}") from None


def _is_tls_failure(error: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError):
            return True
        if "CERTIFICATE_VERIFY_FAILED" in str(current):
            return True
        current = current.__cause__ or current.__context__
    return False


def _now() -> datetime:
    return datetime.now(UTC)


class ServerPool:
    """Billing servers (primary first) behind one ``request`` call with failover."""

    def __init__(
        self,
        servers: list[str],
        *,
        verify: ssl.SSLContext | bool = True,
        timeout_for: Callable[[str, str], float] | None = None,
        policy: FailoverPolicy | None = None,
        bus: EventBus | None = None,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._servers = [check_server_url(url) for url in dict.fromkeys(servers)]
        self._timeout_for = timeout_for or (lambda _method, _path: DEFAULT_TIMEOUT)
        self.policy = policy or FailoverPolicy()
        self._bus = bus
        self._jitter = jitter
        self._state = FailoverState(len(self._servers))
        self._since = _now()
        self._last_success: datetime | None = None
        self._probe: asyncio.Task[None] | None = None
        self._http = httpx.AsyncClient(
            verify=verify,
            timeout=httpx.Timeout(DEFAULT_TIMEOUT),
            follow_redirects=False,
            headers={"User-Agent": "billclient"},
        )

    # -- what the pool knows ------------------------------------------------------------

    @property
    def servers(self) -> list[str]:
        """The servers, primary first."""
        return list(self._servers)

    @property
    def current(self) -> str | None:
        """The server requests go to first (the last one that answered)."""
        return self._servers[self._state.current] if self._servers else None

    @property
    def state(self) -> PoolState:
        """The server in use, whether it is the primary, since when, last success."""
        return PoolState(
            server=self.current,
            primary=self._state.on_primary,
            since=self._since,
            last_success=self._last_success,
        )

    @property
    def http(self) -> httpx.AsyncClient:
        """The pool's HTTP client (for streams, which the pool does not retry)."""
        return self._http

    def order(self) -> list[str]:
        """The servers in the order a request tries them now."""
        return [self._servers[index] for index in self._state.order()] if self._servers else []

    def set_servers(self, servers: list[str]) -> None:
        """Replace the server list (primary first), staying on the current server if listed."""
        checked = [check_server_url(url) for url in dict.fromkeys(servers)]
        if checked == self._servers:
            return
        current = self.current
        index = checked.index(current) if current in checked else None
        self._servers = checked
        self._state = self._state.resized(len(checked), index)
        if self.current != current:
            self._changed()

    def record(self, server: str, ok: bool) -> None:
        """Note that ``server`` answered (``ok``) outside :meth:`request` (e.g. a stream)."""
        if ok and server in self._servers:
            self._succeeded(self._servers.index(server))

    # -- requests -----------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        budget: float | None = None,
    ) -> httpx.Response:
        """Send one request, failing over to the next server as needed.

        ``budget`` is the time one attempt may take on one server (default:
        ``timeout_for(method, path)``). Returns the first answer that is not a
        502/503/504 (or the last such answer when every server gave one); raises
        :class:`ServerUnreachable` (:class:`TlsFailure`) when no server answered.
        """
        if not self._servers:
            raise ServerUnreachable("no billing server is configured; sign in with a server URL")
        per_attempt = budget if budget is not None else self._timeout_for(method, path)
        attempts: list[str] = []
        tls_failures = 0
        last_answer: httpx.Response | None = None
        passes = 0
        while True:
            retry_after: float | None = None
            for index in self._state.order():
                url = self._servers[index]
                try:
                    answer = await self._attempt(
                        method, url + path, json, headers, params, per_attempt
                    )
                except TimeoutError:
                    attempts.append(f"{url}: no answer within {per_attempt:g} s")
                    continue
                except httpx.HTTPError as error:
                    if _is_tls_failure(error):
                        tls_failures += 1
                        attempts.append(f"{url}: TLS certificate verification failed")
                    else:
                        attempts.append(f"{url}: {_describe(error)}")
                    continue
                if answer.status_code in FAILOVER_STATUSES:
                    attempts.append(f"{url}: HTTP {answer.status_code}")
                    last_answer = answer
                    asked = parse_retry_after(answer.headers.get("Retry-After"))
                    if asked is not None:
                        retry_after = asked if retry_after is None else min(retry_after, asked)
                    continue
                self._succeeded(index)
                return answer
            passes += 1
            wait = self.policy.wait(passes, self._jitter(), retry_after)
            if wait is None:
                break
            await asyncio.sleep(wait)
        self._failed_everywhere()
        if last_answer is not None:
            return last_answer
        summary = "; ".join(dict.fromkeys(attempts))
        if tls_failures and tls_failures == len(attempts):
            raise TlsFailure(
                "the server's certificate could not be verified "
                f"(set a CA file for a private server): {summary}",
                attempts,
            )
        raise ServerUnreachable(f"no billing server answered ({summary})", attempts)

    async def _attempt(
        self,
        method: str,
        url: str,
        json: Any,
        headers: Mapping[str, str] | None,
        params: Mapping[str, Any] | None,
        budget: float,
    ) -> httpx.Response:
        async with asyncio.timeout(budget):
            try:
                return await self._http.request(
                    method,
                    url,
                    json=json,
                    headers=dict(headers or {}),
                    params=dict(params) if params else None,
                    timeout=httpx.Timeout(budget),
                )
            except httpx.TimeoutException:
                raise TimeoutError from None

    async def health(self, server: str, timeout: float = _PROBE_TIMEOUT) -> bool:
        """True if ``server`` answers ``GET /v1/health`` with 200 within ``timeout``."""
        try:
            async with asyncio.timeout(timeout):
                answer = await self._http.get(server + "/v1/health", timeout=timeout)
        except (TimeoutError, httpx.HTTPError):
            return False
        return answer.status_code == 200

    # -- state changes ------------------------------------------------------------------

    def _succeeded(self, index: int) -> None:
        self._last_success = _now()
        before = self._state.current
        self._state = self._state.succeeded(index)
        if self._state.current != before:
            _log.info("now using %s", self.current)
            self._changed()

    def _failed_everywhere(self) -> None:
        self._ensure_probe()

    def _changed(self) -> None:
        self._since = _now()
        self._ensure_probe()
        if self._bus is not None:
            self._bus.publish(Topic.POOL, self.state)

    def _ensure_probe(self) -> None:
        if self._state.on_primary or len(self._servers) < 2:
            return
        if self._probe is not None and not self._probe.done():
            return
        try:
            self._probe = asyncio.get_running_loop().create_task(self._probe_primary())
        except RuntimeError:
            self._probe = None  # no loop running: the next request starts it

    async def _probe_primary(self) -> None:
        while not self._state.on_primary and self._servers:
            await asyncio.sleep(self.policy.probe_interval)
            if self._state.on_primary or not self._servers:
                break
            healthy = await self.health(self._servers[0])
            before = self._state.current
            self._state = self._state.probed(healthy, self.policy)
            if self._state.current != before:
                _log.info("the primary %s is healthy again; using it", self.current)
                self._since = _now()
                if self._bus is not None:
                    self._bus.publish(Topic.POOL, self.state)

    async def aclose(self) -> None:
        """Stop probing and close the connections."""
        if self._probe is not None:
            self._probe.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._probe
            self._probe = None
        await self._http.aclose()


def _describe(error: httpx.HTTPError) -> str:
    if isinstance(error, httpx.ConnectError):
        return "connection refused or host unreachable"
    if isinstance(error, httpx.RemoteProtocolError):
        return "the connection broke"
    text = str(error).strip().splitlines()
    return text[0] if text and text[0] else type(error).__name__
