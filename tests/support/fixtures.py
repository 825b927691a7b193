"""Fixtures: databases, catalogues and real server processes, on every engine.

``servers`` and ``module_servers`` run once per database engine named in
``BILLING_TEST_ENGINES`` (a comma list of ``sqlite`` and ``postgresql``;
:data:`DEFAULT_ENGINES` when unset). PostgreSQL tests share one throwaway
cluster per test session (:mod:`tests.support.postgres`), each factory with a
fresh database of its own.

In CI (``CI`` set) a run that asks for PostgreSQL fails, never skips, when the
cluster cannot start, and fails at the end if no PostgreSQL test passed.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

from .catalogs import write_catalog
from .postgres import PostgresCluster, PostgresUnavailable, find_bindir
from .servers import ServerProcess, run_billserver

__all__ = ["DEFAULT_ENGINES", "ENGINES", "ServerFactory", "selected_engines"]

ENGINES = ("sqlite", "postgresql")
DEFAULT_ENGINES = "sqlite,postgresql"
"""The engines the server tests run on when ``BILLING_TEST_ENGINES`` is unset."""

_VARIABLE = "BILLING_TEST_ENGINES"


def selected_engines() -> list[str]:
    """The engines of this run, from ``BILLING_TEST_ENGINES`` or the default."""
    raw = os.environ.get(_VARIABLE) or DEFAULT_ENGINES
    engines = list(dict.fromkeys(name.strip() for name in raw.split(",") if name.strip()))
    unknown = [name for name in engines if name not in ENGINES]
    if unknown or not engines:
        raise pytest.UsageError(f"{_VARIABLE}={raw!r}: choose from {', '.join(ENGINES)}")
    return engines


class ServerFactory:
    """Starts billing servers on one database; stops them all at teardown.

    Without ``cluster`` the database is a SQLite file in ``directory``; with one it
    is a fresh PostgreSQL database in that cluster, dropped by :meth:`close`.
    """

    def __init__(self, directory: Path, cluster: PostgresCluster | None = None) -> None:
        self.directory = directory
        self.cluster = cluster
        self.servers: list[ServerProcess] = []
        self._databases: list[str] = []  # PostgreSQL databases to drop at the end
        if cluster is None:
            self.db_url = f"sqlite:///{directory / 'billing.db'}"
        else:
            self.db_url = self._new_database()

    @property
    def engine_name(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return "sqlite" if self.cluster is None else "postgresql"

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

    def sql(self, query: str, /, **params: Any) -> list[tuple[Any, ...]]:
        """Run one SQL statement on the database, committed; its rows (if any).

        Parameters are named (``:name``), so the same text runs on every engine.
        """
        engine = create_engine(_driver_url(self.db_url), poolclass=NullPool)
        try:
            with engine.begin() as conn:
                result = conn.execute(text(query), params)
                return [tuple(row) for row in result] if result.returns_rows else []
        finally:
            engine.dispose()

    def table_names(self) -> list[str]:
        """The database's tables (Alembic's bookkeeping table included), sorted."""
        engine = create_engine(_driver_url(self.db_url), poolclass=NullPool)
        try:
            return sorted(inspect(engine).get_table_names())
        finally:
            engine.dispose()

    def snapshot(self) -> str:
        """A consistent copy of the database as it is now (no server may be writing);
        returns the copy's URL, for :meth:`restore` or a command's ``--db``."""
        if self.cluster is None:
            copy = self.directory / f"snapshot-{uuid.uuid4().hex[:8]}.db"
            _sqlite_copy(_sqlite_path(self.db_url), copy)
            return f"sqlite:///{copy}"
        return self._new_database(template=_database_name(self.db_url))

    def restore(self, snapshot: str) -> None:
        """Replace the database with a copy of ``snapshot`` (from this engine's snapshot)."""
        if self.cluster is None:
            _sqlite_copy(_sqlite_path(snapshot), _sqlite_path(self.db_url))
            return
        name = _database_name(self.db_url)
        self.cluster.drop_database(name)
        self.cluster.create_database(name, template=_database_name(snapshot))

    def stop_all(self) -> None:
        """Stop every server this factory started."""
        for server in self.servers:
            server.stop()

    def close(self) -> None:
        """Stop the servers and drop the factory's PostgreSQL databases."""
        self.stop_all()
        if self.cluster is not None:
            for name in self._databases:
                self.cluster.drop_database(name)

    def _new_database(self, template: str | None = None) -> str:
        assert self.cluster is not None
        name = f"billing_{uuid.uuid4().hex[:16]}"
        url = self.cluster.create_database(name, template=template)
        self._databases.append(name)
        return url


def _driver_url(url: str) -> URL:
    """``url`` with the driver the server extra ships (psycopg 3) for PostgreSQL."""
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        return parsed.set(drivername="postgresql+psycopg")
    return parsed


def _database_name(url: str) -> str:
    name = make_url(url).database
    assert name, url
    return name


def _sqlite_path(url: str) -> Path:
    return Path(_database_name(url))


def _sqlite_copy(source: Path, target: Path) -> None:
    origin, destination = sqlite3.connect(source), sqlite3.connect(target)
    try:
        origin.backup(destination)
    finally:
        origin.close()
        destination.close()


# -- fixtures ---------------------------------------------------------------------------


@pytest.fixture(scope="module", params=selected_engines())
def database_engine(request: pytest.FixtureRequest) -> str:
    """The engine of this module's server tests: each test runs once per engine."""
    return str(request.param)


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """One throwaway PostgreSQL cluster for the whole test session."""
    bindir = find_bindir()
    if bindir is None:
        _unavailable(
            "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb); "
            "install it with: apt-get install -y postgresql"
        )
    try:
        cluster = PostgresCluster(bindir).start()
    except PostgresUnavailable as error:
        _unavailable(f"the PostgreSQL test cluster did not start: {error}")
    try:
        yield cluster
    finally:
        cluster.stop()


def catalogued(
    directory: Path, accounts: list[dict[str, Any]], **catalog: Any
) -> Iterator[ServerFactory]:
    """A SQLite database in ``directory`` with a catalogue of ``accounts`` imported, for
    a fixture to ``yield from``: the books are verified when it ends, its servers
    stopped."""
    factory = ServerFactory(directory)
    try:
        factory.import_catalog(accounts, **catalog)
        yield factory
        factory.verify()
    finally:
        factory.close()


def _unavailable(message: str) -> NoReturn:
    """Skip PostgreSQL tests on a developer machine; fail them in CI."""
    if os.environ.get("CI"):
        pytest.fail(f"{message} ({_VARIABLE} asks for postgresql and CI must run it)", False)
    pytest.skip(f"{message} (or set {_VARIABLE}=sqlite)")


def _factory(
    request: pytest.FixtureRequest, engine_name: str, directory: Path
) -> Iterator[ServerFactory]:
    cluster: PostgresCluster | None = None
    if engine_name == "postgresql":
        cluster = request.getfixturevalue("postgres_cluster")
    factory = ServerFactory(directory, cluster)
    try:
        yield factory
    finally:
        factory.close()


@pytest.fixture
def servers(
    request: pytest.FixtureRequest, database_engine: str, tmp_path: Path
) -> Iterator[ServerFactory]:
    """A fresh database and a way to start servers on it (function scope)."""
    yield from _factory(request, database_engine, tmp_path)


@pytest.fixture(scope="module")
def module_servers(
    request: pytest.FixtureRequest,
    database_engine: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[ServerFactory]:
    """Like ``servers`` but shared by a test module (one server start per module)."""
    yield from _factory(request, database_engine, tmp_path_factory.mktemp("billing"))


# -- "the PostgreSQL tests did run" -------------------------------------------------------

_passed: dict[str, int] = dict.fromkeys(ENGINES, 0)


def _engine_of(nodeid: str) -> str | None:
    """The engine in a test id such as ``test_x[postgresql]`` or ``test_x[sqlite-3]``."""
    if not nodeid.endswith("]") or "[" not in nodeid:
        return None
    parts: Sequence[str] = nodeid[nodeid.index("[") + 1 : -1].split("-")
    return next((part for part in parts if part in ENGINES), None)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Count the passed tests of each engine."""
    engine = _engine_of(report.nodeid)
    if engine is not None and report.when == "call" and report.passed:
        _passed[engine] += 1


def pytest_sessionfinish(session: pytest.Session) -> None:
    """In CI, a run with server tests and postgresql selected must have passed some on it."""
    if not os.environ.get("CI") or hasattr(session.config, "workerinput"):
        return  # a developer's run, or an xdist worker (the controller sees every report)
    if "postgresql" not in selected_engines() or not any(_passed.values()):
        return
    if _passed["postgresql"] == 0:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write("\n")
            reporter.write_line(
                f"FAILED: {_VARIABLE} includes postgresql but no PostgreSQL test passed",
                red=True,
                bold=True,
            )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
