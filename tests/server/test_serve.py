"""``billserver serve``: start-up, migrations, logging without secrets, graceful stop."""

from __future__ import annotations

import json
import socket
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.support.api import Api
from tests.support.catalogs import account, write_catalog
from tests.support.fixtures import ServerFactory
from tests.support.servers import run_billserver


def test_serve_migrates_imports_logs_and_stops_gracefully(
    servers: ServerFactory, tmp_path: Path
) -> None:
    catalog = write_catalog(tmp_path / "cat.toml", [account("logme", "5")])
    server = servers.start("solo", "--catalog", str(catalog))  # a fresh database
    api = Api(server.url, "logme")
    session_id = api.open("sms").json()["session_id"]
    assert api.update(session_id, 1, 1).status_code == 200  # answered in front of FastAPI
    assert api.post(f"/v1/sessions/{session_id}/updates", {"seq": "two"}).status_code == 422
    assert server.stop() == 0
    log = server.log()
    assert "Traceback" not in log
    requests = [json.loads(line) for line in log.splitlines() if '"request"' in line]
    assert {"method", "path", "status", "ms", "server"} <= requests[-1].keys()
    assert any(r["path"] == "/v1/sessions" and r["status"] == 201 for r in requests)
    updates = [r["status"] for r in requests if r["path"] == f"/v1/sessions/{session_id}/updates"]
    assert updates == [200, 422]  # one line each, also for the call passed on to the route
    for secret in (api.access, api.refresh, "test-password-1"):
        assert secret is not None
        assert secret not in log
    assert servers.sql("SELECT version_num FROM alembic_version")
    if servers.engine_name == "sqlite":
        assert servers.sql("PRAGMA journal_mode") == [("wal",)]


def test_servers_started_at_once_on_a_fresh_database_migrate_and_import_once(
    servers: ServerFactory, tmp_path: Path
) -> None:
    catalog = write_catalog(tmp_path / "cat.toml", [account("herd", "5")])
    with ThreadPoolExecutor(max_workers=3) as pool:
        started = list(
            pool.map(lambda n: servers.start(f"herd{n}", "--catalog", str(catalog)), range(3))
        )
    for server in started:
        assert Api(server.url, "herd").account()["balance"] == "5"
    servers.stop_all()
    assert all("Traceback" not in server.log() for server in started)
    assert "the books balance (1 accounts, 1 transfers" in servers.verify()


def test_serve_refuses_a_busy_port_in_one_line(servers: ServerFactory) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_billserver("serve", "--db", servers.db_url, "--port", str(port), timeout=60)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"could not serve on 127.0.0.1:{port}" in result.stderr


@pytest.mark.parametrize("url", ["nosuchdb://x", "sqlite://"])  # sqlite://: in memory
def test_bad_database_url_is_one_line(tmp_path: Path, url: str) -> None:
    result = run_billserver("verify", "--db", url)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "cannot use database" in result.stderr
    assert result.stderr.count("\n") == 1
