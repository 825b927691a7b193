"""Shared pieces of the gateway tests: the catalogue and a small metered client."""

from __future__ import annotations

import contextlib
import copy
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx

from tests.support.api import Api
from tests.support.catalogs import BASE

__all__ = ["BPS", "CATALOG", "Downloader", "KeptAlive", "kept_alive", "wait_for"]

BPS = 10_000
"""Bytes per second of the ``tv`` stream (80 kbit/s)."""


def _catalog() -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    data["services"] += [
        {
            "id": "tv",
            "name": "TV stream",
            "unit": "second",
            "media": "video",
            "bitrate": BPS * 8,
            "grant": 2,
            "update_interval": 1,
        },
        {
            "id": "gdl",
            "name": "Gateway download",
            "unit": "byte",
            "media": "download",
            "grant": 262_144,
            "update_interval": 1,
        },
        {
            "id": "radio",
            "name": "Radio stream",
            "unit": "second",
            "media": "voice",
            "bitrate": BPS * 8,
            "grant": 2,
            "update_interval": 3,
        },
        {"id": "web", "name": "Web", "unit": "second", "media": "web"},
    ]
    data["plans"][0]["rates"] += [
        {"service": "tv", "price": "0.01", "per": 1},
        {"service": "gdl", "price": "1", "per": 1_000_000},
        {"service": "radio", "price": "0.01", "per": 1},
        {"service": "web", "price": "0.01", "per": 60},
    ]
    return data


CATALOG = _catalog()

BUSY_PATIENCE = 30.0
"""Seconds a download asks again while the gateway answers 503 (the client's patience)."""


class KeptAlive:
    """The seq numbers a :func:`kept_alive` thread used; ``next_seq`` is the next free one."""

    def __init__(self) -> None:
        self.next_seq = 1


@contextlib.contextmanager
def kept_alive(api: Api, session: dict[str, Any]) -> Iterator[KeptAlive]:
    """Report the session's usage (unchanged) three times per update interval while
    inside, as a client would, so that neither the reaper (3 intervals) nor the
    gateway's stall check (2) ends or pauses it however slowly the test runs."""
    interval = session["update_interval"] / 3
    kept, stop = KeptAlive(), threading.Event()
    headers = {"Authorization": f"Bearer {api.access}"}
    url = f"{api.url}/v1/sessions/{session['session_id']}/updates"
    refused: list[str] = []

    def report() -> None:
        with httpx.Client(timeout=30, headers=headers) as http:
            while not stop.wait(interval):
                body = {"seq": kept.next_seq, "used_units": 0, "measured_at": _now()}
                answer = http.post(url, json=body)
                if answer.status_code != 200:
                    refused.append(answer.text)
                    return
                kept.next_seq += 1

    thread = threading.Thread(target=report, name="kept-alive", daemon=True)
    thread.start()
    try:
        yield kept
    finally:
        stop.set()
        thread.join()
    assert not refused, f"an update keeping the session alive was refused: {refused}"


def _now() -> str:
    return datetime.now(UTC).isoformat()


def wait_for(check: Callable[[], Any], timeout: float = 5.0) -> Any:
    """``check()``'s first truthy answer, polled until ``timeout``; fails after it."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.1)


class Downloader:
    """A download client of one session: reads through the gateway, reports to billing.

    ``report`` turns the bytes received into the ``used_units`` reported (honest:
    the identity). ``servers`` are the billing URLs it fails over across.
    """

    def __init__(
        self,
        api: Api,
        servers: list[str],
        session: dict[str, Any],
        report: Callable[[int], int] = lambda n: n,
    ) -> None:
        self.api = api
        self.servers = servers
        self.session_id = session["session_id"]
        self.gateway = session["gateway"]
        self.report = report
        self.seq = 0
        self.received = bytearray()
        self.last_answer: dict[str, Any] = {}
        self.failovers = 0

    def call(self, path: str, body: dict[str, Any]) -> httpx.Response:
        """POST to the current billing server; on a connect error, to the next one."""
        for _ in self.servers:
            try:
                return self.api.post(path, body)
            except httpx.TransportError:
                index = self.servers.index(self.api.url)
                self.api.url = self.servers[(index + 1) % len(self.servers)]
                self.failovers += 1
        raise AssertionError("no billing server answered")

    def update(self) -> dict[str, Any]:
        """Report the usage so far."""
        self.seq += 1
        answer = self.call(
            f"/v1/sessions/{self.session_id}/updates",
            {
                "seq": self.seq,
                "used_units": self.report(len(self.received)),
                "measured_at": "2026-01-01T00:00:00Z",
            },
        )
        assert answer.status_code == 200, answer.text
        self.last_answer = answer.json()
        return self.last_answer

    def end(self, cause: str = "service_done") -> dict[str, Any]:
        """End the session with the usage so far."""
        self.seq += 1
        answer = self.call(
            f"/v1/sessions/{self.session_id}/end",
            {"seq": self.seq, "used_units": self.report(len(self.received)), "cause": cause},
        )
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    def fetch(
        self,
        name: str,
        *,
        every: int = 65_536,
        midway: Callable[[], None] | None = None,
        at: int = 0,
        drop_on_failover: bool = False,
    ) -> int:
        """GET the file from where the received bytes end (a Range when resuming);
        reports after every ``every`` bytes; returns the HTTP status.

        ``midway()`` runs once ``at`` bytes have arrived; with ``drop_on_failover``
        the transfer is abandoned as soon as a report had to fail over. A 503 (the
        gateway cannot reach billing yet, while the secondary takes over) is asked
        again after its Retry-After, for up to :data:`BUSY_PATIENCE` seconds, as the
        client does.
        """
        failovers = self.failovers
        headers = {"Authorization": f"Bearer {self.gateway['token']}"}
        if self.received:
            headers["Range"] = f"bytes={len(self.received)}-"
        url = f"{self.gateway['url']}/v1/files/{name}"
        next_report = (len(self.received) // every + 1) * every
        deadline = time.monotonic() + BUSY_PATIENCE
        while True:
            with httpx.stream("GET", url, headers=headers, timeout=10) as answer:
                if answer.status_code == 503 and time.monotonic() < deadline:
                    answer.read()
                    time.sleep(float(answer.headers.get("retry-after", "1")))
                    continue
                if answer.status_code not in (200, 206):
                    answer.read()
                    raise AssertionError(f"{answer.status_code}: {answer.text}")
                for chunk in answer.iter_bytes(8192):
                    self.received += chunk
                    if midway is not None and len(self.received) >= at:
                        midway()
                        midway = None
                    if len(self.received) >= next_report:
                        self.update()
                        next_report += every
                    if drop_on_failover and self.failovers > failovers:
                        break  # the connection is dropped mid-transfer
                return answer.status_code
