"""The gateway's client of the billing servers: several URLs, failing over like a client.

The last server that answered is used first (sticky); a connect error, a timeout, a
broken connection or a 502/503/504 answer sends the same request to the next URL.
Every call the gateway makes is safe to repeat (reads, and counts that only grow).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

__all__ = ["BillingClient", "BillingRefused", "BillingUnavailable"]

_RETRY_STATUSES = frozenset({502, 503, 504})


class BillingUnavailable(Exception):
    """No billing server answered."""


class BillingRefused(Exception):
    """A billing server refused the call (a 4xx answer); ``problem`` is its body."""

    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        super().__init__(f"{status}: {problem.get('detail', '')}")
        self.status = status
        self.problem = problem


class BillingClient:
    """POSTs JSON to ``/v1/gateway/...`` of the first billing server that answers."""

    def __init__(self, urls: Sequence[str], secret: str, *, timeout: float) -> None:
        if not urls:
            raise ValueError("at least one billing server URL is needed")
        self.urls = [url.rstrip("/") for url in urls]
        self.current = 0
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout),
            headers={"Authorization": f"Bearer {secret}"},
        )

    async def post(self, path: str, body: Any) -> Any:
        """The JSON answer of the first server that gives one; raises on refusal or outage."""
        failures = []
        for step in range(len(self.urls)):
            index = (self.current + step) % len(self.urls)
            url = self.urls[index] + path
            try:
                answer = await self._http.post(url, json=body)
            except httpx.TransportError as error:
                failures.append(f"{self.urls[index]}: {type(error).__name__}")
                continue
            if answer.status_code in _RETRY_STATUSES:
                failures.append(f"{self.urls[index]}: {answer.status_code}")
                continue
            self.current = index
            if answer.status_code >= 400:
                try:
                    problem = answer.json()
                except ValueError:
                    problem = {"detail": answer.text[:200]}
                raise BillingRefused(answer.status_code, problem)
            return answer.json()
        raise BillingUnavailable("no billing server answered (" + "; ".join(failures) + ")")

    async def close(self) -> None:
        """Close the connections."""
        await self._http.aclose()
