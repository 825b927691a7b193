"""Server CPU per usage update, with a compiled load generator, against the raw database.

Usage::

    python benchmarks/updates.py [--json] [--db sqlite|postgresql] [--pg-url URL]
        [--connections N] [--seconds S] [--batch 100] [--live 1000,10000,100000]
        [--dir DIR]
    python benchmarks/updates.py --compare BASE/src [--rounds 3] [--json] [...]

It starts a real ``billserver serve`` on a database on disk (a temporary directory
under ``--dir``, default /var/tmp, never tmpfs; deleted after a run that succeeded,
kept after one that failed) and drives it with ``wrk`` (the
Debian package, installed with apt-get when missing) running a Lua script that keeps
each session's ``seq`` and cumulative units: a request takes a session that has no
call in flight, and its answer (checked: 200 with the expected ``seq``) frees it.
Server and wrk are pinned to different CPUs when there are two or more, so the
load generator never competes with the server; the headline is the server's own
CPU (``/proc/PID/stat``) per accepted update. In the same run it measures:

- ``single``: one update per call, ``--connections`` connections back to back
  (server CPU per update, updates/s), then a paced run offering half of that rate
  (wrk's ``delay()``), whose p95 latency is ``half_load_p95_ms``;
- ``batched``: ``POST /v1/sessions/updates`` with ``--batch`` reports per call;
- ``baseline``: the raw database's durable commit rate on the server's CPU (SQLite:
  a plain sqlite3 ``BEGIN IMMEDIATE; UPDATE; INSERT; COMMIT`` loop with the server's
  settings, WAL and synchronous=FULL, measured before and after the batched run;
  PostgreSQL: ``pgbench -b tpcb-like``), and ``batched.ratio`` = batched updates/s :
  baseline tx/s;
- ``live``: server CPU per update with 1k, 10k and 100k live sessions present (idle
  sessions of a free service inserted in bulk, consistent with the ledger);
- PostgreSQL only, ``two_processes``: updates/s of two server processes on the same
  database against one.

``billserver verify`` must pass after the runs (the benchmark fails otherwise).
``--json`` prints one object with the keys ``single.server_cpu_ms_per_update``,
``single.updates_per_s``, ``single.half_load_p95_ms``,
``batched.server_cpu_ms_per_update``, ``batched.updates_per_s``,
``baseline.tx_per_s``, ``batched.ratio``, ``live.per_update_ms`` (an object by live
session count), ``engine`` (and ``two_processes`` for PostgreSQL).

``--compare SRC`` measures only the single-update run, alternating ``--rounds`` times
a server started from another source tree (``SRC``, its ``src`` directory: the base,
e.g. ``git worktree add /tmp/base main`` then ``--compare /tmp/base/src``) with this
one, each on a database of its own made and checked by its own tree (the two may
differ in schema), and reports server CPU per update of each and base : new.

With ``--db postgresql`` and no ``--pg-url`` it starts a throwaway cluster (initdb
+ pg_ctl, as the tests do: ``tests/support/postgres.py``) under ``--dir`` and
deletes it at the end; pgbench runs in a database of its own in that cluster.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
balance = "100000000"

[[users]]
login = "bench"
password = "bench-password"
account = "bench"
"""

LUA = r"""
-- Sessions are free (no call in flight) or busy; a request takes the free ones it
-- needs, its answer frees them. seq and cumulative units are kept per session.
-- wrk builds one request per thread that it never sends: its sessions stay busy,
-- so each run gets one request's worth of sessions more than its connections need.
local ids, seqs, free = {}, {}, {}
local batch, delay_ms, token = 1, 0, ""
local step = 1000
good, bad = 0, 0

function init(args)
  token, batch, delay_ms = args[1], tonumber(args[2]), tonumber(args[3])
  math.randomseed(os.time())
  local n = 0
  for line in io.lines(args[4]) do
    local id, seq = line:match("^(%S+) (%d+)$")
    n = n + 1
    ids[n] = id
    seqs[id] = tonumber(seq)
    free[#free + 1] = id
  end
end

local function report(id)
  local seq = seqs[id] + 1
  return string.format(
    '{"session_id":"%s","seq":%d,"used_units":%d,"measured_at":"2026-01-01T00:00:00Z"}',
    id, seq, seq * step)
end

function request()
  if #free < batch then  -- wrk's own check of the script, before init(): any request
    return wrk.format("GET", "/v1/health")
  end
  local headers = {["Authorization"] = "Bearer " .. token,
                   ["Content-Type"] = "application/json"}
  if batch == 1 then
    local id = table.remove(free)
    local seq = seqs[id] + 1
    local body = string.format(
      '{"seq":%d,"used_units":%d,"measured_at":"2026-01-01T00:00:00Z"}', seq, seq * step)
    return wrk.format("POST", "/v1/sessions/" .. id .. "/updates", headers, body)
  end
  local parts = {}
  for i = 1, batch do
    parts[i] = report(table.remove(free))
  end
  return wrk.format("POST", "/v1/sessions/updates", headers,
                    '{"reports":[' .. table.concat(parts, ",") .. ']}')
end

local function settle(id, seq, status)
  if status == 200 and seq == seqs[id] + 1 then
    seqs[id] = seq
    good = good + 1
  else
    bad = bad + 1
    if bad < 4 then io.stderr:write("refused: ", status, " ", id, " ", seq, " ", seqs[id], "\n") end
  end
  free[#free + 1] = id
end

function response(status, headers, body)
  if batch == 1 then
    local id, seq = body:match('^{"session_id":"([^"]+)","seq":(%d+)')
    if id == nil then
      bad = bad + 1
      if bad < 4 then io.stderr:write("refused: ", status, " ", body, "\n") end
      return
    end
    settle(id, tonumber(seq), status)
    return
  end
  for id, st, seq in body:gmatch(
      '"session_id":"([^"]+)","status":(%d+),"body":{"session_id":"[^"]+","seq":(%d+)') do
    settle(id, tonumber(seq), tonumber(st))
  end
  local _, refused = body:gsub('"status":4%d%d', "")
  bad = bad + refused
end

-- Each wait is drawn from an exponential distribution of mean delay_ms (independent
-- arrivals, as of many devices): a constant wait would keep the connections in
-- lockstep, every answer of a commit sending the next calls together, so a "paced"
-- run would offer bursts of every connection at once.
function delay()
  if delay_ms <= 0 then return 0 end
  return math.floor(-delay_ms * math.log(1 - math.random()) + 0.5)
end

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

function done(summary, latency, requests)
  local g, b = 0, 0
  for _, t in ipairs(threads) do
    g = g + t:get("good")
    b = b + t:get("bad")
  end
  io.write(string.format(
    'WRKJSON {"good":%d,"bad":%d,"requests":%d,"errors":%d,"seconds":%f,' ..
    '"p50_ms":%f,"p95_ms":%f,"p99_ms":%f}\n',
    g, b, summary.requests,
    summary.errors.connect + summary.errors.read + summary.errors.write +
      summary.errors.status + summary.errors.timeout,
    summary.duration / 1e6, latency:percentile(50) / 1e3, latency:percentile(95) / 1e3,
    latency:percentile(99) / 1e3))
end
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpus() -> tuple[set[int], set[int]]:
    """The CPUs of the server and of the load generator (different when possible)."""
    available = sorted(os.sched_getaffinity(0))
    if len(available) < 2:
        return set(available), set(available)
    return {available[0]}, {available[1]}


def billserver(*args: str, src: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run a ``billserver`` command (from ``src``, another source tree's, when given)."""
    return subprocess.run(
        [sys.executable, "-m", "billserver", *args],
        capture_output=True,
        text=True,
        check=True,
        env=_environment(src),
    )


def _environment(src: Path | None) -> dict[str, str]:
    """The environment of a process that runs ``src``'s code (this tree's when None)."""
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src)
    return env


def ensure_wrk() -> str:
    """The wrk binary; installed with apt-get (Debian's package) when missing."""
    found = shutil.which("wrk")
    if found:
        return found
    print("wrk not found: installing it with apt-get", file=sys.stderr)
    apt = ["apt-get", "install", "-y", "wrk"]
    if os.geteuid() != 0:
        apt.insert(0, "sudo")
    if subprocess.run(apt, capture_output=True).returncode != 0:
        subprocess.run([*apt[:-3], "update"], capture_output=True)
        subprocess.run(apt, check=True, capture_output=True)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("could not install wrk (apt-get install wrk)")
    return found


@dataclass
class Server:
    """A ``billserver serve`` child process."""

    proc: subprocess.Popen[bytes]
    url: str
    log: Path

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(60)


def start_server(
    db_url: str, workdir: Path, name: str, cpu: set[int], src: Path | None = None
) -> Server:
    """A server on ``cpu``, from ``src`` (another source tree's ``src``) when given."""
    port = free_port()
    env = {**_environment(src), "BILLSERVER_LOG_REQUESTS": "false"}
    log = workdir / f"server-{name}.log"
    with open(log, "wb") as out:
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
                "--server-id",
                name,
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    os.sched_setaffinity(proc.pid, cpu)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url + "/v1/health", timeout=2).status_code == 200:
                return Server(proc, url, log)
        time.sleep(0.1)
    raise SystemExit(f"server did not start; see {log}")


def sign_in(url: str) -> str:
    answer = httpx.post(
        url + "/v1/devices",
        json={
            "login": "bench",
            "password": "bench-password",
            "device_name": "bench",
            "platform": "benchmark",
        },
        timeout=60,
    )
    answer.raise_for_status()
    return str(answer.json()["access_token"])


def open_sessions(url: str, token: str, count: int) -> list[str]:
    ids = []
    with httpx.Client(base_url=url, timeout=60) as client:
        for _ in range(count):
            answer = client.post(
                "/v1/sessions",
                json={"service_id": "bench"},
                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())},
            )
            answer.raise_for_status()
            ids.append(str(answer.json()["session_id"]))
    return ids


@dataclass
class Figures:
    """One wrk run: accepted updates, refusals, rate, latency and the server's CPU."""

    good: int
    bad: int
    seconds: float
    p95_ms: float
    server_cpu: float

    @property
    def per_s(self) -> float:
        return self.good / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms(self) -> float:
        return self.server_cpu / self.good * 1000 if self.good else float("nan")


class Driver:
    """Runs wrk against servers, with one signed-in token and its sessions."""

    def __init__(self, wrk: str, workdir: Path, token: str, cpu: set[int]) -> None:
        self.wrk = wrk
        self.workdir = workdir
        self.token = token
        self.cpu = cpu
        self.script = workdir / "updates.lua"
        self.script.write_text(LUA)
        self.seqs: dict[str, int] = {}

    def add(self, ids: Sequence[str]) -> None:
        self.seqs.update(dict.fromkeys(ids, 0))

    def run(
        self,
        servers: Sequence[Server],
        *,
        connections: int,
        seconds: float,
        batch: int = 1,
        delay_ms: float = 0.0,
    ) -> Figures:
        """Drive ``servers`` (the connections and sessions split between them)."""
        ids = list(self.seqs)
        per_server = len(ids) // len(servers)
        before = [cpu_seconds(s.proc.pid) for s in servers]
        procs = []
        for number, server in enumerate(servers):
            mine = ids[number * per_server : (number + 1) * per_server]
            needed = (connections // len(servers) + 1) * batch
            if len(mine) < needed:
                raise SystemExit(f"{needed} sessions needed, {len(mine)} open")
            state = self.workdir / f"sessions-{number}.txt"
            state.write_text("".join(f"{sid} {self.seqs[sid]}\n" for sid in mine))
            command = [self.wrk, "-t1", f"-c{connections // len(servers)}",
                       f"-d{seconds:g}s", "--timeout", "30s", "-s", str(self.script),
                       server.url, "--", self.token, str(batch), f"{delay_ms:g}",
                       str(state)]  # fmt: skip
            procs.append(subprocess.Popen(command, stdout=subprocess.PIPE, text=True))
            os.sched_setaffinity(procs[-1].pid, self.cpu)
        outputs = [proc.communicate()[0] for proc in procs]
        used = sum(cpu_seconds(s.proc.pid) - b for s, b in zip(servers, before, strict=True))
        results = [_wrk_json(output) for output in outputs]
        self._resync(servers[0].url)
        return Figures(
            good=sum(r["good"] for r in results),
            bad=sum(r["bad"] + r["errors"] for r in results),
            seconds=max(r["seconds"] for r in results),
            p95_ms=max(r["p95_ms"] for r in results),
            server_cpu=used,
        )

    def _resync(self, url: str) -> None:
        """The sessions' last accepted seq, read back (wrk's state ends with it)."""
        headers = {"Authorization": f"Bearer {self.token}"}
        with httpx.Client(base_url=url, timeout=60, headers=headers) as client:
            for sid in self.seqs:
                answer = client.get(f"/v1/sessions/{sid}")
                answer.raise_for_status()
                self.seqs[sid] = int(answer.json()["last_seq"])


def _wrk_json(output: str) -> dict[str, Any]:
    for line in output.splitlines():
        if line.startswith("WRKJSON "):
            return dict(json.loads(line[len("WRKJSON ") :]))
    raise SystemExit("wrk printed no result:\n" + output)


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


def sqlite_baseline_on(directory: Path, seconds: float, cpu: set[int]) -> float:
    """:func:`sqlite_baseline` run on the server's CPU (this process moves there for it)."""
    previous = os.sched_getaffinity(0)
    os.sched_setaffinity(0, cpu)
    try:
        return sqlite_baseline(directory, seconds)
    finally:
        os.sched_setaffinity(0, previous)


def verify(db_url: str, src: Path | None = None) -> None:
    """``billserver verify`` (``src``'s, when given): the books balance after the runs,
    or the benchmark fails."""
    result = subprocess.run(
        [sys.executable, "-m", "billserver", "verify", "--db", db_url],
        capture_output=True,
        text=True,
        env=_environment(src),
    )
    if result.returncode != 0:
        raise SystemExit("billserver verify failed:\n" + result.stdout + result.stderr)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument(
        "--pg-url",
        help="SQLAlchemy URL of an empty PostgreSQL database (default: a throwaway cluster)",
    )
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--batch", type=int, default=100, help="reports per batched call")
    parser.add_argument(
        "--live",
        default="1000,10000,100000",
        help="live-session counts for the cost-versus-size runs ('' to skip)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--dir", type=Path, help="where the databases live (default /var/tmp)")
    parser.add_argument(
        "--compare",
        type=Path,
        metavar="SRC",
        help="only the single-update run, alternating a server from SRC (another source "
        "tree's src directory, the base) with this one, each on its own database",
    )
    parser.add_argument("--rounds", type=int, default=3, help="alternations for --compare")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="billbench-", dir=args.dir or "/var/tmp"))
    try:
        with contextlib.ExitStack() as stack:
            if args.db == "sqlite":
                db_url, pgbench_url = f"sqlite:///{workdir / 'billing.db'}", ""
            elif args.pg_url:
                db_url = pgbench_url = args.pg_url
            else:
                db_url, pgbench_url = stack.enter_context(throwaway_postgres(workdir))
            if args.compare is not None:
                figures = _compare(args, workdir, _compared(workdir, db_url, pgbench_url))
            else:
                figures = _benchmark(args, workdir, db_url, pgbench_url)
    except BaseException:
        print(f"kept for a look: {workdir} (databases, server logs)", file=sys.stderr)
        raise
    shutil.rmtree(workdir, ignore_errors=True)  # a run's database grows to gigabytes
    if args.json:
        print(json.dumps(figures, indent=2))
    return 0


def _compared(workdir: Path, db_url: str, spare_url: str) -> dict[str, str]:
    """The databases of ``--compare``: this tree's, and one more for the base (SQLite: a
    second file; PostgreSQL: the throwaway cluster's second database)."""
    if db_url.startswith("sqlite"):
        return {"base": f"sqlite:///{workdir / 'billing-base.db'}", "new": db_url}
    if spare_url == db_url:
        raise SystemExit("--compare needs two databases: leave out --pg-url")
    return {"base": spare_url, "new": db_url}


def _say(args: argparse.Namespace, text: str) -> None:
    print(text, file=sys.stderr if args.json else sys.stdout, flush=True)


def _benchmark(
    args: argparse.Namespace, workdir: Path, db_url: str, pgbench_url: str
) -> dict[str, Any]:
    catalog = workdir / "catalog.toml"
    catalog.write_text(CATALOG)
    billserver("import", str(catalog), "--db", db_url)
    server_cpu, load_cpu = cpus()
    wrk = ensure_wrk()
    server = start_server(db_url, workdir, "one", server_cpu)
    result: dict[str, Any] = {"engine": args.db}
    say = lambda text: _say(args, text)  # noqa: E731
    try:
        say(f"database: {args.db} in {workdir}; server on CPU {server_cpu}, wrk on {load_cpu}")
        token = sign_in(server.url)
        driver = Driver(wrk, workdir, token, load_cpu)
        batch_connections = 4
        opened = max(args.connections + 2, (batch_connections + 1) * args.batch)
        driver.add(open_sessions(server.url, token, opened))
        single_ids = list(driver.seqs)[: args.connections + 2]  # + 1 per server process
        batch_ids = list(driver.seqs)

        driver.seqs = {sid: driver.seqs[sid] for sid in single_ids}
        driver.run([server], connections=args.connections, seconds=1)  # warm-up
        single = driver.run([server], connections=args.connections, seconds=args.seconds)
        _check(single, "single")
        say(_line("single updates", single))
        half = _half_load(driver, server, single.per_s / 2, min(args.connections, 10), args)
        _check(half, "half load")
        say(_line(f"half load ({half.per_s:.0f}/s offered at {single.per_s / 2:.0f})", half))

        known = dict.fromkeys(batch_ids, 0) | driver.seqs
        driver.seqs = known
        if args.db == "sqlite":
            before = sqlite_baseline_on(workdir, min(args.seconds, 5.0), server_cpu)
        batched = driver.run(
            [server], connections=batch_connections, seconds=args.seconds, batch=args.batch,
        )  # fmt: skip
        _check(batched, "batched")
        say(_line(f"batched updates ({args.batch} per call)", batched))
        if args.db == "sqlite":
            after = sqlite_baseline_on(workdir, min(args.seconds, 5.0), server_cpu)
            baseline = (before + after) / 2
            name = "sqlite3 update+insert durable commits (before/after)"
        else:
            baseline = pgbench_baseline(pgbench_url, min(args.seconds, 10.0), args.connections)
            name = f"pgbench tpcb-like, {args.connections} clients"
        say(f"baseline ({name}): {baseline:8.1f} tx/s")
        say(f"ratio batched updates/s : baseline = {batched.per_s / baseline:.2f}")

        live: dict[str, float] = {}
        driver.seqs = {sid: driver.seqs[sid] for sid in single_ids}
        for count in [int(c) for c in args.live.split(",") if c.strip()]:
            existing = _live(db_url)
            seeded = seed_idle_sessions(db_url, count - existing) if count > existing else 0.0
            sized = driver.run([server], connections=args.connections, seconds=min(args.seconds, 5))
            _check(sized, f"{count} live")
            live[str(count)] = round(sized.cpu_ms, 4)
            say(_line(f"{count:>7} live sessions", sized) + f"  (seeded in {seeded:.1f} s)")
        if live:
            spread = max(live.values()) / min(live.values())
            say(f"per-update cost, most/least across live sizes: {spread:.2f}")

        if args.db == "postgresql":
            second = start_server(db_url, workdir, "two", load_cpu)
            try:
                one = driver.run([server], connections=args.connections, seconds=args.seconds)
                two = driver.run([server, second], connections=args.connections,
                                 seconds=args.seconds)  # fmt: skip
            finally:
                second.stop()
            _check(one, "one process")
            _check(two, "two processes")
            factor = two.per_s / one.per_s if one.per_s else float("nan")
            say(f"two processes: {two.per_s:.0f}/s against one: {one.per_s:.0f}/s = {factor:.2f}x")
            result["two_processes"] = {
                "one_updates_per_s": round(one.per_s, 1),
                "two_updates_per_s": round(two.per_s, 1),
                "factor": round(factor, 2),
            }
    finally:
        server.stop()
    verify(db_url)
    say("billserver verify: the books balance")
    result.update(
        {
            "single.server_cpu_ms_per_update": round(single.cpu_ms, 4),
            "single.updates_per_s": round(single.per_s, 1),
            "single.half_load_p95_ms": round(half.p95_ms, 2),
            "batched.server_cpu_ms_per_update": round(batched.cpu_ms, 4),
            "batched.updates_per_s": round(batched.per_s, 1),
            "baseline.tx_per_s": round(baseline, 1),
            "batched.ratio": round(batched.per_s / baseline, 3),
            "live.per_update_ms": live,
        }
    )
    return result


def _compare(args: argparse.Namespace, workdir: Path, urls: dict[str, str]) -> dict[str, Any]:
    """Server CPU per single update of the base (``--compare``) and of this tree,
    alternating, base first. Each has a database of its own (``urls``), made, seeded
    alike and checked by its own tree, since the two may differ in schema; the
    sessions carry on from round to round."""
    catalog = workdir / "catalog.toml"
    catalog.write_text(CATALOG)
    server_cpu, load_cpu = cpus()
    wrk = ensure_wrk()
    say = lambda text: _say(args, text)  # noqa: E731
    variants = {"base": args.compare.resolve(), "new": None}
    drivers: dict[str, Driver] = {}
    for name, src in variants.items():
        billserver("import", str(catalog), "--db", urls[name], src=src)
        server = start_server(urls[name], workdir, f"setup-{name}", server_cpu, src)
        try:
            token = sign_in(server.url)
            (workdir / name).mkdir()
            drivers[name] = Driver(wrk, workdir / name, token, load_cpu)
            drivers[name].add(open_sessions(server.url, token, args.connections + 1))
        finally:
            server.stop()
    cpu: dict[str, list[float]] = {name: [] for name in variants}
    rate: dict[str, list[float]] = {name: [] for name in variants}
    for round_ in range(1, args.rounds + 1):
        for name, src in variants.items():
            server = start_server(urls[name], workdir, name, server_cpu, src)
            driver = drivers[name]
            try:
                driver.run([server], connections=args.connections, seconds=1)  # warm-up
                figures = driver.run([server], connections=args.connections, seconds=args.seconds)
            finally:
                server.stop()
            _check(figures, f"{name}, round {round_}")
            cpu[name].append(round(figures.cpu_ms, 4))
            rate[name].append(round(figures.per_s, 1))
            say(_line(f"round {round_} {name}", figures))
    for name, src in variants.items():
        verify(urls[name], src)
    say("billserver verify: the books balance (both databases)")
    means = {name: sum(values) / len(values) for name, values in cpu.items()}
    factor = means["base"] / means["new"]
    say(f"server CPU per update, base : new = {means['base']:.3f} : {means['new']:.3f} ms"
        f" = {factor:.2f}x")  # fmt: skip
    return {
        "engine": args.db,
        "base.server_cpu_ms_per_update": cpu["base"],
        "new.server_cpu_ms_per_update": cpu["new"],
        "base.updates_per_s": rate["base"],
        "new.updates_per_s": rate["new"],
        "factor": round(factor, 2),
    }


def _half_load(
    driver: Driver, server: Server, rate: float, connections: int, args: argparse.Namespace
) -> Figures:
    """A run offering ``rate`` updates/s: each connection waits between its calls (wrk's
    ``delay()``, drawn at random around the mean: independent arrivals); a short first
    run measures the answer time the wait must leave room for."""
    cycle_ms = connections / rate * 1000 if rate else 0.0
    trial = driver.run([server], connections=connections, seconds=2, delay_ms=cycle_ms)
    answer_ms = max(0.0, connections / max(trial.per_s, 1e-9) * 1000 - cycle_ms)
    delay = max(0.0, cycle_ms - answer_ms)
    return driver.run(
        [server], connections=connections, seconds=min(args.seconds, 5), delay_ms=delay
    )


def _check(figures: Figures, what: str) -> None:
    if figures.bad or not figures.good:
        raise SystemExit(
            f"{what}: {figures.bad} answers were not 200 with the expected seq "
            f"({figures.good} were)"
        )


def _line(label: str, figures: Figures) -> str:
    return (
        f"{label}: {figures.per_s:8.1f} updates/s  server CPU {figures.cpu_ms:.3f} ms/update  "
        f"p95 {figures.p95_ms:.2f} ms"
    )


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
