"""Fixtures: databases, catalogues and real server processes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .catalogs import write_catalog
from .servers import ServerProcess, run_billserver

__all__ = ["ServerFactory"]


class ServerFactory:
    """Starts billing servers on one database; stops them all at teardown."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.db_url = f"sqlite:///{directory / 'billing.db'}"
        self.servers: list[ServerProcess] = []

    def import_catalog(self, accounts: list[dict[str, Any]], **kwargs: Any) -> Path:
        """Write a catalogue with ``accounts`` and import it with the real command."""
        path = write_catalog(self.directory / "catalog.toml", accounts, **kwargs)
        result = run_billserver("import", str(path), "--db", self.db_url)
        assert result.returncode == 0, result.stderr
        return path

    def start(self, server_id: str = "primary", *extra: str) -> ServerProcess:
        """Start one more server process on the shared database."""
        server = ServerProcess(
            self.db_url, server_id=server_id, log_dir=self.directory, extra=extra
        ).start()
        self.servers.append(server)
        return server

    def verify(self) -> str:
        """Run ``billserver verify``; fails the test if the books do not balance."""
        result = run_billserver("verify", "--db", self.db_url)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def stop_all(self) -> None:
        for server in self.servers:
            server.stop()


def _factory(directory: Path) -> Iterator[ServerFactory]:
    factory = ServerFactory(directory)
    try:
        yield factory
    finally:
        factory.stop_all()


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[ServerFactory]:
    """A fresh database and a way to start servers on it (function scope)."""
    yield from _factory(tmp_path)


@pytest.fixture(scope="module")
def module_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerFactory]:
    """Like ``servers`` but shared by a test module (one server start per module)."""
    yield from _factory(tmp_path_factory.mktemp("billing"))
