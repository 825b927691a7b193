"""CPU of the client core's session runner, and memory of an idle ``billclient watch``.

Usage::

    python benchmarks/runner.py [--updates 3600] [--idle-seconds 10] [--dir DIR]

It starts a real ``billserver serve`` (SQLite, on disk under ``--dir``), signs a
profile in (keyrings.alt file backend in the same directory) and runs, in this
process, the real :class:`~billclient.core.sessions.SessionRunner` with the bundled
billing component and the journal:

1. one byte-service session sending ``--updates`` cumulative updates back to back
   (each journaled, sent, answered, acknowledged in the journal): the client CPU of
   a one-hour session at a 1 s update interval, without the waits;
2. one time-service session for ``--idle-seconds`` at its real 1 s interval: the
   client CPU per second of a running session (ticks, meter, estimate, progress,
   one update a second), scaled to an hour;
3. ``billclient watch`` as a subprocess, idle on the live event stream: its resident
   memory (VmRSS) after a few seconds, next to a bare interpreter's.

CPU is this process's user+system time (``resource.getrusage``), so the server's
work is not counted; the server's CPU is read from /proc for comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

CATALOG = """\
currency = "EUR"

[[services]]
id = "bytes"
name = "Benchmark download"
unit = "byte"
media = "download"
grant = 1000000000
update_interval = 1

[[services]]
id = "call"
name = "Benchmark call"
unit = "second"
media = "voice"
grant = 3600
update_interval = 1

[[plans]]
id = "p"
name = "Plan"
[[plans.rates]]
service = "bytes"
price = "0.01"
per = 1000000
[[plans.rates]]
service = "call"
price = "0.01"
per = 60

[[accounts]]
id = "bench"
name = "Bench"
kind = "prepaid"
plan = "p"
balance = "1000"

[[users]]
login = "bench"
password = "bench-password"
account = "bench"
"""


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _proc_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _start_server(directory: Path, port: int) -> subprocess.Popen[bytes]:
    db = f"sqlite:///{directory / 'billing.db'}"
    (directory / "catalog.toml").write_text(CATALOG)
    subprocess.run(
        [sys.executable, "-m", "billserver", "import", str(directory / "catalog.toml"), "--db", db],
        check=True,
        capture_output=True,
    )
    log = open(directory / "server.log", "wb")  # noqa: SIM115 - handed to the child
    server = subprocess.Popen(
        [sys.executable, "-m", "billserver", "serve", "--db", db, "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit("the server did not start")


async def _sessions(url: str, home: Path, updates: int, idle_seconds: float) -> None:
    from billclient.component import load_bundled
    from billclient.core.client import BillingClient
    from billclient.core.sessions import SessionRunner

    client = await BillingClient.open("bench", home=home)
    await client.sign_in([url], "bench", "bench-password")
    data_dir = client.paths.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)

    # 1. updates back to back
    runner = SessionRunner(client, load_bundled(), data_dir=data_dir, update_interval=1e-6)
    before, wall = _cpu(), time.perf_counter()
    run = await runner.start("bytes")
    while run.progress.seq < updates:
        run.add(1000)
        await asyncio.sleep(0)
        await asyncio.sleep(0.001)
    final = await run.stop("service_done")
    cpu, wall = _cpu() - before, time.perf_counter() - wall
    print(
        f"{final.seq} updates back to back in {wall:.1f} s: client CPU {cpu:.2f} s "
        f"({cpu / final.seq * 1000:.2f} ms per update, journal included); "
        f"charged {final.charged / 1e6} EUR for {final.used_units} bytes"
    )

    # 2. a running time session at its real interval
    runner = SessionRunner(client, load_bundled(), data_dir=data_dir)
    run = await runner.start("call")
    await asyncio.sleep(1.0)
    before, wall = _cpu(), time.perf_counter()
    await asyncio.sleep(idle_seconds)
    cpu, wall = _cpu() - before, time.perf_counter() - wall
    final = await run.stop()
    print(
        f"time session at 1 s updates: client CPU {cpu / wall * 100:.2f}% of a core "
        f"= {cpu / wall * 3600:.1f} s CPU per hour of session ({final.seq} updates)"
    )
    await client.aclose()


def _watch_rss(home: Path, env: dict[str, str], settle: float) -> None:
    bare = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    watch = subprocess.Popen(
        [sys.executable, "-m", "billclient", "--profile", "bench", "watch"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(settle)
        cpu_before = _proc_cpu(watch.pid)
        time.sleep(5)
        idle_cpu = _proc_cpu(watch.pid) - cpu_before
        print(
            f"idle `billclient watch`: RSS {_rss_kib(watch.pid) / 1024:.1f} MiB "
            f"(bare python: {_rss_kib(bare.pid) / 1024:.1f} MiB); "
            f"CPU {idle_cpu:.2f} s over 5 s idle"
        )
    finally:
        watch.terminate()
        bare.terminate()
        watch.wait(10)
        bare.wait(10)


def main() -> None:
    """Run the measurements and print them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=3600)
    parser.add_argument("--idle-seconds", type=float, default=10.0)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    directory = Path(args.dir or tempfile.mkdtemp(prefix="runner-bench-", dir="/var/tmp"))
    home = directory / "home"
    env = {
        **os.environ,
        "BILLCLIENT_HOME": str(home),
        "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring",
        "XDG_DATA_HOME": str(directory / "xdg"),
    }
    os.environ.update(env)
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    server = _start_server(directory, port)
    try:
        server_before = _proc_cpu(server.pid)
        asyncio.run(_sessions(f"http://127.0.0.1:{port}", home, args.updates, args.idle_seconds))
        print(f"server CPU during the sessions: {_proc_cpu(server.pid) - server_before:.2f} s")
        _watch_rss(home, env, settle=3.0)
    finally:
        server.terminate()
        server.wait(15)
    if args.dir is None:
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
