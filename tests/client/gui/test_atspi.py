"""Accessibility proven with an assistive-technology client: the real ``billclient``
runs under Xvfb with Qt's AT-SPI bridge on, in a D-Bus session of its own, and a
separate process (``atspi_driver.py``, Debian's python3-pyatspi on the system
interpreter) uses it only through the accessibility tree, as a screen reader does:
it signs in, reads the balance, starts and stops a session, tops up with a voucher,
reads the new balance and the newest charge record, and checks the whole tree.

The system packages it needs (``xvfb``, ``dbus``, ``at-spi2-core``,
``python3-pyatspi``) are installed by ``.ci/run``; without them this test fails, it
never skips.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.catalogs import PASSWORD

from .conftest import ATSPI_VOUCHER

DRIVER = Path(__file__).with_name("atspi_driver.py")
SYSTEM_PYTHON = "/usr/bin/python3"
BUS_LAUNCHER = "/usr/libexec/at-spi-bus-launcher"
INACTIVE_NOTICE = "This account is not active"


def _missing() -> list[str]:
    missing = [tool for tool in ("Xvfb", "dbus-run-session") if shutil.which(tool) is None]
    if not Path(BUS_LAUNCHER).exists():
        missing.append("at-spi2-core (at-spi-bus-launcher)")
    probe = subprocess.run(
        [SYSTEM_PYTHON, "-c", "import pyatspi"], capture_output=True, check=False
    ) if Path(SYSTEM_PYTHON).exists() else None  # fmt: skip
    if probe is None or probe.returncode != 0:
        missing.append("python3-pyatspi (for /usr/bin/python3)")
    return missing


def _steps(output: str) -> dict[str, dict[str, Any]]:
    steps: dict[str, dict[str, Any]] = {}
    for line in output.splitlines():
        if line.startswith("{"):
            record = json.loads(line)
            steps[record.get("step", "failed" if "failed" in record else "?")] = record
    return steps


def test_a_screen_reader_signs_in_runs_a_session_tops_up_and_reads_a_record(
    home: Path, server: str
) -> None:
    missing = _missing()
    if missing:
        pytest.fail("the AT-SPI test needs: " + ", ".join(missing) + " (apt-get install)")
    environment = dict(os.environ)
    environment.pop("QT_QPA_PLATFORM", None)
    command = [
        "dbus-run-session", "--", SYSTEM_PYTHON, str(DRIVER),
        "--server", server, "--login", "ada", "--password", PASSWORD,
        "--voucher", ATSPI_VOUCHER, "--service-name", "Voice",
        "--hidden-text", INACTIVE_NOTICE,
        "--", sys.executable, "-m", "billclient",
    ]  # fmt: skip
    result = subprocess.run(
        command, capture_output=True, text=True, env=environment, timeout=300, check=False
    )
    steps = _steps(result.stdout)
    log = os.environ.get("BILLCLIENT_ATSPI_LOG")
    if log:  # the driver's whole account, for a person debugging a failure
        Path(log).write_text(result.stdout + result.stderr, encoding="utf-8")
    failure = steps.get("failed")
    assert failure is None and result.returncode == 0, (
        (failure or {}).get("failed", result.stderr[-3000:]),
        "\n".join((failure or {}).get("tree", [])),
    )
    assert steps["registered"]["toolkit"] == "Qt"
    assert steps["typed"]["server"] == server
    assert steps["typed"]["password_role"] == "password text"
    assert steps["balance"]["name"] == "Available balance: €10.00"
    assert steps["voucher"]["outcome"].startswith("€5.00 added. Available now: €14.")
    dashboard = steps["dashboard tree"]
    assert dashboard["problems"] == [] and dashboard["hidden"] == []
    # the values the dashboard shows are what a screen reader hears (Qt's bridge gives
    # labels no Text interface: a label's name is all it exposes of it)
    for value in (
        "Account ada",
        "Account status: Active",
        "Prepaid",
        "Available balance: €10.00",
        "Reserved for running services: €0.00",
        "No service running: nothing is being spent.",
    ):
        assert value in dashboard["labels"], (value, dashboard["labels"])
    navigation = steps["navigation"]
    assert navigation["role"] in ("list", "list box")
    assert navigation["item_roles"] == ["list item"]
    assert navigation["items"][:3] == ["Dashboard", "Services", "History"]
    assert steps["session running"]["charge"].startswith("Charge so far: €")
    assert "new balance" in steps
    new_balance = steps["new balance"]["name"]
    assert new_balance.startswith("Available balance: €14.")  # 10 - the call + 5
    record = steps["charge record"]
    assert steps["newest record"]["cell"] == "Charged: " + record["amount"]
    assert record["amount"].startswith("€0.")
    assert steps["detail tree"]["problems"] == []
