"""Billing-event batches through the integration interface, against the raw database.

Usage::

    python benchmarks/events.py [--events 100000] [--accounts 100] [--dir DIR]

It starts a real ``billserver serve`` on a SQLite database on disk (``--dir``,
default a temporary directory under /var/tmp, never tmpfs), signs in as an
operator and sends ``--events`` billing events in ONE ``POST
/v1/integration/events`` call (spread over ``--accounts`` postpaid accounts),
then sends the same batch again (every event a duplicate: idempotency by
event id). It prints events/s for both, the server's CPU seconds, and checks the
books with ``billserver verify``.

In the same run it measures the raw database baseline: the same number of
events written with the server's SQLite settings (WAL, synchronous=FULL) by a
plain sqlite3 loop in one transaction, each event an indexed event row plus a
charge-record row of the same shape as the server's, and one balance update per
account, then one durable commit. The ratio server/raw is the figure to watch;
absolute rates depend on the machine and on what else runs on it. CPU seconds
(server process vs. the baseline loop) are printed too: on a busy machine their
ratio is steadier than wall-clock rates. The server's CPU includes HTTP and JSON
parsing of the whole batch.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

PASSWORD = "bench-password-1"


def catalog(accounts: int) -> str:
    """A catalogue: one event service, ``accounts`` postpaid accounts, an operator."""
    lines = [
        'currency = "EUR"',
        "",
        "[[services]]",
        'id = "message.submit"',
        'name = "Message submission"',
        'unit = "event"',
        'media = "im"',
        "",
        "[[plans]]",
        'id = "bench"',
        'name = "Bench"',
        'tax_rate = "0.19"',
        "",
        "  [[plans.rates]]",
        '  service = "message.submit"',
        '  price = "0.0013"',
    ]
    for index in range(accounts):
        lines += [
            "",
            "[[accounts]]",
            f'id = "acct-{index:04d}"',
            f'name = "Account {index}"',
            'kind = "postpaid"',
            'plan = "bench"',
            'credit_limit = "1000000"',
        ]
    lines += ["", "[[users]]", 'login = "ops"', f'password = "{PASSWORD}"', 'role = "operator"']
    return "\n".join(lines) + "\n"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def billserver(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "billserver", *args], capture_output=True, text=True, check=False
    )


def start_server(db_url: str, workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    log = open(workdir / "server.log", "ab")  # noqa: SIM115 - handed to the child
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "billserver",
            "serve",
            "--db",
            db_url,
            "--port",
            str(port),
            "--no-invoice-schedule",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/v1/health", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise SystemExit("the server did not start; see " + str(workdir / "server.log"))


def make_events(count: int, accounts: int) -> list[dict[str, object]]:
    start = datetime.now(UTC) - timedelta(minutes=10)
    return [
        {
            "event_id": f"ev-{index:08d}-{uuid.uuid4().hex[:8]}",
            "account_id": f"acct-{index % accounts:04d}",
            "service_id": "message.submit",
            "units": 1 + index % 5,
            "at": (start + timedelta(microseconds=index)).isoformat(),
        }
        for index in range(count)
    ]


def raw_baseline(path: Path, events: list[dict[str, object]], accounts: int) -> tuple[float, float]:
    """Events/s and CPU seconds for the same rows written by plain sqlite3 in one durable
    transaction."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute(
        "CREATE TABLE events (event_id TEXT PRIMARY KEY, account_id TEXT, cdr_id TEXT, "
        "charged INTEGER, transfer_id TEXT, created_at INTEGER)"
    )
    db.execute(
        "CREATE TABLE cdrs (cdr_id TEXT PRIMARY KEY, session_id TEXT, account_id TEXT, "
        "service_id TEXT, plan_id TEXT, plan_version INTEGER, started_at INTEGER, "
        "ended_at INTEGER, used_units INTEGER, unbilled_units INTEGER, billed_units INTEGER, "
        "charged INTEGER, cause TEXT, servers TEXT, supersedes TEXT, created_at INTEGER)"
    )
    db.execute("CREATE INDEX ix_cdrs_account_ended ON cdrs (account_id, ended_at, cdr_id)")
    db.execute("CREATE TABLE accounts (account_id TEXT PRIMARY KEY, balance INTEGER)")
    db.executemany(
        "INSERT INTO accounts VALUES (?, 0)", [(f"acct-{i:04d}",) for i in range(accounts)]
    )
    began, cpu_began = time.perf_counter(), time.process_time()
    db.execute("BEGIN IMMEDIATE")
    totals: dict[str, int] = {}
    now = int(time.time() * 1e6)
    for event in events:
        account = str(event["account_id"])
        charged = 1300 * int(str(event["units"]))
        cdr_id = str(uuid.uuid4())
        db.execute(
            "INSERT INTO cdrs VALUES (?, ?, ?, ?, 'bench', 1, ?, ?, ?, 0, ?, ?, 'service_done', "
            "'[\"bench\"]', NULL, ?)",
            (
                cdr_id,
                str(uuid.uuid4()),
                account,
                "message.submit",
                now,
                now,
                event["units"],
                event["units"],
                charged,
                now,
            ),
        )
        db.execute(
            "INSERT INTO events VALUES (?, ?, ?, ?, NULL, ?)",
            (event["event_id"], account, cdr_id, charged, now),
        )
        totals[account] = totals.get(account, 0) + charged
    for account, total in totals.items():
        db.execute(
            "UPDATE accounts SET balance = balance - ? WHERE account_id = ?", (total, account)
        )
    db.execute("COMMIT")
    elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu_began
    db.close()
    return len(events) / elapsed, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--accounts", type=int, default=100)
    parser.add_argument("--dir", type=Path, default=None, help="work directory (on disk)")
    args = parser.parse_args()
    workdir = Path(args.dir or tempfile.mkdtemp(prefix="bench-events-", dir="/var/tmp"))
    workdir.mkdir(parents=True, exist_ok=True)
    db_url = f"sqlite:///{workdir / 'billing.db'}"
    (workdir / "catalog.toml").write_text(catalog(args.accounts))
    imported = billserver("import", str(workdir / "catalog.toml"), "--db", db_url)
    if imported.returncode:
        raise SystemExit(imported.stderr)
    events = make_events(args.events, args.accounts)
    raw_rate, raw_cpu = raw_baseline(workdir / "raw.db", events, args.accounts)
    proc, url = start_server(db_url, workdir)
    try:
        with httpx.Client(timeout=600) as http:
            signed = http.post(
                url + "/v1/devices",
                json={
                    "login": "ops",
                    "password": PASSWORD,
                    "device_name": "bench",
                    "platform": "bench",
                },
            )
            signed.raise_for_status()
            auth = {"Authorization": "Bearer " + signed.json()["access_token"]}
            figures = []
            for label in ("first", "again (all duplicates)"):
                cpu_before = cpu_seconds(proc.pid)
                began = time.perf_counter()
                answer = http.post(
                    url + "/v1/integration/events", json={"events": events}, headers=auth
                )
                elapsed = time.perf_counter() - began
                cpu = cpu_seconds(proc.pid) - cpu_before
                answer.raise_for_status()
                body = answer.json()
                figures.append((label, elapsed, cpu, body))
    finally:
        proc.terminate()
        proc.wait(30)
    verified = billserver("verify", "--db", db_url)
    print(f"events per batch: {args.events} over {args.accounts} accounts (one call)")
    print(
        f"raw sqlite3 baseline (same rows, one durable transaction): {raw_rate:,.0f} events/s, "
        f"CPU {raw_cpu:.2f} s ({args.events / raw_cpu:,.0f} events per CPU second)"
    )
    for label, elapsed, cpu, body in figures:
        rate = args.events / elapsed
        print(
            f"server, {label}: {elapsed:.2f} s, {rate:,.0f} events/s "
            f"(ratio to raw {rate / raw_rate:.3f}), server CPU {cpu:.2f} s "
            f"({args.events / cpu:,.0f} events per CPU second, ratio to raw "
            f"{raw_cpu / cpu:.3f}); "
            f"charged {body['charged']}, duplicates {body['duplicates']}, "
            f"rejected {body['rejected']}, amount {body['amount']}"
        )
    print("billserver verify:", "ok" if verified.returncode == 0 else "FAILED")
    if verified.returncode:
        print(verified.stdout)
    if args.dir is None:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0 if verified.returncode == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
