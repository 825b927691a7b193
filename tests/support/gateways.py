"""A real metering gateway process (``billserver gateway``) on loopback for tests."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from .servers import START_TIMEOUT, free_port, stop_process, wait_until_ready

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

    def start(self, timeout: float = START_TIMEOUT) -> GatewayProcess:
        """Start the process and wait until ``/v1/health`` answers 200."""
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
        wait_until_ready(self.proc, self.url, self.log, "gateway", timeout)
        return self

    def stop(self) -> int | None:
        """Graceful stop (SIGTERM); returns the exit status."""
        return stop_process(self.proc)

    def log(self) -> str:
        """What the gateway wrote."""
        return self.log_path.read_text(errors="replace")
