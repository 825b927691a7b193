"""Helpers of the CLI tests: the catalogue, the real ``billclient`` as a subprocess.

Each client keeps its profiles in a directory of its own (``BILLCLIENT_HOME``) and
its tokens in an explicitly chosen keyrings.alt file backend there too. The
catalogue updates every second, so sessions of a few seconds exercise the whole loop.
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.catalogs import BASE, PASSWORD, account
from tests.support.fixtures import ServerFactory
from tests.support.servers import ServerProcess

KEYRING_BACKEND = "keyrings.alt.file.PlaintextKeyring"

CATALOG: dict[str, Any] = copy.deepcopy(BASE)
CATALOG["services"] = [
    {
        "id": "call",
        "name": "Call",
        "unit": "second",
        "media": "voice",
        "grant": 30,
        "update_interval": 1,
    },
    {
        "id": "call2",
        "name": "Call, 2 s updates",
        "unit": "second",
        "media": "voice",
        "grant": 30,
        "update_interval": 2,
    },
    {"id": "sms", "name": "Message", "unit": "event", "media": "im", "grant": 1},
]
CATALOG["plans"] = [
    {
        "id": "std",
        "name": "Standard",
        "timezone": "UTC",
        "rates": [
            {"service": "call", "price": "0.01", "per": 1, "setup_fee": "0.05"},
            {"service": "call2", "price": "0.01", "per": 1, "setup_fee": "0.05"},
            {"service": "sms", "price": "0.05"},
        ],
    }
]
CATALOG["vouchers"] = [{"code": "VOUCHER-0001", "amount": "5.00"}]

ACCOUNTS = ["alice", "bob", "carol", "dave", "erin", "frank"]


def start_server(factory: ServerFactory, server_id: str, *extra: str) -> ServerProcess:
    """``factory.start`` with more patience: several servers may start at once on a
    busy machine (the scenarios run while other tests do)."""
    server = ServerProcess(
        factory.db_url, server_id=server_id, log_dir=factory.directory, extra=extra
    )
    factory.servers.append(server)
    return server.start(timeout=120)


def import_catalog(factory: ServerFactory) -> Path:
    """The test catalogue with one prepaid account (10.00) per name in ACCOUNTS, and
    ``poor`` (0.08: a call of 3 s)."""
    accounts = [account(name, "10") for name in ACCOUNTS] + [account("poor", "0.08")]
    return factory.import_catalog(accounts, base=CATALOG)


@dataclass
class Cli:
    """Runs ``python -m billclient`` with a home and keyring of its own."""

    root: Path
    env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.home = self.root / "client-home"
        self.keyring_dir = self.root / "keyring-data"
        self.env = {
            **os.environ,
            "BILLCLIENT_HOME": str(self.home),
            "PYTHON_KEYRING_BACKEND": KEYRING_BACKEND,
            "XDG_DATA_HOME": str(self.keyring_dir),
            "XDG_CONFIG_HOME": str(self.root / "xdg-config"),
            "PYTHONUNBUFFERED": "1",
            "COLUMNS": "200",
        }

    @property
    def keyring_file(self) -> Path:
        """The keyrings.alt plaintext file the client's tokens go to."""
        return self.keyring_dir / "python_keyring" / "keyring_pass.cfg"

    def run(
        self, *args: str, stdin: str | None = None, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        """Run one command to completion."""
        return subprocess.run(
            [sys.executable, "-m", "billclient", *args],
            capture_output=True,
            text=True,
            input=stdin if stdin is not None else "",
            env=self.env,
            timeout=timeout,
        )

    def start(self, *args: str, log: Path) -> subprocess.Popen[str]:
        """Start a command in the background; its stdout and stderr go to ``log``."""
        handle = open(log, "w")  # noqa: SIM115 - handed to the child
        try:
            return subprocess.Popen(
                [sys.executable, "-m", "billclient", *args],
                stdout=handle,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                text=True,
                env=self.env,
            )
        finally:
            handle.close()

    def login(self, user: str, servers: Sequence[str], profile: str = "default") -> None:
        """Sign ``user`` in; fails the test if it does not work."""
        options = [arg for url in servers for arg in ("--server", url)]
        result = self.run(
            "--profile",
            profile,
            "login",
            *options,
            "--user",
            user,
            "--password-stdin",
            stdin=PASSWORD + "\n",
        )
        assert result.returncode == 0, result.stderr


def wait_for(path: Path, text: str, timeout: float = 30.0) -> str:
    """Wait until the file at ``path`` contains ``text``; its contents."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        content = path.read_text() if path.exists() else ""
        if text in content:
            return content
        time.sleep(0.05)
    raise AssertionError(f"{text!r} did not appear in {path}: {content[-2000:]}")
