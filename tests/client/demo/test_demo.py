"""``billclient demo`` end to end: headless, a live session charged, a clean stop.

The demo runs as a child process exactly as a person would start it (no display);
the test reads what it prints, sends it SIGINT, and checks that it exits 0 and that
none of the processes it started is left.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from datetime import time as clock_time
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from billclient.demo.environment import display_problem

CHARGED = re.compile(
    r"^demo: Internet call: (\d+) s so far, charged (\d+\.\d+) EUR by the billing server"
)
ENDED = re.compile(
    r"^demo: The Internet call ended\. You stopped it\. Used [\w ]+; charged (\d+\.\d+) EUR\. "
    r"Charge record \S+\.$"
)
DIRECTORY = re.compile(r"^demo: Starting .*; their files go to (\S+)$")
DEBUG_LOOK = ("kind=", "=None", " units,", "1 units", "session_id=")


def _download_price(at: datetime) -> str:
    """What resources/demo-catalog.toml's prepaid plan charges for 1 MB downloaded at
    ``at``: 0.02 EUR, 0.01 EUR in its night window (22:00-06:00, Europe/Berlin)."""
    local = at.astimezone(ZoneInfo("Europe/Berlin")).time()
    night = local >= clock_time(22) or local < clock_time(6)
    return "0.01" if night else "0.02"


def _proc_stat(pid: int) -> tuple[int, int, int] | None:
    """(parent pid, process group, start time) of a live process; None when gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    if fields[0] == "Z":  # a zombie has ended
        return None
    return int(fields[1]), int(fields[2]), int(fields[19])


def _all_pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def _descendants(root: int) -> dict[int, tuple[int, int, int]]:
    """Every live descendant of ``root`` and its stat (from /proc)."""
    stats = {pid: stat for pid in _all_pids() if (stat := _proc_stat(pid)) is not None}
    found: dict[int, tuple[int, int, int]] = {}
    frontier = {root}
    while frontier:
        children = {pid for pid, stat in stats.items() if stat[0] in frontier}
        children -= found.keys()
        found.update({pid: stats[pid] for pid in children})
        frontier = children
    return found


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
@pytest.mark.timeout(180)
def test_headless_demo_charges_a_live_session_and_stops_cleanly() -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    }
    demo = subprocess.Popen(
        [sys.executable, "-m", "billclient", "demo"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**env, "PYTHONUNBUFFERED": "1"},
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(demo.stdout or ()), daemon=True)
    reader.start()
    started: dict[int, tuple[int, int, int]] = {}
    began = datetime.now(UTC)
    try:
        deadline = time.monotonic() + 120  # a loaded machine starts servers slowly
        while time.monotonic() < deadline and demo.poll() is None:
            started.update(_descendants(demo.pid))
            moves = [Decimal(m[2]) for line in lines if (m := CHARGED.match(line))]
            if len(set(moves)) >= 2:  # the charge moved, and moved again
                break
            time.sleep(0.5)
        output = "".join(lines)
        assert demo.poll() is None, f"the demo ended early: {output}{demo.stderr.read()}"  # type: ignore[union-attr]
        charged = [(int(m[1]), Decimal(m[2])) for line in lines if (m := CHARGED.match(line))]
        assert charged and charged[-1][1] > 0, output
        # billed per second: the charge moves within the first 10 seconds, then again
        assert any(amount > 0 for seconds, amount in charged if seconds <= 10), output
        assert len({amount for _seconds, amount in charged}) >= 2, output
        assert "No display (neither DISPLAY nor WAYLAND_DISPLAY is set)" in output
        started.update(_descendants(demo.pid))
        # two billing servers, the gateway and the watch view, at least
        assert len(started) >= 4, started
        demo.send_signal(signal.SIGINT)
        status = demo.wait(60)
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
    reader.join(10)
    output = "".join(lines)
    stderr = demo.stderr.read() if demo.stderr else ""
    assert status == 0, output + stderr
    assert "Traceback" not in stderr, stderr
    ended = [Decimal(m[1]) for line in lines if (m := ENDED.match(line.rstrip("\n")))]
    assert ended and ended[0] > 0, output  # the call was ended and billed on the way out
    assert "reserved for running services" in output  # the watch view's lines
    assert "Top-up of 5.00 EUR arrived" in output
    # a byte and an event service through the metering gateway, counted as they arrived
    assert "demo: Downloaded demo-1MB.bin through the metering gateway" in output
    assert "1,000,000 bytes were metered" in output
    assert "demo: Sent a message through the gateway ('Hello from the billclient demo')" in output
    # the price of the hour (the night window may begin while the demo runs)
    prices = {_download_price(began), _download_price(datetime.now(UTC))}
    assert "File download (session " in output
    assert any(f"Used 1 MB; charged {price} EUR." in output for price in prices), output
    for look in DEBUG_LOOK:  # every line a sentence, none a debug log
        assert look not in output, output
    left = [pid for pid, stat in started.items() if _proc_stat(pid) == stat]
    assert not left, f"processes left behind: {left}"
    groups = {stat[1] for stat in started.values()} - {os.getpgrp()}
    in_groups = [pid for pid in _all_pids() if (s := _proc_stat(pid)) and s[1] in groups]
    assert not in_groups, f"processes left in the demo's process groups: {in_groups}"
    directory = next(m[1] for line in lines if (m := DIRECTORY.match(line)))
    assert not Path(directory).exists(), "the demo directory was not removed"


def test_the_demo_says_clearly_when_the_server_extra_is_missing() -> None:
    code = (
        "import sys; sys.modules['uvicorn'] = None; sys.modules['alembic'] = None; "
        "from billclient.__main__ import run; sys.exit(run(['demo']))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "billclient demo: needs the billing server, which is not installed here (missing "
        "uvicorn, alembic): install the server extra with pip install 'billclient[server]' "
        "(in a checkout: pip install -e '.[server]')"
    ]


def test_a_usage_error_is_one_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "billclient", "demo", "--user", "mallory"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "invalid choice: 'mallory'" in result.stderr


@pytest.mark.parametrize(
    ("env", "platform", "usable"),
    [
        ({}, "linux", False),
        ({"DISPLAY": ":0"}, "linux", True),
        ({"WAYLAND_DISPLAY": "wayland-0"}, "linux", True),
        ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}, "linux", False),
        ({"QT_QPA_PLATFORM": "minimal"}, "linux", False),
        ({"QT_QPA_PLATFORM": "xcb"}, "linux", False),
        ({"QT_QPA_PLATFORM": "xcb", "DISPLAY": ":1"}, "linux", True),
        ({"QT_QPA_PLATFORM": "wayland", "DISPLAY": ":1"}, "linux", False),
        ({"QT_QPA_PLATFORM": "vnc:size=800x600"}, "linux", True),
        ({"QT_QPA_PLATFORM": "eglfs"}, "linux", True),
        ({}, "darwin", True),
        ({}, "win32", True),
    ],
)
def test_display_detection(env: dict[str, str], platform: str, usable: bool) -> None:
    problem = display_problem(env, platform)
    assert (problem is None) is usable, problem
    if problem is not None:
        assert "\n" not in problem
