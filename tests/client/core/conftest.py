"""Client core tests: real servers on one SQLite database, a real keyring file backend.

The client core does not depend on the database engine, so its tests share one
SQLite deployment for the whole test session (one catalogue import, three server
processes): ``server`` is a plain server, ``short_ttl_server`` issues access tokens
that live one second, and ``spare_server`` is the one tests kill (it is restarted
for the next test that needs it). Every test has its own accounts (listed in
:data:`ACCOUNTS`), so they never see each other's money.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from keyrings.alt.file import PlaintextKeyring

from tests.support.catalogs import account
from tests.support.fixtures import ServerFactory, catalogued
from tests.support.servers import ServerProcess, free_port

KEYRING_BACKEND = "keyrings.alt.file.PlaintextKeyring"

ACCOUNTS = [
    *(
        account(name)
        for name in ("kc", "nokc", "crowd", "ttl", "skew", "reuse", "race", "p1", "p2", "bye")
    ),
    *(account(name) for name in ("calls", "problems", "ended", "pages", "fund")),
    account("poor", "0.005"),
    account("asleep", status="inactive"),
    *(account(name) for name in ("fail", "stuck", "back", "listen", "resume", "overtaken")),
    account("tokfile"),
    account("together"),
]
VOUCHERS = [{"code": "CORE-VOUCHER-1", "amount": "5"}]


@pytest.fixture(scope="session")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerFactory]:
    """One SQLite database with the catalogue, for every client core test."""
    yield from catalogued(tmp_path_factory.mktemp("client-core"), ACCOUNTS, vouchers=VOUCHERS)


@pytest.fixture(scope="session")
def server(deployment: ServerFactory) -> ServerProcess:
    """A plain server (heartbeat every second on event streams)."""
    return deployment.start("main", "--heartbeat", "1")


@pytest.fixture(scope="session")
def _spare(deployment: ServerFactory) -> ServerProcess:
    return deployment.start("spare", "--heartbeat", "1")


@pytest.fixture
def spare_server(_spare: ServerProcess, server: ServerProcess) -> Iterator[ServerProcess]:
    """A server tests may stop, kill and restart; running (again) when a test starts."""
    for process in (_spare, server):
        assert process.proc is not None
        if process.proc.poll() is None:
            process.proc.send_signal(signal.SIGCONT)
    if _spare.proc is not None and _spare.proc.poll() is not None:
        _spare.start()
    yield _spare
    for process in (_spare, server):  # never leave a stopped process behind
        if process.proc is not None and process.proc.poll() is None:
            process.proc.send_signal(signal.SIGCONT)


BACKUP = "https://backup.invalid"
"""A server ``short_ttl_server`` advertises besides itself (never reached in tests)."""


@pytest.fixture(scope="session")
def short_ttl_server(deployment: ServerFactory) -> ServerProcess:
    """A server whose access tokens live one second.

    It advertises itself, :data:`BACKUP`, and a plain-http server on another host
    (which clients must drop).
    """
    port = free_port()
    flags = ["--access-ttl", "1", "--advertise", f"http://127.0.0.1:{port}"]
    flags += ["--advertise", BACKUP, "--advertise", "http://plain.invalid"]
    process = ServerProcess(
        deployment.db_url,
        server_id="short-ttl",
        log_dir=deployment.directory,
        extra=flags,
        port=port,
    )
    deployment.servers.append(process)
    return process.start()


@dataclass(frozen=True)
class ClientHome:
    """Where a test's client keeps its profiles, and its keyring file."""

    home: Path
    keyring_dir: Path

    @property
    def keyring_file(self) -> Path:
        """The keyrings.alt plaintext file."""
        return self.keyring_dir / "python_keyring" / "keyring_pass.cfg"

    def backend(self) -> PlaintextKeyring:
        """The same keyring backend the client uses (reads the same file)."""
        return PlaintextKeyring()


@pytest.fixture
def client_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ClientHome:
    """BILLCLIENT_HOME and an explicitly chosen keyring file backend, both in tmp_path."""
    home = tmp_path / "home"
    keyring_dir = tmp_path / "keyring-data"
    monkeypatch.setenv("BILLCLIENT_HOME", str(home))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", KEYRING_BACKEND)
    monkeypatch.setenv("XDG_DATA_HOME", str(keyring_dir))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    return ClientHome(home, keyring_dir)


async def eventually(
    check: Callable[[], bool], timeout: float = 10.0, interval: float = 0.05
) -> None:
    """Wait until ``check()`` holds (fails the test after ``timeout`` seconds)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(interval)
