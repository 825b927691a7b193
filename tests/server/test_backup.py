"""``billserver backup``: SQLite's online copy, taken while a server writes, refusing
to overwrite, into a directory; PostgreSQL answered with a pointer to pg_dump (a
PostgreSQL deployment is backed up with pg_dump, so these tests run on SQLite only).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.api import Api
from tests.support.catalogs import account
from tests.support.fixtures import ServerFactory, catalogued
from tests.support.servers import ServerProcess, run_billserver

ACCOUNTS = [account("busy", "100"), account("copied", "7")]


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerFactory]:
    """A SQLite database with the catalogue (the books verified at the end)."""
    yield from catalogued(tmp_path_factory.mktemp("backup"), ACCOUNTS)


@pytest.fixture(scope="module")
def writer(database: ServerFactory) -> ServerProcess:
    """A server writing to the database while it is copied."""
    return database.start("backup-writer")


def test_backup_while_a_server_writes(
    database: ServerFactory, writer: ServerProcess, tmp_path: Path
) -> None:
    before = Api(writer.url, "copied").registration["device_id"]  # committed before the copy
    stop = threading.Event()
    written: list[int] = []

    def write_load() -> None:
        api = Api(writer.url, "busy")
        while not stop.is_set():
            session = api.open("sms").json()
            assert api.end(session["session_id"], 1, 1).status_code == 200
            written.append(1)

    load = threading.Thread(target=write_load)
    load.start()
    try:
        while not written:
            time.sleep(0.05)
        copies = []
        for n in range(2):
            copy = tmp_path / f"copy-{n}.db"
            result = run_billserver("backup", str(copy), "--db", database.db_url)
            assert result.returncode == 0, result.stderr
            assert str(copy) in result.stdout
            copies.append(copy)
    finally:
        stop.set()
        load.join(60)
    assert len(written) >= 2
    source_accounts = database.sql("SELECT account_id, name FROM accounts ORDER BY account_id")
    for copy in copies:
        assert not Path(f"{copy}-wal").exists()
        checked = run_billserver("verify", "--db", f"sqlite:///{copy}")
        assert checked.returncode == 0, checked.stdout + checked.stderr
        copied = ServerFactory(tmp_path)
        copied.db_url = f"sqlite:///{copy}"
        assert copied.sql("SELECT account_id, name FROM accounts ORDER BY account_id") == (
            source_accounts
        )
        devices = copied.sql("SELECT device_id FROM devices WHERE device_id = :d", d=before)
        assert devices == [(before,)]


def test_backup_refuses_to_overwrite_and_writes_into_a_directory(
    database: ServerFactory, tmp_path: Path
) -> None:
    target = tmp_path / "taken.db"
    target.write_text("precious")
    refused = run_billserver("backup", str(target), "--db", database.db_url)
    assert refused.returncode == 1
    assert "exists" in refused.stderr and "--force" in refused.stderr
    assert target.read_text() == "precious"
    forced = run_billserver("backup", str(target), "--db", database.db_url, "--force")
    assert forced.returncode == 0, forced.stderr
    assert target.read_bytes().startswith(b"SQLite format 3\x00")
    folder = tmp_path / "backups"
    folder.mkdir()
    into = run_billserver("backup", str(folder), "--db", database.db_url)
    assert into.returncode == 0, into.stderr
    (made,) = folder.iterdir()
    assert made.suffix == ".db" and made.name.startswith("billing-")
    assert not [p for p in folder.iterdir() if p.name.endswith(".partial")]


def test_backup_of_postgresql_points_to_pg_dump() -> None:
    result = run_billserver("backup", "out.dump", "--db", "postgresql://billing@db.invalid/x")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "pg_dump" in result.stderr


def test_backup_of_a_missing_database_is_one_line(tmp_path: Path) -> None:
    result = run_billserver(
        "backup", str(tmp_path / "copy.db"), "--db", f"sqlite:///{tmp_path / 'none.db'}"
    )
    assert result.returncode == 1
    assert "no database at" in result.stderr
    assert not (tmp_path / "none.db").exists()
    assert not (tmp_path / "copy.db").exists()
