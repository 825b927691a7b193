"""Real billing server processes on loopback for tests."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx

__all__ = ["ServerProcess", "free_port", "run_billserver", "stop_process"]


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

    def start(self, timeout: float = 30.0) -> ServerProcess:
        """Start the process and wait until ``/v1/health`` answers."""
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
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text()[-2000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.url + "/v1/health", timeout=1).status_code == 200:
                    return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"server did not start: {self.log_path.read_text()[-2000:]}")

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
