"""python-tuf's fetcher over the billing servers: ``/v1/updates/`` on each in turn.

ngclient builds URLs from one base; the updater gives it :data:`UPDATES_BASE`, a
placeholder, and :class:`ServerFetcher` maps each URL onto the servers the client
knows (``servers()``, current first), with the client's TLS verification. A
connect error, a timeout or a 5xx answer moves on to the next server; any other
HTTP error is the answer (TUF treats a 404 of ``N.root.json`` as "no newer root").
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator

import httpx
from tuf.api.exceptions import DownloadError, DownloadHTTPError
from tuf.ngclient import FetcherInterface

__all__ = ["UPDATES_BASE", "UPDATES_PATH", "ServerFetcher"]

UPDATES_BASE = "https://billing-updates.invalid/"
"""The placeholder base URL ngclient builds its URLs on."""
UPDATES_PATH = "/v1/updates/"
_CHUNK = 64 * 1024


class ServerFetcher(FetcherInterface):
    """Fetches repository files from the first billing server that answers."""

    def __init__(
        self,
        servers: Callable[[], list[str]],
        *,
        verify: ssl.SSLContext | bool = True,
        timeout: float = 10.0,
    ) -> None:
        self._servers = servers
        self._client = httpx.Client(verify=verify, timeout=timeout, follow_redirects=False)

    def close(self) -> None:
        """Close the connections."""
        self._client.close()

    def _fetch(self, url: str) -> Iterator[bytes]:
        if not url.startswith(UPDATES_BASE):
            raise DownloadError(f"unexpected update URL {url}")
        rest = url[len(UPDATES_BASE) :]
        servers = self._servers()
        if not servers:
            raise DownloadError("no billing server is configured")
        failures = []
        for base in servers:
            full = base.rstrip("/") + UPDATES_PATH + rest
            try:
                response = self._client.send(self._client.build_request("GET", full), stream=True)
            except httpx.HTTPError as exc:
                failures.append(f"{base}: {type(exc).__name__}")
                continue
            if response.status_code >= 500:
                response.close()
                failures.append(f"{base}: HTTP {response.status_code}")
                continue
            if response.status_code != 200:
                response.close()
                raise DownloadHTTPError(
                    f"{rest}: HTTP {response.status_code} from {base}", response.status_code
                )
            return _chunks(response)
        raise DownloadError(f"no server answered for {rest} ({'; '.join(failures)})")


def _chunks(response: httpx.Response) -> Iterator[bytes]:
    try:
        yield from response.iter_bytes(_CHUNK)
    except httpx.HTTPError as exc:
        raise DownloadError(f"download interrupted: {type(exc).__name__}") from exc
    finally:
        response.close()
