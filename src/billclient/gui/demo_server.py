"""A billing server with demo data on loopback, for screenshots and benchmarks.

It runs the real server command (``python -m billserver``) in child processes, so the
client package never imports the server; that needs the ``server`` extra, and
:func:`server_available` says whether it is installed.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import random
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from .resources import resource_text

__all__ = ["MISSING_SERVER", "DemoServer", "server_available"]

MISSING_SERVER = (
    "this needs the billing server, which is not installed: pip install 'billclient[server]'"
)


def server_available() -> bool:
    """Whether the ``billserver`` package (the ``server`` extra) can be run."""
    return importlib.util.find_spec("billserver") is not None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class DemoServer:
    """``billserver import`` of ``resources/demo-catalog.toml`` into a SQLite file under
    ``directory``, then ``billserver serve`` on a free loopback port."""

    def __init__(self, directory: Path, *extra: str) -> None:
        self.directory = directory
        self.db_url = f"sqlite:///{directory / 'demo.db'}"
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.extra = list(extra)
        self.process: subprocess.Popen[bytes] | None = None

    def _command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "billserver", *args]

    async def start(self, timeout: float = 60) -> DemoServer:
        """Import the demo catalogue, start the server, wait until it answers."""
        catalog = self.directory / "demo-catalog.toml"
        catalog.write_text(resource_text("demo-catalog.toml"), encoding="utf-8")
        imported = await asyncio.to_thread(
            subprocess.run,
            self._command("import", str(catalog), "--db", self.db_url),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if imported.returncode != 0:
            lines = (imported.stderr or imported.stdout).strip().splitlines() or ["failed"]
            raise RuntimeError(f"billserver import: {lines[-1]}")
        log = open(self.directory / "server.log", "ab")  # noqa: SIM115 - the child's
        self.process = subprocess.Popen(
            self._command(
                "serve",
                "--db",
                self.db_url,
                "--port",
                str(self.port),
                "--server-id",
                "demo",
                *self.extra,
            ),
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        log.close()
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(timeout=2) as http:
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError(
                        f"the demo server exited (see {self.directory / 'server.log'})"
                    )
                try:
                    if (await http.get(f"{self.url}/v1/health")).status_code == 200:
                        return self
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("the demo server did not start in time")
                await asyncio.sleep(0.1)

    async def bill_past_weeks(self, account: str, operator: tuple[str, str], weeks: int = 5) -> int:
        """Charge ``account`` with dated billing events over the last ``weeks`` weeks
        (the integration interface, signed in as ``operator``: login, password), so that
        its spending has a history; returns how many events were charged."""
        now = datetime.now(UTC)
        rng = random.Random(7)  # the same month every time
        events = []
        for back in range(weeks * 7, 0, -1):
            day = now - timedelta(days=back)
            for _ in range(rng.choice((0, 1, 1, 2))):
                events.append(("sms", 1, day.replace(hour=rng.randint(8, 21))))
            if back % 4 == 0:
                events.append(("voice", rng.randint(90, 240), day.replace(hour=19)))
            if back % 6 == 0:
                events.append(("download", rng.randint(5, 25) * 1_000_000, day.replace(hour=23)))
        async with httpx.AsyncClient(base_url=self.url, timeout=30) as http:
            login, password = operator
            device = {
                "login": login,
                "password": password,
                "device_name": "demo",
                "platform": "demo",
            }
            signed = await http.post("/v1/devices", json=device)
            signed.raise_for_status()
            body = {
                "events": [
                    {
                        "event_id": f"demo-{account}-{number}",
                        "account_id": account,
                        "service_id": service,
                        "units": units,
                        "at": at.isoformat(),
                    }
                    for number, (service, units, at) in enumerate(events)
                ]
            }
            token = signed.json()["access_token"]
            answer = await http.post(
                "/v1/integration/events", json=body, headers={"Authorization": f"Bearer {token}"}
            )
            answer.raise_for_status()
            charged: int = answer.json()["charged"]
        return charged

    def stop(self) -> None:
        """Stop the server (and wait for it)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
