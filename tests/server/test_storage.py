"""A database the server cannot write, and unhandled errors: what clients and operators see.

Against real server processes and a real database made unwritable under them
(:mod:`tests.support.unwritable`: an immutable SQLite file, a read-only PostgreSQL
database): requests that need to write answer 503 ``unavailable`` with
``Retry-After`` (never 500), reads go on, ``/v1/health`` answers 503 with the reason
until the database takes writes again, and nothing is lost or doubled. Commands
meeting such a database print one line naming it. A genuine bug answers 500 once,
is logged once, and leaves the connection open.
"""

from __future__ import annotations

import json
import socket
import time
import uuid
from io import BufferedReader
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.support.api import Api, problem
from tests.support.catalogs import account, write_catalog
from tests.support.fixtures import ServerFactory
from tests.support.servers import ServerProcess, run_billserver
from tests.support.unwritable import immutable, unwritable

ACCOUNTS = [account("disk", "10"), account("bug", "10")]
VOUCHER = {"code": "DISK-0001", "amount": "2"}
RECOVERY_TIMEOUT = 60.0  # seconds for health to see the database working again


@pytest.fixture
def server(servers: ServerFactory) -> ServerProcess:
    servers.import_catalog(ACCOUNTS, vouchers=[VOUCHER])
    return servers.start("storage")  # the factory stops it


def _health(url: str) -> httpx.Response:
    return httpx.get(url + "/v1/health", timeout=30)


def test_an_unwritable_database_answers_503_and_health_says_why(
    servers: ServerFactory, server: ServerProcess
) -> None:
    api = Api(server.url, "disk")
    running = api.open("dl").json()  # bytes: no wall-clock bound on the units
    session_id = running["session_id"]
    assert api.update(session_id, 1, 5).status_code == 200
    before = api.account()

    with unwritable(servers):
        for answer in (
            httpx.post(
                server.url + "/v1/devices",
                json={
                    "login": "disk",
                    "password": "test-password-1",
                    "device_name": "d",
                    "platform": "p",
                },
                timeout=30,
            ),
            api.open("dl"),
            api.update(session_id, 2, 10),  # through the group commit
            api.post(  # a query string: the update front passes it on to the route
                f"/v1/sessions/{session_id}/updates?via=route",
                {"seq": 2, "used_units": 10, "measured_at": "2026-01-01T00:00:00Z"},
            ),
            api.post(
                "/v1/topups",
                {"voucher_code": VOUCHER["code"]},
                headers={"Idempotency-Key": str(uuid.uuid4())},
            ),
        ):
            body = problem(answer, 503, "unavailable")
            assert int(answer.headers["Retry-After"]) >= 1
            assert "database" in body["detail"]
        failing = _health(server.url)
        body = problem(failing, 503, "unavailable")
        assert "the database is failing" in body["detail"]
        assert "Retry-After" in failing.headers
        assert api.account()["balance"] == before["balance"]  # reads go on

    deadline = time.monotonic() + RECOVERY_TIMEOUT
    while _health(server.url).status_code != 200:
        assert time.monotonic() < deadline, "health did not recover"
        time.sleep(0.2)
    # the refused update did not use up its seq, the voucher was not spent
    assert api.update(session_id, 2, 10).status_code == 200
    topped = api.post(
        "/v1/topups", {"voucher_code": VOUCHER["code"]}, headers={"Idempotency-Key": "again"}
    )
    assert topped.status_code == 201, topped.text
    assert api.end(session_id, 3, 12).status_code == 200
    log = server.log()
    assert "Traceback" not in log
    assert "storage failure" in log
    api.close()
    servers.stop_all()
    servers.verify()


def test_serve_refuses_a_database_it_cannot_write_in_one_line(servers: ServerFactory) -> None:
    servers.import_catalog(ACCOUNTS)
    with unwritable(servers):
        result = run_billserver("serve", "--db", servers.db_url, "--port", "0", timeout=120)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("billserver serve: ")
    assert str(make_url(servers.db_url).database) in last
    assert "cannot be written" in last or "read-only" in last


def test_commands_name_the_database_and_the_problem_in_one_line(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh.db"
    fresh.write_bytes(b"")  # an empty file: a database with no tables yet
    garbage = tmp_path / "garbage.db"
    garbage.write_text("not a database\n" * 100)
    catalog = write_catalog(tmp_path / "catalog.toml", ACCOUNTS)
    with immutable(fresh):
        cases = [
            # verify only reads: a file without the billing tables is refused before
            # anything would be written to it
            (["verify", "--db", f"sqlite:///{fresh}"], fresh, "holds no billing database"),
            (["import", str(catalog), "--db", f"sqlite:///{fresh}"], fresh, "cannot be written"),
            (["serve", "--db", f"sqlite:///{fresh}", "--port", "0"], fresh, "cannot be written"),
            (["verify", "--db", f"sqlite:///{garbage}"], garbage, "not a database"),
            (
                ["invoice", "run", "--period", "2026-01", "--db", f"sqlite:///{garbage}"],
                garbage,
                "not a database",
            ),
        ]
        for args, path, problem_text in cases:
            result = run_billserver(*args, timeout=120)
            assert result.returncode == 1, (args, result.stdout, result.stderr)
            assert "Traceback" not in result.stderr, args
            last = result.stderr.strip().splitlines()[-1]
            assert last.startswith(f"billserver {args[0]}: database {path}"), (args, last)
            assert problem_text in last, (args, last)


def test_a_bug_answers_500_once_logged_and_keeps_the_connection(
    servers: ServerFactory, server: ServerProcess
) -> None:
    api = Api(server.url, "bug")
    servers.sql("UPDATE accounts SET status = 'zombie' WHERE account_id = 'bug'")
    host, port = "127.0.0.1", server.port
    request = (
        f"GET /v1/account HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {api.access}\r\n\r\n"
    ).encode()
    with socket.create_connection((host, port), timeout=30) as sock:
        reader = sock.makefile("rb")
        for _ in range(2):  # the same connection answers twice: it was kept open
            sock.sendall(request)
            status, headers, body = _read_response(reader)
            assert status == 500
            assert headers["content-type"].startswith("application/problem+json")
            assert json.loads(body)["code"] == "internal"
            assert "connection" not in headers
        sock.sendall(f"GET /v1/health HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        assert _read_response(reader)[0] == 200
    servers.sql("UPDATE accounts SET status = 'active' WHERE account_id = 'bug'")
    log = server.log()
    assert log.count("unhandled error") == 2  # once per request
    assert "Exception in ASGI application" not in log
    api.close()


def _read_response(reader: BufferedReader) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 response with a Content-Length, read from a socket's file."""
    status_line = reader.readline()
    assert status_line, "the server closed the connection"
    status = int(status_line.split()[1])
    headers: dict[str, str] = {}
    while (line := reader.readline().decode().strip()) != "":
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, reader.read(int(headers.get("content-length", "0")))
