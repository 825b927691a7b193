"""Utilization-update throughput and latency of a billing server, against the raw database.

Usage::

    python benchmarks/updates.py [--db sqlite|postgresql] [--pg-url URL]
        [--sessions N] [--seconds S] [--live 1000,10000,100000] [--dir DIR]

It starts a real ``billserver serve`` on a database on disk (``--dir``, default a
temporary directory under /var/tmp, never tmpfs), opens ``--sessions`` sessions on a
byte service and has each send cumulative updates back to back for ``--seconds``
(after a short warm-up), then prints updates/s, p50/p95/p99 latency, errors and the
CPU used by this client and by the server, in total and per update. In the same run
it measures the raw database's durable single-transaction rate (SQLite: an
update+insert commit loop with the server's own settings, WAL and synchronous=FULL;
PostgreSQL: pgbench tpcb-like with as many clients as sessions) and prints the ratio.
Then a paced run offers half of that load (half the baseline rate, or of the rate
reached at full load when that is lower) and prints its latency. Finally it
measures per-update latency with 1k, 10k and 100k live sessions present (idle
sessions of a free service are inserted in bulk directly in the database so that
seeding does not dominate the run; they are consistent with the ledger: a zero
hold, no charge).

With ``--db postgresql`` and no ``--pg-url`` it starts a throwaway cluster (initdb
+ pg_ctl, as the tests do: ``tests/support/postgres.py``) under ``--dir`` and
deletes it at the end; pgbench runs in a database of its own in that cluster.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx

CATALOG = """\
currency = "EUR"

[[services]]
id = "bench"
name = "Benchmark download"
unit = "byte"
media = "download"
grant = 1000000000
update_interval = 3600

[[services]]
id = "idle"
name = "Idle free service"
unit = "event"
media = "other"
grant = 1
update_interval = 86400

[[plans]]
id = "bench"
name = "Bench"

  [[plans.rates]]
  service = "bench"
  price = "0.01"
  per = 1000000

  [[plans.rates]]
  service = "idle"
  price = "0"

[[accounts]]
id = "bench"
name = "Benchmark"
kind = "prepaid"
plan = "bench"
balance = "1000000"

[[users]]
login = "bench"
password = "bench-password"
account = "bench"
"""


@dataclass
class Run:
    """Figures of one load run."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def billserver(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "billserver", *args], capture_output=True, text=True, check=True
    )


def start_server(db_url: str, workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    log = open(workdir / "server.log", "wb")  # noqa: SIM115 - owned by the child
    proc = subprocess.Popen(
        [sys.executable, "-m", "billserver", "serve", "--db", db_url, "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "BILLSERVER_LOG_REQUESTS": "false"},
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(url + "/v1/health", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"server did not start; see {workdir / 'server.log'}")


async def sign_in(client: httpx.AsyncClient) -> None:
    answer = await client.post(
        "/v1/devices",
        json={
            "login": "bench",
            "password": "bench-password",
            "device_name": "bench",
            "platform": "benchmark",
        },
    )
    answer.raise_for_status()
    client.headers["Authorization"] = "Bearer " + answer.json()["access_token"]


async def open_sessions(client: httpx.AsyncClient, count: int) -> list[str]:
    async def one() -> str:
        answer = await client.post(
            "/v1/sessions",
            json={"service_id": "bench"},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        answer.raise_for_status()
        return str(answer.json()["session_id"])

    return list(await asyncio.gather(*(one() for _ in range(count))))


async def drive(
    client: httpx.AsyncClient,
    seqs: dict[str, int],
    seconds: float,
    step: int = 1000,
    interval: float = 0.0,
) -> Run:
    """Each session sends cumulative updates until the time is up: back to back, or
    one every ``interval`` seconds (a paced load; a late answer is not made up for)."""
    run = Run()
    deadline = time.perf_counter() + seconds

    async def loop(session_id: str, offset: float) -> None:
        await asyncio.sleep(offset)
        while time.perf_counter() < deadline:
            seq = seqs[session_id] + 1
            body = {
                "seq": seq,
                "used_units": seq * step,
                "measured_at": datetime.now(UTC).isoformat(),
            }
            started = time.perf_counter()
            try:
                answer = await client.post(f"/v1/sessions/{session_id}/updates", json=body)
            except httpx.HTTPError:
                run.errors += 1
                continue
            if answer.status_code == 200:
                run.latencies.append(time.perf_counter() - started)
                seqs[session_id] = seq
            else:
                run.errors += 1
            if interval:
                await asyncio.sleep(max(0.0, interval - (time.perf_counter() - started)))

    started = time.perf_counter()
    count = len(seqs)
    await asyncio.gather(*(loop(s, interval * i / count) for i, s in enumerate(seqs)))
    run.seconds = time.perf_counter() - started
    return run


def sqlite_baseline(directory: Path, seconds: float) -> float:
    """Durable single-transaction commits/s of plain sqlite3: one update + one insert each."""
    path = directory / "baseline.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE IF NOT EXISTS acct (id INTEGER PRIMARY KEY, balance INTEGER)")
    conn.execute(
        "CREATE TABLE IF NOT EXISTS log (id INTEGER PRIMARY KEY, acct INTEGER, amt INTEGER)"
    )
    conn.execute("INSERT OR REPLACE INTO acct VALUES (1, 0)")
    done, deadline = 0, time.perf_counter() + seconds
    started = time.perf_counter()
    while time.perf_counter() < deadline:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("UPDATE acct SET balance = balance - 1 WHERE id = 1")
        conn.execute("INSERT INTO log (acct, amt) VALUES (1, 1)")
        conn.execute("COMMIT")
        done += 1
    elapsed = time.perf_counter() - started
    conn.close()
    return done / elapsed


def pgbench_baseline(url: str, seconds: float, clients: int) -> float:
    """pgbench tpcb-like transactions/s (durable commits) against the database at ``url``."""
    pgbench = shutil.which("pgbench") or next(
        (str(p) for p in sorted(Path("/usr/lib/postgresql").glob("*/bin/pgbench"))), None
    )
    if pgbench is None:
        raise SystemExit("pgbench not found (install postgresql-contrib / postgresql)")
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    subprocess.run([pgbench, "-i", "-q", dsn], check=True, capture_output=True)
    result = subprocess.run(
        [pgbench, "-b", "tpcb-like", "-c", str(clients), "-j", "2", "-T", str(int(seconds)), dsn],
        check=True,
        capture_output=True,
        text=True,
    )
    for line in result.stdout.splitlines():
        if line.startswith("tps"):
            return float(line.split("=")[1].split()[0])
    raise SystemExit("could not read pgbench's tps:\n" + result.stdout)


@contextlib.contextmanager
def throwaway_postgres(directory: Path) -> Iterator[tuple[str, str]]:
    """A PostgreSQL cluster under ``directory`` (on disk); yields the billing database's
    URL and a second database's for pgbench. Stopped and deleted at the end."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.support.postgres import PostgresCluster, find_bindir

    directory.chmod(0o755)  # the cluster belongs to the postgres user when root runs this
    bindir = find_bindir()
    if bindir is None:
        raise SystemExit("PostgreSQL binaries not found under /usr/lib/postgresql")
    previous, tempfile.tempdir = tempfile.tempdir, str(directory)  # the cluster's data dir
    try:
        cluster = PostgresCluster(bindir).start()
    finally:
        tempfile.tempdir = previous
    try:
        yield cluster.create_database("billing"), cluster.create_database("pgbench")
    finally:
        cluster.stop()


_HOLD_COLUMNS = (
    "hold_id, account_id, session_id, state, reserved_total, posted, released, remaining, "
    "created_at"
)
_SESSION_COLUMNS = (
    "session_id, account_id, login, device_id, service_id, plan_version_id, hold_id, unit, "
    "grant_units, update_interval, state, started_at, last_activity, deadline, last_seq, "
    "used_units, unbilled_units, charged, granted_units, final, servers"
)


def seed_idle_sessions(db_url: str, count: int) -> float:
    """Insert ``count`` live sessions of the free "idle" service directly (a zero hold,
    no charge), in bulk with the database driver (sqlite3 executemany, PostgreSQL COPY)
    in one transaction; returns the seconds it took."""
    from sqlalchemy.engine import make_url

    began = time.perf_counter()
    now = int(time.time() * 1_000_000)
    deadline = now + 3 * 86400 * 1_000_000
    ids = [(str(uuid.uuid4()), str(uuid.uuid4())) for _ in range(count)]
    holds = [(h, "bench", s, "pending", 0, 0, 0, 0, now) for s, h in ids]
    url = make_url(db_url)

    def sessions(plan: int, false: object) -> list[tuple[object, ...]]:
        return [
            (
                s,
                "bench",
                "bench",
                None,
                "idle",
                plan,
                h,
                "event",
                1,
                86400,
                "active",
                now,
                now,
                deadline,
                0,
                0,
                0,
                0,
                1,
                false,
                '["seed"]',
            )
            for s, h in ids
        ]

    if url.get_backend_name() == "sqlite":
        conn = sqlite3.connect(str(url.database), isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            plan = conn.execute(_PLAN_SQL).fetchone()[0]
            conn.executemany(f"INSERT INTO holds ({_HOLD_COLUMNS}) VALUES ({_marks(9)})", holds)
            conn.executemany(
                f"INSERT INTO sessions ({_SESSION_COLUMNS}) VALUES ({_marks(21)})",
                sessions(plan, 0),
            )
            conn.execute("COMMIT")
        finally:
            conn.close()
    else:
        import psycopg

        dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(dsn) as pg, pg.cursor() as cursor:
            plan = cursor.execute(_PLAN_SQL).fetchone()[0]  # type: ignore[index]
            with cursor.copy(f"COPY holds ({_HOLD_COLUMNS}) FROM STDIN") as copy:
                for row in holds:
                    copy.write_row(row)
            with cursor.copy(f"COPY sessions ({_SESSION_COLUMNS}) FROM STDIN") as copy:
                for row in sessions(plan, False):
                    copy.write_row(row)
    return time.perf_counter() - began


_PLAN_SQL = "SELECT id FROM plan_versions WHERE plan_id = 'bench' AND current"


def _marks(count: int) -> str:
    return ", ".join("?" * count)


@dataclass
class Load:
    """A signed-in client with open sessions and their last accepted seq."""

    client: httpx.AsyncClient
    seqs: dict[str, int]


@contextlib.asynccontextmanager
async def load(url: str, sessions: int) -> AsyncIterator[Load]:
    limits = httpx.Limits(max_connections=sessions, max_keepalive_connections=sessions)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:
        await sign_in(client)
        ids = await open_sessions(client, sessions)
        seqs = dict.fromkeys(ids, 0)
        await drive(client, seqs, 1.0)  # warm-up: connections, caches
        yield Load(client, seqs)


@dataclass
class Measured:
    run: Run
    server_cpu: float
    client_cpu: float


async def measure(
    url: str, pid: int, sessions: int, seconds: float, interval: float = 0.0
) -> Measured:
    """A run after the warm-up, with the CPU this client and the server used during it."""
    async with load(url, sessions) as warm:
        server, client = cpu_seconds(pid), own_cpu()
        run = await drive(warm.client, warm.seqs, seconds, interval=interval)
        return Measured(run, cpu_seconds(pid) - server, own_cpu() - client)


def report(label: str, run: Run) -> str:
    return (
        f"{label}: {run.rate:8.1f} updates/s  p50 {run.percentile(50):6.2f} ms  "
        f"p95 {run.percentile(95):6.2f} ms  p99 {run.percentile(99):6.2f} ms  "
        f"errors {run.errors}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument(
        "--pg-url",
        help="SQLAlchemy URL of an empty PostgreSQL database (default: a throwaway cluster)",
    )
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument(
        "--live",
        default="1000,10000,100000",
        help="live-session counts for the latency-versus-size runs ('' to skip)",
    )
    parser.add_argument("--dir", type=Path, help="where the databases live (default /var/tmp)")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="billbench-", dir=args.dir or "/var/tmp"))
    with contextlib.ExitStack() as stack:
        if args.db == "sqlite":
            db_url, pgbench_url = f"sqlite:///{workdir / 'billing.db'}", ""
        elif args.pg_url:
            db_url = pgbench_url = args.pg_url
        else:
            db_url, pgbench_url = stack.enter_context(throwaway_postgres(workdir))
        return _benchmark(args, workdir, db_url, pgbench_url)
    return 0


def _benchmark(args: argparse.Namespace, workdir: Path, db_url: str, pgbench_url: str) -> int:
    catalog = workdir / "catalog.toml"
    catalog.write_text(CATALOG)
    billserver("import", str(catalog), "--db", db_url)
    proc, url = start_server(db_url, workdir)
    try:
        print(f"database: {args.db} in {workdir}; {os.cpu_count()} CPUs")
        full = asyncio.run(measure(url, proc.pid, args.sessions, args.seconds))
        run, done = full.run, max(1, len(full.run.latencies))
        print(report(f"full load, {args.sessions} sessions", run))
        print(
            f"CPU over the run ({run.seconds:.1f} s wall): server {full.server_cpu:.2f} s "
            f"= {full.server_cpu / done * 1000:.2f} ms/update, client {full.client_cpu:.2f} s "
            f"= {full.client_cpu / done * 1000:.2f} ms/update"
        )
        if args.db == "sqlite":
            baseline = sqlite_baseline(workdir, min(args.seconds, 5.0))
            name = "sqlite3 update+insert durable commits"
        else:
            baseline = pgbench_baseline(pgbench_url, min(args.seconds, 10.0), args.sessions)
            name = f"pgbench tpcb-like, {args.sessions} clients"
        print(f"baseline ({name}): {baseline:8.1f} tx/s")
        print(f"ratio updates/s : baseline = {run.rate / baseline:.2f}")
        half = 0.5 * min(baseline, run.rate)
        interval = args.sessions / half if half > 0 else 0.0
        paced = asyncio.run(
            measure(url, proc.pid, args.sessions, min(args.seconds, 5.0), interval=interval)
        )
        print(report(f"half load ({half:.0f}/s offered)", paced.run))
        for count in [int(c) for c in args.live.split(",") if c.strip()]:
            existing = _live(db_url)
            seeded = seed_idle_sessions(db_url, count - existing) if count > existing else 0.0
            sized = asyncio.run(measure(url, proc.pid, 10, 3.0))
            print(
                report(f"{count:>7} live sessions, 10 updating", sized.run)
                + f"  (seeded in {seeded:.1f} s)"
            )
    finally:
        proc.terminate()
        proc.wait(30)
    for line in (workdir / "server.log").read_text(errors="replace").splitlines():
        if "group commit:" in line:
            print("server:", json.loads(line).get("msg", line))
    return 0


def _live(db_url: str) -> int:
    from sqlalchemy import create_engine, func, select

    from billserver.tables import sessions

    engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        count = conn.execute(
            select(func.count()).select_from(sessions).where(sessions.c.state == "active")
        ).scalar_one()
    engine.dispose()
    return int(count)


if __name__ == "__main__":
    raise SystemExit(main())
