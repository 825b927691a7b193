"""One billing server with a metering gateway for the client-side gateway tests.

Session-scoped, so the client core's and the GUI's gateway tests share one deployment
(a SQLite database, a billing server handing out the gateway, the gateway serving
``data.bin`` and ``movie.bin``); every test uses accounts of its own.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.server.gateway.helpers import CATALOG

from .catalogs import account
from .fixtures import ServerFactory
from .gateways import GatewayProcess, gateway_flags
from .servers import ServerProcess, free_port

__all__ = ["FILES", "GatewaySite", "gateway_site", "running_site"]

FILES = {
    "data.bin": random.Random(7).randbytes(700_321),
    "movie.bin": random.Random(11).randbytes(1_500_000),
}
"""What the gateway serves (random bytes, so a wrong offset shows)."""

ACCOUNTS = ("dl", "resume", "im", "tv", "cli", "gw", "units", "gwdl", "gwmiss", "down")


@dataclass(frozen=True)
class GatewaySite:
    """The running deployment."""

    server: ServerProcess
    gateway: GatewayProcess
    files: Path


@contextlib.contextmanager
def running_site(
    directory: Path,
    accounts: Sequence[str],
    files: Mapping[str, bytes],
    *,
    gateway_flags_: Sequence[str] = (),
) -> Iterator[GatewaySite]:
    """A billing server on a fresh SQLite database in ``directory`` that hands out a
    gateway, and the gateway serving ``files`` (``gateway_flags_`` are the gateway's
    own extra flags); both stopped and the books verified at the end."""
    factory = ServerFactory(directory)
    served = factory.directory / "files"
    served.mkdir()
    for name, data in files.items():
        (served / name).write_bytes(data)
    try:
        factory.import_catalog([account(name) for name in accounts], base=CATALOG)
        port = free_port()
        server = factory.start("primary", *gateway_flags(f"http://127.0.0.1:{port}"))
        gateway = GatewayProcess(
            [server.url], log_dir=factory.directory, files=served, port=port, extra=gateway_flags_
        )
        gateway.start()
        try:
            yield GatewaySite(server, gateway, served)
        finally:
            gateway.stop()
        factory.verify()
    finally:
        factory.close()


@pytest.fixture(scope="session")
def gateway_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewaySite]:
    """A billing server that hands out a gateway, and the gateway (stopped at the end)."""
    with running_site(tmp_path_factory.mktemp("gateway-site"), ACCOUNTS, FILES) as site:
        yield site
