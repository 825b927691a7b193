"""Real billing server processes on loopback for tests."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx

__all__ = [
    "START_TIMEOUT",
    "ServerProcess",
    "free_port",
    "run_billserver",
    "stop_process",
    "wait_until_ready",
]

START_TIMEOUT = float(os.environ.get("BILLING_TEST_START_TIMEOUT", "180"))
"""Seconds a server or gateway process may take to answer ``/v1/health``: generous,
because a busy machine (other test workers, a CPU hog) can make an interpreter's
imports and a database migration take many times their usual second or two; a
process that exits is reported at once, whatever the timeout."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_billserver(
    *args: str, check: bool = False, stdin: str | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run the real ``billserver`` command (``python -m billserver``)."""
    return subprocess.run(
        [sys.executable, "-m", "billserver", *args],
        capture_output=True,
        text=True,
        check=check,
        input=stdin,
        timeout=timeout,
    )


class ServerProcess:
    """``billserver serve`` in a child process on a free loopback port."""

    def __init__(
        self,
        db_url: str,
        *,
        server_id: str,
        log_dir: Path,
        extra: Sequence[str] = (),
        port: int | None = None,
    ) -> None:
        self.db_url = db_url
        self.server_id = server_id
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / f"server-{server_id}.log"
        self.extra = list(extra)
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = START_TIMEOUT) -> ServerProcess:
        """Start the process and wait until ``/v1/health`` answers 200."""
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "billserver",
                "serve",
                "--db",
                self.db_url,
                "--port",
                str(self.port),
                "--server-id",
                self.server_id,
                *self.extra,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        log.close()
        wait_until_ready(self.proc, self.url, self.log, "server", timeout)
        return self

    def kill(self) -> None:
        """kill -9: no chance to finish anything."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> int | None:
        """Graceful stop (SIGTERM); returns the exit status."""
        return stop_process(self.proc)

    def log(self) -> str:
        """What the server wrote."""
        return self.log_path.read_text(errors="replace")


def wait_until_ready(
    proc: subprocess.Popen[Any],
    url: str,
    log: Callable[[], str],
    what: str,
    timeout: float = START_TIMEOUT,
) -> None:
    """Wait until ``url``'s ``/v1/health`` answers 200 (the readiness signal of both
    the billing server and the gateway); raise with the end of the log if the process
    exits or ``timeout`` passes first (the process is stopped then)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited ({proc.returncode}): {log()[-2000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url + "/v1/health", timeout=5).status_code == 200:
                return
        time.sleep(0.05)
    stop_process(proc)
    raise RuntimeError(f"{what} did not answer within {timeout:g} s: {log()[-2000:]}")


def stop_process(proc: subprocess.Popen[Any] | None) -> int | None:
    """SIGTERM, then SIGKILL after 15 s; the exit status (None if never started)."""
    if proc is None:
        return None
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    return proc.returncode


@contextlib.contextmanager
def running(server: ServerProcess) -> Iterator[ServerProcess]:
    """Start ``server`` and stop it afterwards."""
    server.start()
    try:
        yield server
    finally:
        server.stop()
