"""The graphical client against a bare PySide6 window, measured in the same run.

Usage::

    python benchmarks/gui.py [--idle-seconds 30] [--events 40] [--dir DIR]

A real ``billserver serve`` runs on loopback with the demo data; a profile is signed
in as ``alice`` (keyrings.alt file backend, everything under ``--dir``) and its
figure cache holds her balance, as after an earlier run. Then, each in a child
process so that neither shares memory or start-up work with the other:

1. **bare**: a QApplication and a window with one label showing a balance;
2. **app**: the real application as ``billclient`` with no command starts it
   (``billclient.__main__`` -> ``billclient.gui.app.main`` -> ``AppShell``: main window
   with the cached figures, then the core, keychain tokens, live events, session
   recovery).

For each: the time from spawning the process to the first paint of the label showing
the balance (the cached one, for the app); the resident memory (VmRSS) one second
later; the process's CPU time (user+system) while idle for ``--idle-seconds`` (the app
with its live event stream open). Then, for the app, ``--events`` balance changes are
made by a support adjustment on the server, one at a time; the latency is from just
before the adjustment is sent to the moment the dashboard's label holds the new
amount (the server's write, its event fan-out, SSE, the bus, the bridge, the label).
Resident memory is read again at the end (the bare window after its idle time, the
app after the events: its core attached and live events followed), since the first
reading may come before the app has loaded its core.
Both processes and the parent read the same system-wide monotonic clock. Linux only
(``/proc``). Timings are noisy on a shared machine; the ratios within one run are the
figures to compare.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

KEYRING = "keyrings.alt.file.PlaintextKeyring"
ALICE = ("alice", "alice-demo-password")
SUPPORT = ("support", "support-demo-password")
TARGETS = {"start_s": 0.5, "rss_ratio": 2.0, "latency_p95_ms": 100.0}


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _emit(**values: Any) -> None:
    sys.stdout.write(json.dumps(values) + "\n")
    sys.stdout.flush()


# -- the children -----------------------------------------------------------------------


def _watch_paint(label: Any, expected: str, on_first: Any) -> Any:
    from PySide6.QtCore import QEvent, QObject

    class Watcher(QObject):
        done = False

        def eventFilter(self, watched: Any, event: Any) -> bool:
            if not self.done and event.type() == QEvent.Type.Paint and label.text() == expected:
                self.done = True
                on_first(time.monotonic())
            return False

    watcher = Watcher(label)
    label.installEventFilter(watcher)
    return watcher


async def _idle_and_rss(idle: float) -> None:
    await asyncio.sleep(1)
    _emit(rss_kb=_rss_kb())
    before = _cpu()
    await asyncio.sleep(idle)
    _emit(idle_cpu_s=_cpu() - before)


def _settled_rss() -> None:
    """Resident memory once the run's work is done (the app: core attached, live
    events followed); the first reading may come before the core is loaded."""
    _emit(rss_end_kb=_rss_kb())


def child_bare(expected: str, idle: float) -> int:
    """A QApplication and one window with the balance in a large label."""
    import qasync
    from PySide6.QtWidgets import QApplication, QLabel, QVBoxLayout, QWidget

    app = QApplication(sys.argv[:1])
    window = QWidget()
    layout = QVBoxLayout(window)
    label = QLabel(expected, window)
    layout.addWidget(label)
    _watch_paint(label, expected, lambda at: _emit(shown_at=at))
    window.resize(960, 640)
    window.show()
    qasync.run(_idle_and_rss(idle))
    _settled_rss()
    return 0 if app is not None else 1


def child_app(expected: str, idle: float, events: int) -> int:
    """The real application, as ``billclient`` with no command starts it
    (``billclient.__main__.run``: the shell on the signed-in profile with cached figures).

    An application-wide event filter finds the dashboard's balance label when it is
    first painted (it costs the app a little, never the bare window); the label's window
    leads to the bridge, whose balance signal gives the latencies as before."""
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QApplication, QLabel

    from billclient.__main__ import run

    app = QApplication(sys.argv[:1])  # the app's main() takes this one over

    async def measure(label: Any) -> None:
        await _idle_and_rss(idle)
        window = label.window()
        seen = asyncio.Event()

        def balance(_figures: object) -> None:  # after the dashboard's own slot
            _emit(label_at=time.monotonic(), text=label.text())
            seen.set()

        window.ctx.bridge.balance.connect(balance)
        _emit(ready=True)
        for _ in range(events):
            seen.clear()
            try:
                await asyncio.wait_for(seen.wait(), 30)
            except TimeoutError:
                break
        _settled_rss()
        window.close()  # no session runs: the application ends

    tasks: set[Any] = set()

    class Finder(QObject):
        def eventFilter(self, watched: Any, event: Any) -> bool:
            if (
                event.type() == QEvent.Type.Paint
                and isinstance(watched, QLabel)
                and watched.objectName() == "BalanceValue"
                and watched.text() == expected
            ):
                _emit(shown_at=time.monotonic())
                app.removeEventFilter(self)
                tasks.add(asyncio.ensure_future(measure(watched)))
            return False

    finder = Finder(app)
    app.installEventFilter(finder)
    return run([])


# -- the parent -------------------------------------------------------------------------


def _spawn(kind: str, args: argparse.Namespace, env: dict[str, str], expected: str) -> Any:
    started = time.monotonic()
    command = [sys.executable, __file__, "--child", kind, "--expect", expected]
    command += ["--idle-seconds", str(args.idle_seconds), "--events", str(args.events)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    return process, started


def _read(process: Any, key: str) -> dict[str, Any]:
    while True:
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"the child ended before reporting {key}")
        data: dict[str, Any] = json.loads(line)
        if key in data:
            return data


async def _prepare(work: Path) -> tuple[Any, str, str]:
    from billclient.core.client import BillingClient
    from billclient.core.settings import ClientSettings, ProfilePaths
    from billclient.gui.demo_server import DemoServer
    from billclient.gui.figure_cache import FigureCache
    from billclient.gui.formatting import format_money

    server = await DemoServer(work).start()
    paths = ProfilePaths.for_profile("default")
    ClientSettings(keyring_backend=KEYRING).save(paths)
    client = BillingClient.open("default")
    await client.sign_in([server.url], *ALICE, device_name="benchmark")
    account = await client.api.account()
    cache = FigureCache(paths.data_dir / "gui-figures.json")
    cache.account(account)
    cache.flush()
    await client.aclose()
    return server, server.url, format_money(account.available, account.currency)


def _support_token(url: str) -> str:
    import httpx  # here, not at the top: the children run this file too

    answer = httpx.post(
        f"{url}/v1/devices",
        json={
            "login": SUPPORT[0],
            "password": SUPPORT[1],
            "device_name": "benchmark",
            "platform": "benchmark",
        },
        timeout=30,
    )
    answer.raise_for_status()
    return str(answer.json()["access_token"])


def _latencies(process: Any, url: str, count: int) -> list[float]:
    import httpx

    token = _support_token(url)
    _read(process, "ready")
    result = []
    with httpx.Client(timeout=30, headers={"Authorization": f"Bearer {token}"}) as http:
        for _ in range(count):
            sent = time.monotonic()
            answer = http.post(
                f"{url}/v1/admin/accounts/alice/adjustments",
                json={"amount": "0.01", "reason": "benchmark"},
                headers={"Idempotency-Key": str(uuid.uuid4())},
            )
            answer.raise_for_status()
            seen = _read(process, "label_at")
            result.append((seen["label_at"] - sent) * 1000)
            time.sleep(0.05)
    return result


def parent(args: argparse.Namespace) -> int:
    work = Path(args.dir or tempfile.mkdtemp(prefix="billclient-gui-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "BILLCLIENT_HOME": str(work / "home"),
        "XDG_DATA_HOME": str(work / "data"),
        "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
    }
    os.environ.update(env)
    server, url, expected = asyncio.run(_prepare(work))
    try:
        figures: dict[str, dict[str, Any]] = {}
        processes = {}
        for kind in ("bare", "app"):
            process, started = _spawn(kind, args, env, expected)
            shown = _read(process, "shown_at")["shown_at"]
            rss = _read(process, "rss_kb")["rss_kb"]
            figures[kind] = {"start_s": shown - started, "rss_mb": rss / 1024}
            processes[kind] = process
        for kind, process in processes.items():
            figures[kind]["idle_cpu_s"] = _read(process, "idle_cpu_s")["idle_cpu_s"]
        latencies = _latencies(processes["app"], url, args.events)
        for kind, process in processes.items():
            figures[kind]["rss_end_mb"] = _read(process, "rss_end_kb")["rss_end_kb"] / 1024
        for process in processes.values():
            process.wait(60)
    finally:
        server.stop()
    if args.dir is None:
        shutil.rmtree(work, ignore_errors=True)
    bare, gui = figures["bare"], figures["app"]
    p95 = (
        statistics.quantiles(latencies, n=20, method="inclusive")[18]
        if len(latencies) >= 2
        else float("nan")
    )
    report = {
        "bare": bare,
        "app": gui,
        "start_ratio": gui["start_s"] / bare["start_s"],
        "start_beyond_bare_s": gui["start_s"] - bare["start_s"],
        "rss_ratio": gui["rss_mb"] / bare["rss_mb"],
        "rss_end_ratio": gui["rss_end_mb"] / bare["rss_end_mb"],
        "latency_ms": {
            "events": len(latencies),
            "p50": statistics.median(latencies) if latencies else float("nan"),
            "p95": p95,
            "max": max(latencies, default=float("nan")),
        },
        "idle_seconds": args.idle_seconds,
    }
    print(json.dumps(report, indent=2))
    verdicts = {
        "time to cached balance <= 0.5 s": gui["start_s"] <= TARGETS["start_s"],
        "resident memory <= 2x bare": report["rss_ratio"] <= TARGETS["rss_ratio"],
        "resident memory <= 2x bare at the end": report["rss_end_ratio"] <= TARGETS["rss_ratio"],
        "event-to-label p95 <= 100 ms": p95 <= TARGETS["latency_p95_ms"],
    }
    for name, ok in verdicts.items():
        print(f"{'met    ' if ok else 'MISSED '} {name}")
    print(
        f"the app's own start-up beyond a bare PySide6 window: "
        f"{report['start_beyond_bare_s']:.2f} s (bare {bare['start_s']:.2f} s from spawn)"
    )
    print(
        f"idle CPU over {args.idle_seconds:.0f} s: app {gui['idle_cpu_s']:.3f} s, "
        f"bare {bare['idle_cpu_s']:.3f} s"
    )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--idle-seconds", type=float, default=30.0)
    parser.add_argument("--events", type=int, default=40)
    parser.add_argument("--dir", help="work directory (default: a new temporary one)")
    parser.add_argument("--child", choices=("bare", "app"), help=argparse.SUPPRESS)
    parser.add_argument("--expect", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "bare":
        return child_bare(args.expect, args.idle_seconds)
    if args.child == "app":
        return child_app(args.expect, args.idle_seconds, args.events)
    return parent(args)


if __name__ == "__main__":
    sys.exit(main())
