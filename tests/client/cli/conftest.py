"""CLI tests: the real ``billclient`` command as a subprocess, against real servers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.fixtures import ServerFactory

from .helpers import Cli, import_catalog, start_server
from .scenarios import Scenarios


@pytest.fixture(scope="module", params=["sqlite"])
def database_engine(request: pytest.FixtureRequest) -> str:
    """The client does not depend on the server's engine: SQLite servers only."""
    return str(request.param)


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    """A client home of its own for this test."""
    return Cli(tmp_path)


@pytest.fixture(scope="session")
def scenarios(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenarios]:
    """The failure scenarios of test_sessions.py, running in background threads."""
    started = Scenarios(tmp_path_factory)
    try:
        yield started
    finally:
        started.close()


@pytest.fixture(scope="module")
def pair(module_servers: ServerFactory, request: pytest.FixtureRequest) -> ServerFactory:
    """The test catalogue on a database with one server running.

    When this run includes test_sessions.py, its scenarios start first: they wait
    more than they compute, and run while these tests do.
    """
    if any(item.path.name == "test_sessions.py" for item in request.session.items):
        request.getfixturevalue("scenarios")
    import_catalog(module_servers)
    start_server(module_servers, "primary")
    return module_servers
