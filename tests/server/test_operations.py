"""Operations: the metrics listener and retention, on every engine (``billserver
backup`` is tests/server/test_backup.py).

Real server processes on loopback.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from billserver.accounts.throttle import ThrottlePolicy
from billserver.clock import now_us
from billserver.db import make_engine
from billserver.migrations.upgrade import upgrade
from billserver.operations.retention import RetentionPolicy, purge_once
from tests.support.api import Api
from tests.support.catalogs import account
from tests.support.fixtures import ServerFactory
from tests.support.servers import ServerProcess, free_port, run_billserver

ACCOUNTS = [account("metered", "10")]

HOUR_US = 3600 * 1_000_000
DAY_US = 24 * HOUR_US
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[^"}]|"(?:[^"\\]|\\.)*")*\})? (\S+)$')


@pytest.fixture(scope="module")
def module_db(module_servers: ServerFactory) -> ServerFactory:
    module_servers.import_catalog(ACCOUNTS)
    return module_servers


@pytest.fixture(scope="module")
def metrics_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def server(module_db: ServerFactory, metrics_port: int) -> Iterator[ServerProcess]:
    """A server with the metrics listener and a fast retention job."""
    yield module_db.start(
        "ops-metrics",
        "--metrics-port",
        str(metrics_port),
        "--retention-interval",
        "0.3",
        "--keep-events-days",
        "1",
    )
    module_db.verify()


@pytest.fixture(scope="module")
def plain(module_db: ServerFactory, server: ServerProcess) -> ServerProcess:
    """A second server on the same database, started without any operations flag."""
    return module_db.start("ops-plain")


def scrape(port: int) -> tuple[httpx.Response, dict[str, float]]:
    """GET /metrics; the answer and its samples (``name{labels}`` -> value)."""
    answer = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=30)
    assert answer.status_code == 200, answer.text
    samples: dict[str, float] = {}
    typed: set[str] = set()
    for line in answer.text.splitlines():
        if line.startswith("# TYPE "):
            typed.add(line.split()[2])
            continue
        if line.startswith("#") or not line:
            continue
        match = SAMPLE.match(line)
        assert match, f"not an exposition sample: {line!r}"
        name, labels, value = match.groups()
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        assert name in typed or base in typed, f"{name} has no TYPE line"
        samples[name + (labels or "")] = float(value)
    return answer, samples


def listening_ports(pid: int) -> set[int]:
    """The TCP ports process ``pid`` listens on (Linux /proc)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def loaded_extensions(pid: int) -> str:
    """The file names of the shared objects process ``pid`` has mapped (Linux /proc)."""
    return Path(f"/proc/{pid}/maps").read_text()


# -- metrics ------------------------------------------------------------------------------


def test_both_servers_run_on_uvloop_and_httptools(
    server: ServerProcess, plain: ServerProcess
) -> None:
    """``serve`` uses uvicorn's fast loop and parser with and without the metrics listener
    (which once ran the API server under a plain ``asyncio.run``)."""
    for process in (server, plain):
        assert process.proc is not None
        assert httpx.get(process.url + "/v1/health", timeout=30).status_code == 200
        maps = loaded_extensions(process.proc.pid)
        assert re.search(r"/uvloop/loop\.cpython", maps), process.server_id
        assert re.search(r"/httptools/parser/parser\.cpython", maps), process.server_id


def test_metrics_are_served_on_their_own_port_only(
    server: ServerProcess, metrics_port: int
) -> None:
    on_api = httpx.get(server.url + "/metrics", timeout=30)
    assert on_api.status_code == 404
    assert on_api.headers["content-type"].startswith("application/problem+json")
    elsewhere = httpx.get(f"http://127.0.0.1:{metrics_port}/v1/health", timeout=30)
    assert elsewhere.status_code == 404
    assert elsewhere.json()["code"] == "not_found"
    posted = httpx.post(f"http://127.0.0.1:{metrics_port}/metrics", timeout=30)
    assert posted.status_code == 405
    assert posted.json()["code"] == "method_not_allowed"
    answer, _samples = scrape(metrics_port)
    assert answer.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"


def test_metrics_count_requests_sessions_updates_and_money(
    server: ServerProcess, metrics_port: int
) -> None:
    api = Api(server.url, "metered")
    assert api.get("/v1/account").status_code == 200
    assert api.get("/v1/sessions/no-such-session").status_code == 404
    _answer, before = scrape(metrics_port)
    opened = api.open("voice").json()
    assert api.update(opened["session_id"], 1, 1).status_code == 200
    _answer, during = scrape(metrics_port)

    account_ok = 'billserver_http_requests_total{method="GET",route="/v1/account",status="200"}'
    assert during[account_ok] >= 1
    missing = (
        'billserver_http_requests_total{method="GET",route="/v1/sessions/{session_id}",'
        'status="404"}'
    )
    assert during[missing] >= 1  # the route template, never the raw path
    update_ok = _requests("POST", "/v1/sessions/{session_id}/updates", 200)
    assert during[update_ok] == before.get(update_ok, 0) + 1  # answered in front: counted once
    assert not any("no-such-session" in key for key in during)
    latency = 'billserver_http_request_duration_seconds_{}{{method="GET",route="/v1/account"{}}}'
    count = during[latency.format("count", "")]
    assert during[latency.format("bucket", ',le="+Inf"')] == count >= 1
    assert during[latency.format("sum", "")] > 0
    assert (
        during["billserver_updates_accepted_total"]
        == before["billserver_updates_accepted_total"] + 1
    )
    assert during["billserver_live_sessions"] == before["billserver_live_sessions"] + 1
    charges = 'billserver_ledger_transfers_total{kind="charge"}'
    assert during[charges] > before.get(charges, 0)
    assert during['billserver_ledger_amount_total{kind="opening"}'] == 10  # the opening balance

    second = api.open("voice").json()["session_id"]
    reports = [
        {"session_id": sid, "seq": 1, "used_units": 1, "measured_at": "2026-01-01T00:00:00Z"}
        for sid in (second, "no-such-session")
    ]
    batch = api.post("/v1/sessions/updates", {"reports": reports})
    assert [r["status"] for r in batch.json()["results"]] == [200, 404]
    # a body the front passes on to the route (which explains it): still counted once
    assert api.post(f"/v1/sessions/{second}/updates", {"seq": "two"}).status_code == 422
    _answer, batched = scrape(metrics_port)
    accepted = "billserver_updates_accepted_total"
    assert batched[accepted] == during[accepted] + 1  # the accepted report of the batch
    batch_ok = _requests("POST", "/v1/sessions/updates", 200)
    assert batched[batch_ok] == during.get(batch_ok, 0) + 1
    refused = _requests("POST", "/v1/sessions/{session_id}/updates", 422)
    assert batched[refused] == during.get(refused, 0) + 1

    assert api.end(opened["session_id"], 2, 1).status_code == 200
    assert api.end(second, 2, 1).status_code == 200
    _answer, after = scrape(metrics_port)
    assert after["billserver_live_sessions"] == before["billserver_live_sessions"]


def _requests(method: str, route: str, status: int) -> str:
    return f'billserver_http_requests_total{{method="{method}",route="{route}",status="{status}"}}'


def test_without_the_flag_nothing_else_listens(plain: ServerProcess) -> None:
    assert plain.proc is not None
    assert listening_ports(plain.proc.pid) == {plain.port}


def test_the_metrics_listener_starts_and_stops_with_the_server(
    module_db: ServerFactory,
) -> None:
    port = free_port()
    extra = module_db.start(
        "ops-metrics-2", "--metrics-port", str(port), "--metrics-host", "127.0.0.2"
    )
    assert extra.proc is not None
    assert listening_ports(extra.proc.pid) == {extra.port, port}
    assert httpx.get(f"http://127.0.0.2:{port}/metrics", timeout=30).status_code == 200
    assert extra.stop() == 0
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.2:{port}/metrics", timeout=5)


def test_a_busy_metrics_port_is_one_line(module_db: ServerFactory) -> None:
    api_port, metrics = free_port(), free_port()
    with socket_listening(metrics):
        result = run_billserver(
            "serve", "--db", module_db.db_url, "--port", str(api_port),
            "--metrics-port", str(metrics), timeout=60,
        )  # fmt: skip
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"could not serve metrics on 127.0.0.1:{metrics}" in result.stderr


@contextlib.contextmanager
def socket_listening(port: int) -> Iterator[None]:
    """A loopback socket listening on ``port`` for the duration of a with block."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))
        sock.listen()
        yield


# -- retention ----------------------------------------------------------------------------


def insert_key(db: ServerFactory, scope: str, key: str, created_at: int) -> None:
    db.sql(
        "INSERT INTO idempotency_keys (scope, endpoint, key, request_digest, status, body, "
        "created_at) VALUES (:scope, 'sessions', :key, 'digest', 201, :body, :at)",
        scope=scope,
        key=key,
        body=json.dumps({}),
        at=created_at,
    )


def insert_event(db: ServerFactory, account_id: str, created_at: int) -> None:
    db.sql(
        "INSERT INTO events (account_id, type, data, created_at) "
        "VALUES (:account, 'balance', :data, :at)",
        account=account_id,
        data=json.dumps({}),
        at=created_at,
    )


def insert_audit(db: ServerFactory, actor: str, at: int) -> None:
    db.sql(
        "INSERT INTO audit_log (at, actor, action, details) VALUES (:at, :actor, 'test', :d)",
        at=at,
        actor=actor,
        d=json.dumps({}),
    )


def keys_of(db: ServerFactory, scope: str) -> set[str]:
    rows = db.sql("SELECT key FROM idempotency_keys WHERE scope = :scope", scope=scope)
    return {key for (key,) in rows}


def test_retention_deletes_old_rows_in_batches(servers: ServerFactory) -> None:
    """The job function on a database of its own (no server purging at the same time)."""
    engine = make_engine(servers.db_url)
    upgrade(engine)
    now = now_us()
    scope = "retention:direct"
    for name, age_h in (("old", 49), ("day-and-a-bit", 25), ("fresh", 23)):
        insert_key(servers, scope, name, now - age_h * HOUR_US)
    for _ in range(12):
        insert_event(servers, "retention-direct", now - 31 * DAY_US)
    insert_event(servers, "retention-direct", now - 29 * DAY_US)
    insert_audit(servers, "retention-direct", now - 401 * DAY_US)
    insert_audit(servers, "retention-direct", now - 399 * DAY_US)
    servers.sql(
        "INSERT INTO signin_failures (key, failures, window_start, blocked_until) "
        "VALUES ('login:retention-old', 2, :old, NULL), "
        "('login:retention-blocked', 9, :old, :later)",
        old=now - DAY_US,
        later=now + HOUR_US,
    )
    try:
        policy = RetentionPolicy(batch=5, throttle=ThrottlePolicy())  # the defaults, small batches
        deleted = purge_once(engine, policy, now=now)
        assert keys_of(servers, scope) == {"day-and-a-bit", "fresh"}  # kept 48 h
        assert deleted["events"] == 12  # two batches and a bit
        events = servers.sql("SELECT created_at FROM events WHERE account_id = 'retention-direct'")
        assert events == [(now - 29 * DAY_US,)]
        audit = servers.sql("SELECT at FROM audit_log WHERE actor = 'retention-direct'")
        assert audit == [(now - 399 * DAY_US,)]
        throttled = servers.sql("SELECT key FROM signin_failures WHERE key LIKE 'login:ret%'")
        assert throttled == [("login:retention-blocked",)]  # still blocked: kept

        shortest = RetentionPolicy(idempotency_hours=24, events_days=None, audit_days=None)
        purge_once(engine, shortest, now=now)
        assert keys_of(servers, scope) == {"fresh"}  # never younger than 24 h
        with pytest.raises(ValueError, match="24"):
            RetentionPolicy(idempotency_hours=23)
    finally:
        engine.dispose()


def test_the_retention_job_runs_in_the_server_under_a_lease(
    module_db: ServerFactory, server: ServerProcess
) -> None:
    now = now_us()
    scope = "retention:served"
    insert_key(module_db, scope, "old", now - 49 * HOUR_US)
    insert_key(module_db, scope, "young", now - 25 * HOUR_US)
    insert_event(module_db, "retention-served", now - 2 * DAY_US)  # --keep-events-days 1
    insert_event(module_db, "retention-served", now - HOUR_US)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and keys_of(module_db, scope) != {"young"}:
        time.sleep(0.1)
    assert keys_of(module_db, scope) == {"young"}
    while time.monotonic() < deadline:
        events = module_db.sql(
            "SELECT created_at FROM events WHERE account_id = 'retention-served'"
        )
        if len(events) == 1:
            break
        time.sleep(0.1)
    assert events == [(now - HOUR_US,)]
    lease = module_db.sql("SELECT holder FROM leases WHERE name = 'retention'")
    assert len(lease) == 1 and lease[0][0].startswith("ops-metrics")


def test_idempotency_keys_cannot_be_kept_less_than_a_day(module_db: ServerFactory) -> None:
    result = run_billserver(
        "serve", "--db", module_db.db_url, "--port", str(free_port()),
        "--keep-idempotency-hours", "10", timeout=60,
    )  # fmt: skip
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "24" in result.stderr
