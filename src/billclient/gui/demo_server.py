"""A billing server with demo data on loopback, for screenshots and benchmarks.

It runs the real server command (``python -m billserver``) in child processes, so the
client package never imports the server; that needs the ``server`` extra, and
:func:`server_available` says whether it is installed.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import socket
import subprocess
import sys
import time
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

    def stop(self) -> None:
        """Stop the server (and wait for it)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
