"""A real metering gateway process (``billserver gateway``) on loopback for tests."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

from .servers import free_port, stop_process

__all__ = ["GATEWAY_SECRET", "GatewayProcess", "gateway_flags"]

GATEWAY_SECRET = "test-gateway-secret-0123456789"


def gateway_flags(gateway_url: str, *extra: str) -> list[str]:
    """``billserver serve`` flags that hand out ``gateway_url`` with the tests' secret."""
    return ["--gateway-url", gateway_url, "--gateway-secret", GATEWAY_SECRET, *extra]


class GatewayProcess:
    """``billserver gateway`` in a child process; pick the port first (servers name it)."""

    def __init__(
        self,
        billing: Sequence[str] = (),
        *,
        log_dir: Path,
        files: Path | None = None,
        port: int | None = None,
        extra: Sequence[str] = (),
    ) -> None:
        self.billing = list(billing)
        self.files = files
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / f"gateway-{self.port}.log"
        self.extra = list(extra)
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> GatewayProcess:
        """Start the process and wait until ``/v1/health`` answers."""
        command = [sys.executable, "-m", "billserver", "gateway", "--port", str(self.port)]
        for url in self.billing:
            command += ["--billing", url]
        if self.files is not None:
            command += ["--files", str(self.files)]
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child
        self.proc = subprocess.Popen(
            [*command, *self.extra],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={
                **os.environ,
                "PYTHONUNBUFFERED": "1",
                "BILLSERVER_GATEWAY_SECRET": GATEWAY_SECRET,
            },
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gateway exited: {self.log()[-2000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.url + "/v1/health", timeout=1).status_code == 200:
                    return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"gateway did not start: {self.log()[-2000:]}")

    def stop(self) -> int | None:
        """Graceful stop (SIGTERM); returns the exit status."""
        return stop_process(self.proc)

    def log(self) -> str:
        """What the gateway wrote."""
        return self.log_path.read_text(errors="replace")
